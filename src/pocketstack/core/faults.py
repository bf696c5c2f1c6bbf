"""Fault injection: chosen requests fail or answer slowly, chosen jobs fail; for users' tests of
their own error handling. None is active unless an admin adds one (`/pocketstack/v1/faults`).

A request fault matches on service type, method, path (a glob or a regex over the whole URL path)
and the caller's project (id or name); it delays the answer, or answers with a status, which the
owning service renders in its own error format, or both. It fires after authentication, policy and
schema checks, so it stands for a failure of the service behind a valid request. A job fault
matches a job kind (glob, e.g. `compute.build_server`, `volume.create`) and makes the job fail:
for good (`retry` false: the service's own failure handling runs, so a server ends in ERROR with
the message as its fault, a volume in `error`), or as one failed attempt that the job runner
retries. Each fault may fire with a probability, a number of times, until it expires.

Faults are rows, so every worker process sees them; each process reads them at most once a
second (at once after a change it made itself). Every injected fault is logged, and counted in
its row (`hits`).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import http
import logging
import random
import re
import time
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, errors, snapshots
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.ids import new_uuid

LOG = logging.getLogger("pocketstack.faults")
EXEMPT = {"pocketstack"}        # the control API itself: a fault must never lock its remover out
REFRESH = 1.0                   # seconds a process trusts its copy of the table

faults = sa.Table(
    "faults", db.metadata,
    db.id_column(),
    sa.Column("service", sa.String(64)),
    sa.Column("method", sa.String(16)),
    sa.Column("path", sa.String(1024)),            # a glob over the whole URL path
    sa.Column("path_regex", sa.String(1024)),      # or a regex, searched in it
    sa.Column("project", sa.String(255)),          # the caller's project id or name
    sa.Column("job", sa.String(128)),              # a job kind glob: a job fault
    sa.Column("status", sa.Integer),
    sa.Column("message", sa.Text),
    sa.Column("delay", sa.Float),
    sa.Column("retry", sa.Boolean, nullable=False, default=False),
    sa.Column("probability", sa.Float, nullable=False, default=1.0),
    sa.Column("remaining", sa.Integer),            # None: no limit
    sa.Column("hits", sa.Integer, nullable=False, default=0),
    sa.Column("expires_at", sa.DateTime),
    *db.timestamps(),
)

STATUS_ERRORS: dict[int, type[errors.ApiError]] = {
    400: errors.BadRequest, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound,
    405: errors.MethodNotAllowed, 409: errors.Conflict, 413: errors.OverLimit, 422: errors.UnprocessableEntity,
    500: errors.InternalError, 501: errors.NotImplementedYet, 503: errors.ServiceUnavailable,
}


class InjectedJobFault(Exception):
    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


_copy: tuple[int, float, list[dict[str, Any]]] = (-1, 0.0, [])


def active() -> list[dict[str, Any]]:
    global _copy
    generation, now = db.generation("faults_"), time.monotonic()
    if _copy[0] == generation and _copy[1] > now:
        return _copy[2]
    with db.reader() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(faults).where(_live()).order_by(faults.c.created_at))
                .mappings()]
    _copy = (generation, now + REFRESH, rows)
    return rows


def _live() -> Any:
    return sa.and_(sa.or_(faults.c.expires_at.is_(None), faults.c.expires_at > utcnow()),
                   sa.or_(faults.c.remaining.is_(None), faults.c.remaining > 0))


@snapshots.forget_on_restore
def forget() -> None:
    global _copy
    _copy = (-1, 0.0, [])


def _fire(fault: dict[str, Any]) -> bool:
    """The dice, then one atomic count: a fault limited to N fires N times across all workers."""
    if fault["probability"] < 1.0 and random.random() >= fault["probability"]:
        return False
    with db.session() as conn:
        done = conn.execute(faults.update().where(faults.c.id == fault["id"], _live()).values(
            hits=faults.c.hits + 1, remaining=faults.c.remaining - 1, updated_at=utcnow()))
    return done.rowcount == 1


# --- requests --------------------------------------------------------------------------------
def matches_request(fault: dict[str, Any], service_type: str, method: str, path: str, ctx: Context) -> bool:
    if fault["job"] is not None:
        return False
    if fault["service"] and fault["service"] != service_type:
        return False
    if fault["method"] and fault["method"].upper() != method.upper():
        return False
    if fault["path"] and not fnmatch.fnmatchcase(path, fault["path"]):
        return False
    if fault["path_regex"] and not re.search(fault["path_regex"], path):
        return False
    return not fault["project"] or fault["project"] in (ctx.project_id, ctx.project_name)


def on_request(service_type: str, method: str, path: str, ctx: Context) -> None:
    """Called by the pipeline before the handler (in a worker thread): sleeps, or raises the error."""
    if service_type in EXEMPT:
        return
    for fault in active():
        if matches_request(fault, service_type, method, path, ctx) and _fire(fault):
            LOG.warning("%s: injected fault %s into %s %s (project %s): %s", ctx.request_id, fault["id"],
                        method, path, ctx.project_id, _describe(fault))
            if fault["delay"]:
                time.sleep(fault["delay"])
            if fault["status"]:
                raise error(fault["status"], fault["message"])
            return


def error(status: int, message: str | None) -> errors.ApiError:
    cls = STATUS_ERRORS.get(status)
    if cls is None:
        phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else "Error"
        cls = type("InjectedError", (errors.ApiError,), {"status": status, "title": phrase})
    return cls(message or f"{cls.title} (injected fault)")


# --- jobs ------------------------------------------------------------------------------------
def on_job(kind: str, payload: dict[str, Any]) -> None:
    """Called by the job runner before a job's step runs: raises InjectedJobFault when one fires."""
    for fault in active():
        if fault["job"] is None or not fnmatch.fnmatchcase(kind, fault["job"]):
            continue
        if fault["project"] and fault["project"] != payload.get("project_id"):
            continue
        if _fire(fault):
            LOG.warning("injected fault %s into job %s: %s", fault["id"], kind, _describe(fault))
            raise InjectedJobFault(fault["message"] or f"Injected fault: the {kind} job failed",
                                   retry=fault["retry"])


def _describe(fault: dict[str, Any]) -> str:
    parts = [f"status {fault['status']}" if fault["status"] else "",
             f"delay {fault['delay']}s" if fault["delay"] else "",
             ("fails once, retried" if fault["retry"] else "fails for good") if fault["job"] else ""]
    return ", ".join(p for p in parts if p) or "no effect"


# --- logic for the control API ---------------------------------------------------------------
def add(spec: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    expires_in = spec.get("expires_in")
    row = {"id": new_uuid(), "service": spec.get("service"), "method": (spec.get("method") or "").upper() or None,
           "path": spec.get("path"), "path_regex": spec.get("path_regex"), "project": spec.get("project"),
           "job": spec.get("job"), "status": spec.get("status"), "message": spec.get("message"),
           "delay": spec.get("delay"), "retry": bool(spec.get("retry", False)),
           "probability": float(spec.get("probability", 1.0)), "remaining": spec.get("count"), "hits": 0,
           "expires_at": now + dt.timedelta(seconds=expires_in) if expires_in is not None else None,
           "created_at": now}
    with db.session() as conn:
        conn.execute(faults.insert().values(**row))
    LOG.warning("fault %s added: %s", row["id"], {k: v for k, v in row.items() if v is not None and k != "id"})
    return row


def listing(include_spent: bool = False) -> list[dict[str, Any]]:
    with db.reader() as conn:
        stmt = sa.select(faults).order_by(faults.c.created_at)
        if not include_spent:
            stmt = stmt.where(_live())
        return [dict(r) for r in conn.execute(stmt).mappings()]


def remove(fault_id: str | None = None) -> int:
    with db.session() as conn:
        stmt = faults.delete() if fault_id is None else faults.delete().where(faults.c.id == fault_id)
        count = conn.execute(stmt).rowcount
    LOG.warning("removed %d fault(s)%s", count, f" ({fault_id})" if fault_id else "")
    return count

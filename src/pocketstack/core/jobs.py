"""Durable background work: jobs are rows, any worker process claims them, restarts resume them.

A service registers a kind with `register(kind, run, on_failure)`. `enqueue(conn, ...)` writes the
job in the caller's transaction, so the resource and its pending work commit together. Workers
claim with FOR UPDATE SKIP LOCKED on PostgreSQL and a compare-and-set update on SQLite; a claim
is a lease, so a job whose worker died is taken again when the lease runs out. `run` must be
idempotent; it may return a number of seconds to be called again later (a multi-step job).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid

LOG = logging.getLogger("pocketstack.jobs")

jobs = sa.Table(
    "jobs", db.metadata,
    db.id_column(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False, default="pending"),
    sa.Column("run_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("max_attempts", sa.Integer, nullable=False, default=5),
    sa.Column("locked_by", sa.String(128)),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("last_error", sa.Text),
    *db.timestamps(),
    sa.Index("ix_jobs_state_run_at", "state", "run_at"),
)

LEASE = dt.timedelta(seconds=60)


@dataclass
class Kind:
    run: Callable[[dict[str, Any]], float | None]
    on_failure: Callable[[dict[str, Any], str], None] | None = None


KINDS: dict[str, Kind] = {}
_wakeup: asyncio.Event | None = None
_loop: asyncio.AbstractEventLoop | None = None


def register(kind: str, run: Callable[[dict[str, Any]], float | None],
             on_failure: Callable[[dict[str, Any], str], None] | None = None) -> None:
    KINDS[kind] = Kind(run, on_failure)


def enqueue(conn: Connection, kind: str, payload: dict[str, Any], *, delay: float = 0,
            max_attempts: int = 5) -> str:
    job_id = new_uuid()
    conn.execute(jobs.insert().values(
        id=job_id, kind=kind, payload=payload, state="pending", attempts=0, max_attempts=max_attempts,
        run_at=utcnow() + dt.timedelta(seconds=delay), created_at=utcnow()))
    conn.info.setdefault("wake_jobs", True)
    _poke()
    return job_id


def _poke() -> None:
    if _wakeup is not None and _loop is not None:
        _loop.call_soon_threadsafe(_wakeup.set)


def claim(worker: str) -> dict[str, Any] | None:
    now = utcnow()
    runnable = sa.or_(sa.and_(jobs.c.state == "pending", jobs.c.run_at <= now),
                      sa.and_(jobs.c.state == "running", jobs.c.locked_until < now))
    with db.session() as conn:
        stmt = sa.select(jobs).where(runnable, jobs.c.kind.in_(list(KINDS))).order_by(jobs.c.run_at).limit(1)
        if not db.is_sqlite():
            stmt = stmt.with_for_update(skip_locked=True)
        row = conn.execute(stmt).mappings().first()
        if row is None:
            return None
        done = conn.execute(jobs.update().where(jobs.c.id == row["id"], jobs.c.state == row["state"],
                                                jobs.c.attempts == row["attempts"]).values(
            state="running", locked_by=worker, locked_until=now + LEASE,
            attempts=row["attempts"] + 1, updated_at=now))
        return dict(row) if done.rowcount == 1 else None


def execute(job: dict[str, Any], worker: str) -> None:
    kind = KINDS[job["kind"]]
    try:
        again = kind.run(job["payload"])
    except Exception as exc:  # noqa: BLE001 - a job failure is recorded, never raised
        LOG.exception("job %s (%s) failed", job["id"], job["kind"])
        final = job["attempts"] + 1 >= job["max_attempts"]
        with db.session() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(
                state="failed" if final else "pending", last_error=repr(exc)[:2000], locked_by=None,
                run_at=utcnow() + dt.timedelta(seconds=min(2 ** job["attempts"], 30)), updated_at=utcnow()))
        if final and kind.on_failure is not None:
            kind.on_failure(job["payload"], repr(exc))
        return
    with db.session() as conn:
        if again is None:
            conn.execute(jobs.delete().where(jobs.c.id == job["id"]))
        else:
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(
                state="pending", locked_by=None, attempts=0,
                run_at=utcnow() + dt.timedelta(seconds=again), updated_at=utcnow()))


def release_dead_local_workers() -> int:
    """Jobs leased by a process of this host that no longer runs (a crash, a SIGKILL) are free
    again at once, instead of after their lease; other hosts' leases still run out as usual."""
    host = socket.gethostname()
    with db.session() as conn:
        rows = conn.execute(sa.select(jobs.c.id, jobs.c.locked_by).where(
            jobs.c.state == "running", jobs.c.locked_by.like(f"{host}:%"))).all()
        dead = [r.id for r in rows if not _alive(r.locked_by.rsplit(":", 1)[1])]
        if dead:
            conn.execute(jobs.update().where(jobs.c.id.in_(dead), jobs.c.state == "running").values(
                state="pending", locked_by=None, locked_until=None, run_at=utcnow()))
    return len(dead)


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def worker_loop(poll: float = 0.5, concurrency: int = 4) -> None:
    """Runs in every server process until cancelled."""
    global _wakeup, _loop
    _wakeup, _loop = asyncio.Event(), asyncio.get_running_loop()
    name = f"{socket.gethostname()}:{os.getpid()}"
    try:
        released = await anyio.to_thread.run_sync(release_dead_local_workers)
        if released:
            LOG.info("took back %d job(s) of stopped processes of this host", released)
    except Exception:  # noqa: BLE001 - the leases run out anyway
        LOG.exception("releasing jobs of stopped processes failed")
    limiter = anyio.CapacityLimiter(concurrency)
    async with anyio.create_task_group() as tg:
        while True:
            try:
                job = await anyio.to_thread.run_sync(claim, name) if KINDS else None
            except Exception:  # noqa: BLE001 - a busy or lost database must not stop the worker
                LOG.exception("claiming a job failed; retrying")
                await asyncio.sleep(poll)
                continue
            if job is not None:
                tg.start_soon(_run_one, job, name, limiter)
                continue
            _wakeup.clear()
            try:
                await asyncio.wait_for(_wakeup.wait(), timeout=poll)
            except asyncio.TimeoutError:
                pass


async def _run_one(job: dict[str, Any], name: str, limiter: anyio.CapacityLimiter) -> None:
    try:
        await anyio.to_thread.run_sync(execute, job, name, limiter=limiter)
    except Exception:  # noqa: BLE001 - the lease expires and another pass takes the job again
        LOG.exception("recording the outcome of job %s failed", job["id"])
    _poke()


def run_pending_now(limit: int = 1000) -> int:
    """Run every runnable job synchronously (tools and tests that have no event loop)."""
    count = 0
    while count < limit and (job := claim("inline")) is not None:
        execute(job, "inline")
        count += 1
    return count

"""Durable background work: jobs are rows, any worker process claims them, restarts resume them.

A service registers a kind with `register(kind, run, on_failure)`. `enqueue(conn, ...)` writes the
job in the caller's transaction, so the resource and its pending work commit together. Workers
claim with FOR UPDATE SKIP LOCKED on PostgreSQL and a compare-and-set update on SQLite; a claim
is a lease, so a job whose worker died is taken again when the lease runs out; while `run` works,
a heartbeat renews the lease (every LEASE / 3), so a long job is never claimed by a second worker.
A job enqueued with a `host` (compute work on a server: the host that runs its guest) is claimed only
by that host's processes (core.hosts.NAME); one without is claimed by any host. A pinned job whose host
is down waits for it.
`run` must be idempotent; it may return a number of seconds to be called again later (a multi-step
job).

Payloads are versioned: `enqueue` stores the kind's `version` as `v`; a payload without `v` is
version 1 (written before versions existed). A kind whose payload changes bumps its version and
gives `upgrade(payload, from_version) -> payload`, so jobs left pending by an older release still
run; a payload newer than this release knows is left for a newer worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, errors, faults, hosts, snapshots
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
    # only this host's processes claim it (None: any host); after the timestamps, where its migration put it
    sa.Column("host", sa.String(255)),
    sa.Index("ix_jobs_state_run_at", "state", "run_at"),
)

LEASE = dt.timedelta(seconds=60)
START_DELAY = 0.0               # seconds added before any job first runs (setting jobs.start_delay)
NEWER_PAYLOAD_RETRY = 30.0      # seconds before a payload too new for this release is looked at again


@dataclass
class Kind:
    run: Callable[[dict[str, Any]], float | None]
    on_failure: Callable[[dict[str, Any], str], None] | None = None
    version: int = 1
    upgrade: Callable[[dict[str, Any], int], dict[str, Any]] | None = None


KINDS: dict[str, Kind] = {}
_wakeup: asyncio.Event | None = None
_loop: asyncio.AbstractEventLoop | None = None
_busy = threading.Condition()
_claiming = 0                   # claims and runs under way in this process's workers
_pauses = 0                     # while > 0, this process's workers claim nothing


@contextlib.contextmanager
def paused(timeout: float = 10.0) -> Iterator[bool]:
    """This process's workers claim nothing inside; first waits (up to `timeout`) for the jobs they
    run to finish. Yields whether they all did (a restore under a running job would race it)."""
    global _pauses
    with _busy:
        _pauses += 1
        idle = _busy.wait_for(lambda: _claiming == 0, timeout)
    try:
        yield idle
    finally:
        with _busy:
            _pauses -= 1
        _poke()


def _start_claim() -> bool:
    global _claiming
    with _busy:
        if _pauses:
            return False
        _claiming += 1
        return True


def _end_claim() -> None:
    global _claiming
    with _busy:
        _claiming -= 1
        _busy.notify_all()


def register(kind: str, run: Callable[[dict[str, Any]], float | None],
             on_failure: Callable[[dict[str, Any], str], None] | None = None, *, version: int = 1,
             upgrade: Callable[[dict[str, Any], int], dict[str, Any]] | None = None) -> None:
    KINDS[kind] = Kind(run, on_failure, version, upgrade)
    _poke()       # a service loaded after the start: its jobs (interrupted ones too) are claimable now


def enqueue(conn: Connection, kind: str, payload: dict[str, Any], *, delay: float = 0,
            max_attempts: int = 5, host: str | None = None) -> str:
    job_id = new_uuid()
    registered = KINDS.get(kind)
    payload = {**payload, "v": registered.version if registered else 1}
    conn.execute(jobs.insert().values(
        id=job_id, kind=kind, payload=payload, state="pending", attempts=0, max_attempts=max_attempts, host=host,
        run_at=utcnow() + dt.timedelta(seconds=delay + START_DELAY), created_at=utcnow()))
    conn.info.setdefault("wake_jobs", True)
    _poke()
    return job_id


def _poke() -> None:
    wakeup, loop = _wakeup, _loop
    if wakeup is not None and loop is not None and not loop.is_closed():
        try:
            loop.call_soon_threadsafe(wakeup.set)
        except RuntimeError:   # the loop closed in between: nobody is waiting any more
            pass


def claim(worker: str) -> dict[str, Any] | None:
    snapshots.check_generation()        # another worker restored a snapshot: forget first (--workers N)
    now = utcnow()
    runnable = sa.or_(sa.and_(jobs.c.state == "pending", jobs.c.run_at <= now),
                      sa.and_(jobs.c.state == "running", jobs.c.locked_until < now))
    with db.session() as conn:
        if snapshots.watch_generations and snapshots.claims_paused(conn):    # a reset runs
            return None
        mine = sa.or_(jobs.c.host.is_(None), jobs.c.host == hosts.NAME)
        stmt = sa.select(jobs).where(runnable, mine, jobs.c.kind.in_(list(KINDS))).order_by(jobs.c.run_at).limit(1)
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


def payload_for(kind: Kind, stored: dict[str, Any]) -> dict[str, Any] | None:
    """The payload as this release's `run` expects it (without `v`); None if it is too new."""
    payload = dict(stored)
    version = int(payload.pop("v", 1))
    if version > kind.version:
        return None
    if version < kind.version and kind.upgrade is not None:
        payload = kind.upgrade(payload, version)
    return payload


class Heartbeat:
    """Renews a claimed job's lease while it runs, from a thread of its own; the claim's attempt
    number fences it, so a worker whose lease was lost (a stall past LEASE) renews nothing."""

    def __init__(self, job: dict[str, Any], worker: str) -> None:
        self.job_id, self.worker, self.attempt = job["id"], worker, job["attempts"] + 1
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.job_id[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(LEASE.total_seconds() / 3):
            try:
                if not self.renew():
                    self.lost = True
                    LOG.warning("job %s: lease lost by %s", self.job_id, self.worker)
                    return
            except Exception:  # noqa: BLE001 - a missed beat is retried; the lease has slack
                LOG.exception("renewing the lease of job %s failed", self.job_id)

    def renew(self) -> bool:
        with db.session() as conn:
            done = conn.execute(jobs.update().where(
                jobs.c.id == self.job_id, jobs.c.state == "running", jobs.c.locked_by == self.worker,
                jobs.c.attempts == self.attempt).values(locked_until=utcnow() + LEASE))
        return done.rowcount == 1


def execute(job: dict[str, Any], worker: str) -> None:
    kind = KINDS[job["kind"]]
    payload = payload_for(kind, job["payload"])
    if payload is None:
        LOG.warning("job %s (%s): payload version %s is newer than this release; left for a newer worker",
                    job["id"], job["kind"], job["payload"].get("v"))
        with db.session() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(
                state="pending", locked_by=None, locked_until=None, attempts=job["attempts"],
                run_at=utcnow() + dt.timedelta(seconds=NEWER_PAYLOAD_RETRY), updated_at=utcnow()))
        return
    try:
        faults.on_job(job["kind"], payload)
        with Heartbeat(job, worker):
            again = kind.run(payload)
    except Exception as exc:  # noqa: BLE001 - a job failure is recorded, never raised
        injected = isinstance(exc, faults.InjectedJobFault)
        if not injected:
            LOG.exception("job %s (%s) failed", job["id"], job["kind"])
        final = job["attempts"] + 1 >= job["max_attempts"] or (
            isinstance(exc, faults.InjectedJobFault) and not exc.retry)
        error = str(exc) if injected else repr(exc)
        with db.session() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(
                state="failed" if final else "pending", last_error=error[:2000], locked_by=None,
                run_at=utcnow() + dt.timedelta(seconds=min(2 ** job["attempts"], 30)), updated_at=utcnow()))
        if final and kind.on_failure is not None:
            kind.on_failure(payload, error)
        return
    with db.session() as conn:
        if again is None:
            conn.execute(jobs.delete().where(jobs.c.id == job["id"]))
        else:
            conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(
                state="pending", locked_by=None, attempts=0,
                run_at=utcnow() + dt.timedelta(seconds=again), updated_at=utcnow()))


def worker_name() -> str:
    """`HOST@MACHINE:PID`: the host name, and the machine on which the process id means something."""
    return f"{hosts.NAME}@{hosts.MACHINE}:{os.getpid()}"


def release_dead_local_workers() -> int:
    """Jobs leased by a process of this host (its host name, on this machine) that no longer runs (a
    crash, a SIGKILL) are free again at once, instead of after their lease; other hosts' leases still
    run out as usual."""
    prefix = f"{hosts.NAME}@{hosts.MACHINE}:"
    with db.session() as conn:
        rows = conn.execute(sa.select(jobs.c.id, jobs.c.locked_by).where(
            jobs.c.state == "running", jobs.c.locked_by.startswith(prefix, autoescape=True))).all()
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
    name = worker_name()
    try:
        released = await anyio.to_thread.run_sync(release_dead_local_workers)
        if released:
            LOG.info("took back %d job(s) of stopped processes of this host", released)
    except Exception:  # noqa: BLE001 - the leases run out anyway
        LOG.exception("releasing jobs of stopped processes failed")
    limiter = anyio.CapacityLimiter(concurrency)
    try:
        await _claim_forever(name, poll, limiter)
    finally:
        if _loop is asyncio.get_running_loop():
            _wakeup, _loop = None, None


async def _claim_forever(name: str, poll: float, limiter: anyio.CapacityLimiter) -> None:
    wakeup = _wakeup
    assert wakeup is not None
    async with anyio.create_task_group() as tg:
        while True:
            job = None
            if KINDS and _start_claim():
                try:
                    job = await anyio.to_thread.run_sync(claim, name)
                except Exception:  # noqa: BLE001 - a busy or lost database must not stop the worker
                    LOG.exception("claiming a job failed; retrying")
                    await asyncio.sleep(poll)
                    continue
                finally:
                    if job is None:
                        _end_claim()
            if job is not None:
                tg.start_soon(_run_one, job, name, limiter)
                continue
            wakeup.clear()
            try:
                await asyncio.wait_for(wakeup.wait(), timeout=poll)
            except asyncio.TimeoutError:
                pass


async def _run_one(job: dict[str, Any], name: str, limiter: anyio.CapacityLimiter) -> None:
    try:
        await anyio.to_thread.run_sync(execute, job, name, limiter=limiter)
    except Exception:  # noqa: BLE001 - the lease expires and another pass takes the job again
        LOG.exception("recording the outcome of job %s failed", job["id"])
    finally:
        _end_claim()
    _poke()


def run_pending_now(limit: int = 1000) -> int:
    """Run every runnable job synchronously (tools and tests that have no event loop)."""
    count = 0
    while count < limit and (job := claim("inline")) is not None:
        execute(job, "inline")
        count += 1
    return count


# --- calls: work one host must do while a caller waits ---------------------------------------------
# nova-api asks the compute host that runs a guest to attach a volume or read its console, and waits
# for the answer (an RPC call). `call(host, name, *args)` runs the registered function at once when
# `host` is this process's own (or None); otherwise a job pinned to that host runs it and leaves the
# answer in a row of its own (kind CALL_ANSWER, state "done", which no worker claims), which the
# caller reads and deletes. Arguments and answers are JSON; an ApiError raised there is raised here.
CALL, CALL_ANSWER = "host.call", "host.call.answer"
CALL_TIMEOUT = 60.0             # oslo.messaging's rpc_response_timeout
CALLS: dict[str, Callable[..., Any]] = {}


def register_call(name: str, fn: Callable[..., Any]) -> None:
    CALLS[name] = fn
    if CALL not in KINDS:
        register(CALL, _answer_call)


def here(host: str | None) -> bool:
    """Whether work for `host` runs in this process without a call (no host, or this one)."""
    return host is None or host == hosts.NAME


def call(host: str | None, name: str, *args: Any, timeout: float = CALL_TIMEOUT) -> Any:
    if here(host):
        return CALLS[name](*args)
    call_id = new_uuid()
    with db.session() as conn:
        job_id = enqueue(conn, CALL, {"call": name, "args": list(args), "answer": call_id},
                         host=host, max_attempts=1)
    deadline, delay = time.monotonic() + timeout, 0.01
    while True:
        with db.reader() as conn:
            answer = conn.execute(sa.select(jobs.c.payload).where(jobs.c.id == call_id)).scalar()
            lost = answer is None and conn.execute(sa.select(jobs.c.state).where(
                jobs.c.id == job_id)).scalar() == "failed"
        if answer is not None or lost or time.monotonic() > deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
    with db.session() as conn:
        conn.execute(jobs.delete().where(jobs.c.id.in_([call_id, job_id])))
    if answer is None:
        raise errors.ApiError(f"Timed out waiting for a reply to {name} from host {host}"
                              if not lost else f"{name} failed on host {host}")
    if "error" in answer:
        raise _error(answer["error"])
    return answer["result"]


def _answer_call(payload: dict[str, Any]) -> None:
    try:
        answer: dict[str, Any] = {"result": CALLS[payload["call"]](*payload["args"])}
    except errors.ApiError as exc:
        answer = {"error": {"type": type(exc).__name__, "status": exc.status, "title": exc.title,
                            "message": exc.message, "kind": exc.kind}}
    except Exception as exc:  # noqa: BLE001 - the caller gets a 500, as from a failed RPC
        LOG.exception("call %s failed", payload["call"])
        answer = {"error": {"type": "ApiError", "status": 500, "title": errors.ApiError.title,
                            "message": f"{payload['call']} failed on host {hosts.NAME}: {exc}", "kind": None}}
    with db.session() as conn:
        conn.execute(jobs.insert().values(id=payload["answer"], kind=CALL_ANSWER, payload=answer, state="done",
                                          attempts=0, max_attempts=0, host=hosts.NAME, run_at=utcnow(),
                                          created_at=utcnow()))


def _error(spec: dict[str, Any]) -> errors.ApiError:
    cls = getattr(errors, spec["type"], None)
    if not (isinstance(cls, type) and issubclass(cls, errors.ApiError)):
        cls = type(spec["type"], (errors.ApiError,), {"status": spec["status"], "title": spec["title"]})
    exc = cls.__new__(cls)
    errors.ApiError.__init__(exc, spec["message"], kind=spec["kind"])
    return exc

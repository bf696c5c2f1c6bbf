"""Durable jobs against a real database: claim, retry, lease expiry (a crashed worker), failure."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from pocketstack.core import db, faults, hosts, jobs
from pocketstack.core.clock import utcnow


@pytest.fixture()
def database(tmp_path):
    engine = db.configure(f"sqlite:///{tmp_path / 'jobs.db'}")
    jobs.jobs.create(engine)
    faults.faults.create(engine)     # the runner looks for injected job faults
    faults.forget()
    saved = dict(jobs.KINDS)
    jobs.KINDS.clear()
    yield engine
    jobs.KINDS.clear()
    jobs.KINDS.update(saved)


def test_a_job_runs_once_and_is_removed(database):
    seen = []
    jobs.register("t.once", lambda payload: seen.append(payload["n"]))
    with db.session() as conn:
        jobs.enqueue(conn, "t.once", {"n": 1})
    assert jobs.run_pending_now() == 1
    assert seen == [1]
    with db.reader() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs.jobs)).scalar() == 0


def test_a_rolled_back_transaction_leaves_no_job(database):
    jobs.register("t.rollback", lambda payload: None)
    with pytest.raises(RuntimeError):
        with db.session() as conn:
            jobs.enqueue(conn, "t.rollback", {})
            raise RuntimeError("the resource failed to save")
    assert jobs.run_pending_now() == 0


def test_multi_step_job_comes_back(database):
    steps = []

    def step(payload):
        steps.append(len(steps))
        return 0 if len(steps) < 3 else None

    jobs.register("t.steps", step)
    with db.session() as conn:
        jobs.enqueue(conn, "t.steps", {})
    jobs.run_pending_now()
    assert steps == [0, 1, 2]


def test_failures_retry_then_call_on_failure(database):
    failed = []

    def boom(payload):
        raise ValueError("no")

    jobs.register("t.fail", boom, on_failure=lambda payload, err: failed.append(err))
    with db.session() as conn:
        job_id = jobs.enqueue(conn, "t.fail", {}, max_attempts=2)
    jobs.run_pending_now()
    with db.session() as conn:  # skip the backoff delay
        conn.execute(jobs.jobs.update().values(run_at=utcnow()))
    jobs.run_pending_now()
    with db.reader() as conn:
        state = conn.execute(sa.select(jobs.jobs.c.state).where(jobs.jobs.c.id == job_id)).scalar()
    assert state == "failed" and failed and "ValueError" in failed[0]


def test_a_crashed_workers_job_is_taken_again_after_its_lease(database):
    ran = []
    jobs.register("t.lease", lambda payload: ran.append(1))
    with db.session() as conn:
        jobs.enqueue(conn, "t.lease", {})
    claimed = jobs.claim("worker-that-dies")
    assert claimed is not None and jobs.claim("other") is None   # leased: nobody else takes it
    with db.session() as conn:
        conn.execute(jobs.jobs.update().values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    assert jobs.run_pending_now() == 1 and ran == [1]


# --- leases renewed by a heartbeat; two workers -------------------------------------------------
def _databases() -> list[str]:
    import os
    return ["sqlite"] + (["postgresql"] if os.environ.get("POCKETSTACK_TEST_DATABASE_URL") else [])


@pytest.fixture(params=_databases())
def any_database(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    if request.param == "postgresql":
        import os

        from tests.conftest import _drop_postgres, _fresh_postgres
        url = _fresh_postgres(os.environ["POCKETSTACK_TEST_DATABASE_URL"])
    engine = db.configure(url)
    jobs.jobs.create(engine)
    faults.faults.create(engine)     # the runner looks for injected job faults
    faults.forget()
    saved = dict(jobs.KINDS)
    jobs.KINDS.clear()
    yield engine
    jobs.KINDS.clear()
    jobs.KINDS.update(saved)
    engine.dispose()
    if request.param == "postgresql":
        _drop_postgres(url)


def _two_workers_run(kind: str, seconds: float) -> None:
    """Two worker loops (as two server processes would run) until `seconds` pass."""
    import asyncio

    async def both() -> None:
        loops = [asyncio.create_task(jobs.worker_loop(poll=0.05)) for _ in range(2)]
        await asyncio.sleep(seconds)
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)

    asyncio.run(both())


def _long_job(runs: list[float], duration: float):
    import time

    def run(payload):
        runs.append(time.monotonic())
        time.sleep(duration)
    return run


def test_a_long_job_runs_once_with_two_workers(any_database, monkeypatch):
    monkeypatch.setattr(jobs, "LEASE", dt.timedelta(seconds=0.6))
    runs: list[float] = []
    jobs.register("t.long", _long_job(runs, 2.0))            # more than three leases long
    with db.session() as conn:
        jobs.enqueue(conn, "t.long", {})
    _two_workers_run("t.long", 3.5)
    assert len(runs) == 1
    with db.reader() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs.jobs)).scalar() == 0


def test_without_the_heartbeat_the_same_job_would_run_twice(any_database, monkeypatch):
    """The test above can fail: with the lease left to run out, the second worker takes the job."""
    class NoBeat(jobs.Heartbeat):
        def _beat(self) -> None:
            return None

    monkeypatch.setattr(jobs, "LEASE", dt.timedelta(seconds=0.6))
    monkeypatch.setattr(jobs, "Heartbeat", NoBeat)
    runs: list[float] = []
    jobs.register("t.long", _long_job(runs, 2.0))
    with db.session() as conn:
        jobs.enqueue(conn, "t.long", {})
    _two_workers_run("t.long", 3.5)
    assert len(runs) >= 2


def test_a_lost_lease_is_not_renewed(database):
    jobs.register("t.fenced", lambda payload: None)
    with db.session() as conn:
        jobs.enqueue(conn, "t.fenced", {})
    first = jobs.claim("w1")
    with db.session() as conn:      # w1 stalled past its lease; w2 takes the job
        conn.execute(jobs.jobs.update().values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    second = jobs.claim("w1")       # same process name, a later claim: the attempt number fences it
    assert first is not None and second is not None
    assert jobs.Heartbeat(second, "w1").renew() is True
    assert jobs.Heartbeat(first, "w1").renew() is False


# --- versioned payloads ---------------------------------------------------------------------------
def test_payloads_carry_their_version(database):
    seen = []
    jobs.register("t.v", lambda payload: seen.append(payload), version=3)
    with db.session() as conn:
        job_id = jobs.enqueue(conn, "t.v", {"server_id": "s1"})
        stored = conn.execute(sa.select(jobs.jobs.c.payload).where(jobs.jobs.c.id == job_id)).scalar()
    assert stored == {"server_id": "s1", "v": 3}
    jobs.run_pending_now()
    assert seen == [{"server_id": "s1"}]


def test_an_older_payload_is_upgraded_and_runs(database):
    seen = []
    jobs.register("t.old", lambda payload: seen.append(payload), version=2,
                  upgrade=lambda payload, old: {"user_id": payload["token_user"]})
    with db.session() as conn:   # written by a release before payload versions: no "v"
        conn.execute(jobs.jobs.insert().values(id="old-job", kind="t.old", payload={"token_user": "u1"},
                                               state="pending", attempts=0, max_attempts=5, run_at=utcnow(),
                                               created_at=utcnow()))
    assert jobs.run_pending_now() == 1
    assert seen == [{"user_id": "u1"}]


def test_a_payload_newer_than_this_release_waits(database):
    seen = []
    jobs.register("t.new", lambda payload: seen.append(payload))
    with db.session() as conn:
        conn.execute(jobs.jobs.insert().values(id="new-job", kind="t.new", payload={"v": 9, "x": 1},
                                               state="pending", attempts=0, max_attempts=5, run_at=utcnow(),
                                               created_at=utcnow()))
    jobs.run_pending_now()
    with db.reader() as conn:
        row = conn.execute(sa.select(jobs.jobs).where(jobs.jobs.c.id == "new-job")).mappings().one()
    assert seen == [] and row["state"] == "pending" and row["run_at"] > utcnow()


def _answer_as(host, monkeypatch):
    """Wait for a pending call job, then run it as `host` would."""
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with db.reader() as conn:
            if conn.execute(sa.select(jobs.jobs.c.id).where(jobs.jobs.c.kind == jobs.CALL)).first():
                break
        time.sleep(0.02)
    monkeypatch.setattr(hosts, "NAME", host)
    return jobs.run_pending_now()


def test_a_call_runs_on_its_host_and_answers_or_raises_the_api_error(database, monkeypatch):
    import threading
    from pocketstack.core import errors

    def double(n):
        if n < 0:
            raise errors.Conflict(f"cannot double {n}")
        return {"twice": n * 2}

    jobs.register_call("t.double", double)
    monkeypatch.setattr(hosts, "NAME", "here")
    assert jobs.call("here", "t.double", 4) == {"twice": 8}          # this host: at once, no job
    for n, expect in ((21, {"twice": 42}), (-1, errors.Conflict)):
        monkeypatch.setattr(hosts, "NAME", "here")
        got = []
        caller = threading.Thread(target=lambda: got.append(_outcome(lambda: jobs.call("there", "t.double", n))))
        caller.start()
        assert _answer_as("there", monkeypatch) == 1
        caller.join(10)
        if isinstance(expect, dict):
            assert got == [expect]
        else:
            assert isinstance(got[0], expect) and got[0].message == "cannot double -1" and got[0].status == 409
    with db.reader() as conn:                                        # question and answer are gone
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs.jobs)).scalar() == 0


def test_a_call_nobody_answers_times_out_and_leaves_nothing(database, monkeypatch):
    from pocketstack.core import errors
    jobs.register_call("t.never", lambda: None)
    monkeypatch.setattr(hosts, "NAME", "here")
    with pytest.raises(errors.ApiError) as info:
        jobs.call("gone", "t.never", timeout=0.3)
    assert info.value.status == 500 and "host gone" in info.value.message
    with db.reader() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs.jobs)).scalar() == 0


def _outcome(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the test looks at what was raised
        return exc

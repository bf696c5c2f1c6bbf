"""Durable jobs against a real database: claim, retry, lease expiry (a crashed worker), failure."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from pocketstack.core import db, jobs
from pocketstack.core.clock import utcnow


@pytest.fixture()
def database(tmp_path):
    engine = db.configure(f"sqlite:///{tmp_path / 'jobs.db'}")
    jobs.jobs.create(engine)
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

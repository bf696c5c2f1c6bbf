"""The write transaction on SQLite: this process's writers take turns, and a turn is never waited
for forever (a writer blocked on work that itself needs a write turn fails instead of hanging)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from pocketstack.core import db


@pytest.fixture()
def sqlite(tmp_path, monkeypatch):
    db.configure(f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setattr(db, "WRITE_TURN_TIMEOUT", 0.3)
    with db.session() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")


def test_writers_of_one_process_take_turns(sqlite):
    def write(n: int) -> None:
        with db.session() as conn:
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({n})")
    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.reader() as conn:
        assert sorted(conn.exec_driver_sql("SELECT x FROM t").scalars()) == list(range(16))


def test_a_write_turn_is_not_waited_for_forever(sqlite):
    errors: list[Exception] = []

    def blocked() -> None:
        try:
            with db.session():
                pass
        except sa.exc.OperationalError as exc:
            errors.append(exc)
    started = time.monotonic()
    with db.session():
        waiter = threading.Thread(target=blocked)
        waiter.start()
        waiter.join(5)
    assert not waiter.is_alive() and len(errors) == 1 and "database is locked" in str(errors[0])
    assert time.monotonic() - started < 3
    with db.session():   # the turn is free again afterwards
        pass

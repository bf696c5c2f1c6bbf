"""Upgrades: `upgrade head` on an empty database gives exactly the models; a newer or unknown
revision is refused; `pocketstack db upgrade | check | current`."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa

from pocketstack import services
from pocketstack.cli import main
from pocketstack.core import db

services.load_all()          # every table


def _urls(tmp_path) -> list[str]:
    return [f"sqlite:///{tmp_path / 'up.db'}"]


def test_upgrade_head_on_an_empty_sqlite_database_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'up.db'}"
    db.upgrade(url)
    assert db.current_revision(url) == db.head_revision()
    assert db.schema_differences(url) == []


@pytest.mark.skipif(not os.environ.get("POCKETSTACK_TEST_DATABASE_URL"), reason="no PostgreSQL configured")
def test_upgrade_head_on_an_empty_postgresql_database_matches_the_models():
    from tests.conftest import _drop_postgres, _fresh_postgres
    url = _fresh_postgres(os.environ["POCKETSTACK_TEST_DATABASE_URL"])
    try:
        db.upgrade(url)
        db.upgrade(url)                       # again: nothing to do, under the advisory lock
        assert db.schema_differences(url) == []
    finally:
        _drop_postgres(url)


def _stamp(url: str, revision: str) -> None:
    engine = db.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_an_unknown_revision_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'up.db'}"
    db.upgrade(url)
    _stamp(url, "9999_from_the_future")
    with pytest.raises(db.SchemaError, match="9999_from_the_future"):
        db.upgrade(url)
    with pytest.raises(db.SchemaError):
        db.check_revision(url)


def test_db_commands(tmp_path, capsys):
    args = ["--data-dir", str(tmp_path)]
    assert main(["db", "current", *args]) == 0
    assert "empty" in capsys.readouterr().out
    assert main(["db", "check", *args]) == 1                 # nothing applied yet
    assert main(["db", "upgrade", *args]) == 0
    assert main(["db", "current", *args]) == 0
    assert capsys.readouterr().out.strip().endswith(db.head_revision())
    assert main(["db", "check", *args]) == 0
    assert "matching the models" in capsys.readouterr().out
    _stamp(f"sqlite:///{tmp_path / 'pocketstack.db'}", "9999_from_the_future")
    assert main(["db", "check", *args]) == 1
    assert "9999_from_the_future" in capsys.readouterr().err


def test_the_server_refuses_to_start_on_an_unknown_revision_in_one_line(tmp_path):
    assert main(["db", "upgrade", "--data-dir", str(tmp_path)]) == 0
    _stamp(f"sqlite:///{tmp_path / 'pocketstack.db'}", "9999_from_the_future")
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--port", "1", "--data-dir",
                           str(tmp_path), "--admin-password", "x"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("pocketstack: refusing to start:") and "9999" in lines[0]


def test_the_head_read_without_alembic_is_alembics(tmp_path):
    """A restart skips Alembic when the database is stamped with the head read from the version files."""
    url = f"sqlite:///{tmp_path / 'up.db'}"
    assert db.known_head() == db.head_revision()
    assert db.at_head(url) is False                      # empty: no alembic_version table
    db.upgrade(url)
    assert db.at_head(url) is True
    with db.create_engine(url).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    assert db.at_head(url) is False                      # behind: Alembic upgrades it


def _schema(url: str) -> dict[str, Any]:
    """Everything a database's schema says, table by table (columns in order with their types,
    nullability, server defaults and keys; indexes, unique and foreign key constraints), and every row."""
    engine = db.create_engine(url)
    out: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            for name in inspector.get_table_names():
                out[name] = {
                    "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("autoincrement"))
                                for c in inspector.get_columns(name)],
                    "pk": inspector.get_pk_constraint(name),
                    "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                                      for i in inspector.get_indexes(name)),
                    "unique": sorted((u["name"], tuple(u["column_names"]))
                                     for u in inspector.get_unique_constraints(name)),
                    "foreign_keys": sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"],
                                            tuple(f["referred_columns"]), repr(sorted(f["options"].items())))
                                           for f in inspector.get_foreign_keys(name)),
                    "checks": sorted(repr(sorted(c.items())) for c in inspector.get_check_constraints(name)),
                    "rows": sorted(repr(tuple(r)) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"'))),
                }
    finally:
        engine.dispose()
    return out


def _same_schema_both_ways(migrated: str, created: str) -> None:
    db.upgrade(migrated)
    assert db.is_empty(created)
    db.create_schema(created)
    assert db.at_head(created)
    made, fast = _schema(migrated), _schema(created)
    assert sorted(made) == sorted(fast)
    for table in made:
        assert made[table] == fast[table], table
    assert db.schema_differences(created) == []


def test_a_first_start_schema_from_the_models_is_the_migrations_schema_on_sqlite(tmp_path):
    """prepare() creates an empty database from the models and stamps it (no Alembic): the result must be
    what the migrations make, rows included (a migration that inserts rows puts them in its table's
    info["seed"] too)."""
    _same_schema_both_ways(f"sqlite:///{tmp_path / 'migrated.db'}", f"sqlite:///{tmp_path / 'created.db'}")


@pytest.mark.skipif(not os.environ.get("POCKETSTACK_TEST_DATABASE_URL"), reason="no PostgreSQL configured")
def test_a_first_start_schema_from_the_models_is_the_migrations_schema_on_postgresql():
    from tests.conftest import _drop_postgres, _fresh_postgres
    base = os.environ["POCKETSTACK_TEST_DATABASE_URL"]
    migrated, created = _fresh_postgres(base), _fresh_postgres(base)
    try:
        _same_schema_both_ways(migrated, created)
    finally:
        _drop_postgres(migrated)
        _drop_postgres(created)


def test_create_schema_leaves_a_used_database_to_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'up.db'}"
    engine = db.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO someone_elses VALUES (7)")
    engine.dispose()
    assert not db.is_empty(url)
    db.create_schema(url)                      # not empty: Alembic's upgrade, which keeps what is there
    assert db.current_revision(url) == db.head_revision()
    assert _schema(url)["someone_elses"]["rows"] == ["(7,)"]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_packaged_schema_scripts_are_the_models(dialect):
    """A first start runs migrations/schema/<dialect>.sql (no service imported); it must be what the
    models make at the head revision. After a model change: `pocketstack db write-schema`."""
    assert (db.SCHEMA_DIR / f"{dialect}.sql").read_text() == db.schema_script(dialect), \
        "stale schema script: run `pocketstack db write-schema`"


def test_a_stale_schema_script_falls_back_to_the_models(tmp_path, monkeypatch):
    stale = tmp_path / "schema"
    stale.mkdir()
    (stale / "sqlite.sql").write_text("-- pocketstack schema at revision 0001\nCREATE TABLE wrong (id INTEGER);\n")
    monkeypatch.setattr(db, "SCHEMA_DIR", stale)
    loaded = []
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    db.create_schema(url, lambda: loaded.append(True))
    assert loaded == [True]                      # the script was not at head: the models made it
    assert "wrong" not in _schema(url) and db.at_head(url)
    assert db.schema_differences(url) == []

"""Whole-cloud snapshots: every table's rows and the blob store's files, saved under a name and put back.

The database part is consistent on both engines. SQLite: `VACUUM INTO` writes a copy of the
database file from one read transaction (it may run while the cloud serves). PostgreSQL: a schema
`pocketstack_snapshot_<name>` in the same database holds a copy of every table, made in one
REPEATABLE READ transaction. A restore replaces the rows of every table in one write transaction
(foreign keys checked at its commit), so it may run under a live process, which then sees the old
cloud or the restored one, never a mix; the running process must also forget what it derived from
the old rows (`forget_on_restore`) and stop its job workers meanwhile (`core.jobs.paused`): the
reset endpoint does both.

Bytes: the blob tree is copied (sparse files stay sparse) with a manifest of sizes and mtimes; a
restore deletes the files the snapshot does not have and copies back those that differ. With the
ceph blob backend the Swift objects and image data are RADOS objects, not files: the store copies
its blobs into a RADOS namespace of the snapshot's name and a restore puts back the blobs that
changed (core.blobs_ceph); the tree copy still covers what stays in files (block storage volumes).

The snapshot named `bootstrap` is taken at the end of a first start: the state `reset` returns to.

Several worker processes: every restore bumps the cloud's generation (a row of its own, never part
of a snapshot) in its own transaction, and each worker compares it with the one it last saw at
every request and before every job claim (`check_generation`, on when `watch_generations` is set),
forgetting its caches when it changed. While a reset runs, `jobs_paused_until` keeps every worker
from claiming jobs (`claims_paused`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pocketstack.core import blobs, db
from pocketstack.core.clock import isotime, utcnow

LOG = logging.getLogger("pocketstack.snapshots")
BOOTSTRAP = "bootstrap"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
GENERATION_TABLE = "pocketstack_generation"
SKIP_TABLES = {"alembic_version", GENERATION_TABLE}
STATS = {"sqlite_stat1", "sqlite_stat4"}        # ANALYZE's statistics: the planner's, not the cloud's
_forget: list[Callable[[], None]] = []

generation = sa.Table(
    GENERATION_TABLE, db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),   # one row, id 1
    sa.Column("value", sa.Integer, nullable=False, default=0),            # bumped by every restore
    sa.Column("jobs_paused_until", sa.DateTime),                          # no worker claims a job before
)
watch_generations = False           # set by a worker of several (--workers N): check per request
_seen: int | None = None


class SnapshotError(RuntimeError):
    pass


def forget_on_restore(clear: Callable[[], None]) -> Callable[[], None]:
    """Register what a process must drop when the rows under it change (a cache derived from them)."""
    _forget.append(clear)
    return clear


def forget_everything() -> None:
    for clear in _forget:
        clear()
    db.invalidate_all()


# --- generations (several workers) -------------------------------------------------------------
# run in the restore's own transaction, so no worker sees the new rows with the old generation
BUMP = f"UPDATE {GENERATION_TABLE} SET value = value + 1 WHERE id = 1"


def current_generation(conn: sa.Connection) -> int:
    value = conn.execute(sa.select(generation.c.value).where(generation.c.id == 1)).scalar()
    return int(value or 0)


def check_generation() -> None:
    """Forget this process's caches when another process restored a snapshot since we last looked."""
    global _seen
    if not watch_generations:
        return
    with db.reader() as conn:
        value = current_generation(conn)
    if _seen is not None and value != _seen:
        LOG.info("the cloud was restored by another worker (generation %s): forgetting caches", value)
        forget_everything()
    _seen = value


def _saw_restore() -> None:
    global _seen
    with db.reader() as conn:
        _seen = current_generation(conn)        # this process restored, and forgot already


def pause_claims(seconds: float) -> None:
    """No worker claims a job for `seconds` (None: claims again); takes the row lock the claims share."""
    until = utcnow() + dt.timedelta(seconds=seconds) if seconds else None
    with db.session() as conn:
        conn.execute(generation.update().where(generation.c.id == 1).values(jobs_paused_until=until))


def claims_paused(conn: sa.Connection) -> bool:
    """Inside a claim's transaction; on PostgreSQL it holds the row (FOR SHARE) until the claim commits,
    so a reset that pauses claims and then counts running jobs sees every claim made before."""
    stmt = sa.select(generation.c.jobs_paused_until).where(generation.c.id == 1)
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update(read=True)
    until = conn.execute(stmt).scalar()
    return until is not None and until > utcnow()


def running_jobs(conn: sa.Connection) -> int:
    """Jobs some worker runs now (its lease not run out)."""
    query = sa.text("SELECT count(*) FROM jobs WHERE state = 'running' AND locked_until > :now")
    return int(conn.execute(query, {"now": utcnow()}).scalar() or 0)


def directory(data_dir: Path, name: str) -> Path:
    if not NAME.match(name):
        raise SnapshotError(f"bad snapshot name {name!r}: lower-case letters, digits, '-' and '_', up to 41")
    return data_dir / "snapshots" / name


def _pg_schema(name: str) -> str:
    return "pocketstack_snapshot_" + name.replace("-", "_")


def _tables(conn: sa.Connection) -> list[str]:
    """Every table of the cloud, parents before children (so inserts satisfy foreign keys); the
    caller has imported pocketstack.services, whose tables give the order."""
    return _ordered(set(sa.inspect(conn).get_table_names()) - SKIP_TABLES)


# --- save ------------------------------------------------------------------------------------
def save(data_dir: Path, name: str) -> dict[str, Any]:
    started = time.perf_counter()
    target = directory(data_dir, name)
    staging = target.with_name(f".{name}.saving")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    engine = db.engine()
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()          # quirk: VACUUM refuses to run inside a transaction
        try:
            raw.cursor().execute("VACUUM INTO ?", (str(staging / "pocketstack.db"),))
        finally:
            raw.close()
    else:
        _pg_save(engine, _pg_schema(name))
    manifest = _copy_tree(db_blob_root(data_dir), staging / "blobs")
    store = blobs.store()
    kept = store.save_snapshot(name)        # a backend other than files keeps its own copy
    meta = {"name": name, "created_at": isotime(utcnow()), "dialect": engine.dialect.name,
            "revision": _revision(), "files": len(manifest) + kept,
            "bytes": sum(size for size, _ in manifest.values()), "blob_backend": store.name}
    (staging / "manifest.json").write_text(json.dumps(manifest))
    (staging / "meta.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    LOG.info("saved snapshot %s in %.3fs", name, time.perf_counter() - started)
    return meta


def _pg_save(engine: sa.Engine, schema: str) -> None:
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        for table in _tables(conn):
            conn.exec_driver_sql(f'CREATE TABLE "{schema}"."{table}" AS TABLE "{table}"')
        conn.commit()


def _revision() -> str | None:
    with db.reader() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def db_blob_root(data_dir: Path) -> Path:
    return data_dir / "blobs"


def exists(data_dir: Path, name: str) -> bool:
    return (directory(data_dir, name) / "meta.json").exists()


# --- list ------------------------------------------------------------------------------------
def list_snapshots(data_dir: Path) -> list[dict[str, Any]]:
    root = data_dir / "snapshots"
    if not root.is_dir():
        return []
    found = []
    for meta in sorted(root.glob("*/meta.json")):
        found.append(json.loads(meta.read_text()))
    return found


def delete(data_dir: Path, name: str) -> None:
    target = directory(data_dir, name)
    if not target.is_dir():
        raise SnapshotError(f"no snapshot named {name}")
    if db.engine().dialect.name != "sqlite":
        with db.session() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{_pg_schema(name)}" CASCADE')
    blobs.store().delete_snapshot(name)
    shutil.rmtree(target)


# --- restore ---------------------------------------------------------------------------------
def restore(data_dir: Path, name: str) -> float:
    """Put the named snapshot back; returns the seconds it took."""
    started = time.perf_counter()
    source = directory(data_dir, name)
    if not (source / "meta.json").exists():
        raise SnapshotError(f"no snapshot named {name}")
    meta = json.loads((source / "meta.json").read_text())
    engine = db.engine()
    if meta["dialect"] != engine.dialect.name:
        raise SnapshotError(f"snapshot {name} was taken on {meta['dialect']}, the cloud runs on {engine.dialect.name}")
    if meta["revision"] != _revision():
        raise SnapshotError(f"snapshot {name} has schema revision {meta['revision']}, the database "
                            f"{_revision()}: restore it with the release that took it")
    if meta.get("blob_backend", "files") != blobs.store().name:
        raise SnapshotError(f"snapshot {name} was taken with the {meta.get('blob_backend', 'files')} blob backend, "
                            f"the cloud runs with {blobs.store().name}")
    if engine.dialect.name == "sqlite":
        _sqlite_restore(source / "pocketstack.db")
    else:
        _pg_restore(_pg_schema(name))
    try:
        blobs.store().restore_snapshot(name)
    except FileNotFoundError as err:
        raise SnapshotError(str(err)) from None
    _restore_tree(source / "blobs", json.loads((source / "manifest.json").read_text()), db_blob_root(data_dir))
    forget_everything()
    if watch_generations:
        _saw_restore()
    seconds = time.perf_counter() - started
    LOG.info("restored snapshot %s in %.3fs", name, seconds)
    return seconds


def _sqlite_restore(snapshot_file: Path) -> None:
    # quirk: ATTACH and PRAGMA foreign_keys are refused inside a transaction: both come before the
    # explicit BEGIN IMMEDIATE. Foreign keys are off for the copy (no ON DELETE action fires, and
    # SQLite's deferred-violation counter miscounts tables refilled child first); the rows come
    # from one consistent database, so they are consistent again at the commit.
    with db.write_turn():
        raw = db.engine().raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("ATTACH DATABASE ? AS snap", (str(snapshot_file),))
            try:
                cur.execute("BEGIN IMMEDIATE")
                try:
                    _copy_rows(cur, "snap", _sqlite_tables(cur))
                    cur.execute(BUMP)
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
            finally:
                cur.execute("DETACH DATABASE snap")
                cur.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()


def _sqlite_tables(cur: Any) -> list[str]:
    live = {r[0] for r in cur.execute("SELECT name FROM main.sqlite_master WHERE type='table'")}
    saved = {r[0] for r in cur.execute("SELECT name FROM snap.sqlite_master WHERE type='table'")}
    if (live - SKIP_TABLES - STATS) != (saved - SKIP_TABLES - STATS):
        raise SnapshotError(f"the snapshot's tables differ from the database's: {sorted(live ^ saved)[:5]}")
    return _ordered(live - SKIP_TABLES - STATS)


def _ordered(names: set[str]) -> list[str]:
    ordered = [t.name for t in db.metadata.sorted_tables if t.name in names]
    return ordered + sorted(names - set(ordered))


def _copy_rows(cur: Any, schema: str, tables: list[str]) -> None:
    """Replace every table's rows (sqlite_sequence too, so AUTOINCREMENT ids start where they did),
    all deletes first."""
    for table in reversed(tables):
        cur.execute(f'DELETE FROM main."{table}"')
    for table in tables:
        cur.execute(f'INSERT INTO main."{table}" SELECT * FROM {schema}."{table}"')


def _pg_restore(schema: str) -> None:
    with db.session() as conn:
        tables = _tables(conn)
        saved = set(sa.inspect(conn).get_table_names(schema=schema))
        if set(tables) != saved:
            raise SnapshotError(f"the snapshot's tables differ from the database's: {sorted(set(tables) ^ saved)[:5]}")
        # DELETE, children first, not TRUNCATE: a TRUNCATE of ~150 small tables costs seconds
        for table in reversed(tables):
            conn.exec_driver_sql(f'DELETE FROM "{table}"')
        for table in tables:
            conn.exec_driver_sql(f'INSERT INTO "{table}" SELECT * FROM "{schema}"."{table}"')
        for table, column in _serial_columns(conn, tables):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)')
        conn.exec_driver_sql(BUMP)


def _serial_columns(conn: sa.Connection, tables: list[str]) -> list[tuple[str, str]]:
    rows = conn.exec_driver_sql(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND column_default LIKE 'nextval(%%'").all()
    wanted = set(tables)
    return [(t, c) for t, c in rows if t in wanted]


# --- bytes -----------------------------------------------------------------------------------
def _manifest(root: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    if not root.is_dir():
        return out
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            if f.startswith(".tmp-"):
                continue
            p = Path(dirpath) / f
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def _copy_tree(source: Path, target: Path) -> dict[str, tuple[int, int]]:
    target.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(source)
    if manifest:
        subprocess.run(["cp", "-a", "--sparse=always", "--reflink=auto", f"{source}/.", str(target)], check=True)
    return manifest


def _restore_tree(saved: Path, manifest: dict[str, list[int]], live: Path) -> None:
    current = _manifest(live)
    for rel, stamp in current.items():
        if rel not in manifest:
            (live / rel).unlink(missing_ok=True)
    for rel, (size, mtime_ns) in manifest.items():
        if current.get(rel) != (size, mtime_ns):
            _copy_file(saved / rel, live / rel)
    for dirpath, dirs, files in os.walk(live, topdown=False):
        if not dirs and not files and Path(dirpath) != live:
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-restore-{target.name}")
    if source.stat().st_size < (1 << 20):
        shutil.copy2(source, tmp)
    else:
        subprocess.run(["cp", "-a", "--sparse=always", "--reflink=auto", str(source), str(tmp)], check=True)
    os.replace(tmp, target)

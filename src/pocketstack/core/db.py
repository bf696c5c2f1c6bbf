"""The database: one engine per process, one metadata for every service, Alembic on start.

SQLite (WAL) is the default; PostgreSQL by URL. On SQLite a write transaction starts with
BEGIN IMMEDIATE so that two writers queue on the busy timeout instead of failing on upgrade.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

LOG = logging.getLogger("pocketstack.db")

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

_engine: Engine | None = None
_lock = threading.Lock()


def normalize_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'pocketstack.db'}"


_EMPTY_JSON: dict[str, Any] = {"{}": dict, "[]": list, "null": lambda: None}


def json_loads(text: str) -> Any:
    """JSON columns hold `{}` in most rows (options, extra): skip the parser for those."""
    empty = _EMPTY_JSON.get(text)
    return empty() if empty is not None else json.loads(text)


def dicts(result: sa.CursorResult[Any]) -> list[dict[str, Any]]:
    """A result's rows as plain dicts, the keys read once (dict(row_mapping) asks for them per row,
    which a page of a thousand rows feels)."""
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result]


def create_engine(url: str) -> Engine:
    """hide_parameters: a database error logged with its traceback never quotes the values (secrets)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 60},
                                  pool_size=20, max_overflow=20, json_deserializer=json_loads,
                                  hide_parameters=True)
        _sqlite_pragmas(engine)
    else:
        engine = sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                                  json_deserializer=json_loads, hide_parameters=True)
    return engine


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=60000", "foreign_keys=ON", "synchronous=NORMAL"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.info.pop("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_generations: dict[str, int] = {}


def generation(prefix: str) -> int:
    """How many committed transactions of this process wrote a table named `prefix*`: a cheap
    way for caches to notice that what they derived from those tables may have changed."""
    return _generations.get(prefix, 0)


def _track_writes(engine: Engine) -> None:
    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Connection, _cursor: Any, _stmt: str, _params: Any, context: Any, _many: bool) -> None:
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            table = getattr(getattr(context.compiled, "statement", None), "table", None)
            if table is not None:
                conn.info.setdefault("written", set()).add(table.name.split("_", 1)[0] + "_")


def invalidate_all() -> None:
    """Every table may have changed (a snapshot was restored under this process)."""
    for table in metadata.tables.values():
        prefix = table.name.split("_", 1)[0] + "_"
        _generations[prefix] = _generations.get(prefix, 0) + 1


def _count_writes(conn: Connection) -> None:
    """After a commit (never before it, so a reader that sees the new number sees the data)."""
    for prefix in conn.info.pop("written", ()):
        _generations[prefix] = _generations.get(prefix, 0) + 1


def configure(url: str) -> Engine:
    global _engine
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = create_engine(url)
        _track_writes(_engine)
    return _engine


@contextlib.contextmanager
def _engine_for(url: str) -> Iterator[Engine]:
    """The configured engine when it is this URL's (a start checks and makes the schema of the
    database it has just configured), else one for this use only."""
    if _engine is not None and _engine.url.render_as_string(hide_password=False) == normalize_url(url):
        yield _engine
        return
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("database not configured")
    return _engine


def is_sqlite() -> bool:
    return engine().dialect.name == "sqlite"


# SQLite has one writer at a time, and its busy handler makes the others sleep 1, 2, 5 ... 100 ms
# between tries, so under load a writer can wait far longer than the lock is ever held. The
# writers of this process queue here instead, in order (re-entrant, so a nested session behaves
# as before); other processes still meet SQLite's busy timeout. PostgreSQL needs no queue.
# The wait is bounded like SQLite's own busy timeout: a writer that waits on work which itself
# needs a write turn fails after a minute instead of hanging the process.
_writers = threading.RLock()
WRITE_TURN_TIMEOUT = 60.0


@contextlib.contextmanager
def write_turn() -> Iterator[None]:
    """This process's turn to write (SQLite); for work that writes outside `session()`."""
    if not is_sqlite():
        yield
        return
    if not _writers.acquire(timeout=WRITE_TURN_TIMEOUT):
        LOG.error("no write turn for %.0f s; the thread that holds it (since %.1f s) is at:\n%s",
                  WRITE_TURN_TIMEOUT, time.monotonic() - _holder[1], _stack_of(_holder[0]))
        raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, Exception(
            f"database is locked (no write turn in this process for {WRITE_TURN_TIMEOUT:.0f} s)"))
    _turns.depth = getattr(_turns, "depth", 0) + 1
    if _turns.depth == 1:
        _holder[:] = [threading.get_ident(), time.monotonic()]
    try:
        yield
    finally:
        _turns.depth -= 1
        if _turns.depth == 0:
            held = time.monotonic() - _holder[1]
            if held > SLOW_WRITE_TURN:
                LOG.warning("a write turn was held for %.1f s, by:\n%s", held, "".join(traceback.format_stack()[:-2]))
        _writers.release()


_holder: list[Any] = [None, 0.0]        # the thread holding the write turn, and since when (monotonic)
SLOW_WRITE_TURN = 10.0                  # a write turn held longer is logged with its holder's stack


def _stack_of(thread_id: int | None) -> str:
    frame = sys._current_frames().get(thread_id) if thread_id is not None else None
    return "".join(traceback.format_stack(frame)) if frame is not None else "(no thread)"


_turns = threading.local()


def holds_write_turn() -> bool:
    """True while this thread is inside a write turn (SQLite): work that needs a write turn of its
    own, on another thread this one waits for (an in-process call that issues a token), would wait
    for it in vain."""
    return getattr(_turns, "depth", 0) > 0


@contextlib.contextmanager
def session() -> Iterator[Connection]:
    """A write transaction: commits on success, rolls back on any exception."""
    with write_turn(), engine().connect() as conn:
        _begin_write(conn)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            conn.info.pop("written", None)
            conn.info.pop("after_commit", None)
            raise
        conn.commit()
        _count_writes(conn)
        for callback in conn.info.pop("after_commit", ()):
            try:
                callback()
            except Exception:  # noqa: BLE001 - the transaction stands; what follows it is best effort
                LOG.exception("after commit")


def after_commit(conn: Connection, callback: Callable[[], None]) -> None:
    """Run `callback` once `session()`'s transaction on `conn` committed (never if it rolls back):
    for what must not happen for a change that may yet be undone, such as a notification."""
    conn.info.setdefault("after_commit", []).append(callback)


def _begin_write(conn: Connection) -> None:
    # quirk: SQLite may answer BEGIN IMMEDIATE with "database is locked" at once instead of
    # waiting out its busy timeout (WAL recovery, a checkpoint); try again for a while.
    delay = 0.01
    for _ in range(200):
        conn.info["immediate"] = True
        try:
            conn.begin()
            return
        except sa.exc.OperationalError as exc:
            if "locked" not in str(exc) or conn.dialect.name != "sqlite":
                raise
            conn.rollback()
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
    conn.info["immediate"] = True
    conn.begin()


@contextlib.contextmanager
def reader() -> Iterator[Connection]:
    """A read-only transaction (no write lock on SQLite)."""
    with engine().connect() as conn:
        conn.info["immediate"] = False
        with conn.begin():
            yield conn


# --- column helpers --------------------------------------------------------

def id_column(name: str = "id", length: int = 64) -> sa.Column:
    return sa.Column(name, sa.String(length), primary_key=True)


def timestamps() -> list[sa.Column]:
    from pocketstack.core.clock import utcnow
    return [sa.Column("created_at", sa.DateTime, nullable=False, default=utcnow),
            sa.Column("updated_at", sa.DateTime, nullable=True, onupdate=utcnow)]


def json_column(name: str, **kw: Any) -> sa.Column:
    return sa.Column(name, sa.JSON, **kw)


# --- migrations ------------------------------------------------------------

def alembic_config(url: str) -> Any:
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent.parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


class SchemaError(RuntimeError):
    """The database's schema is not one this release can use (newer, unknown, or behind)."""


UPGRADE_LOCK = 0x706f636b   # PostgreSQL advisory lock key ("pock"): one upgrader at a time


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(url: str) -> str | None:
    """The revision the database is stamped with; None for an empty database."""
    from alembic.migration import MigrationContext
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def check_revision(url: str) -> str | None:
    """Refuse a database stamped with a revision this release does not know (written by a newer
    pocketstack, or by another branch): upgrading or serving it could lose data."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError
    current = current_revision(url)
    if current is None:
        return None
    try:
        ScriptDirectory.from_config(alembic_config(url)).get_revision(current)
    except CommandError:
        raise SchemaError(f"the database schema is at revision {current}, which this pocketstack does not "
                          f"know (its newest is {head_revision()}): it was written by a newer or different "
                          "release; run that release, or restore a backup") from None
    return current


_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]\s*(?:#.*)?$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)\s*(?:#.*)?$", re.M)


def known_head() -> str | None:
    """The head of the migration chain from the version files' `revision = '...'` and
    `down_revision = '...'` lines, without importing Alembic; None when they are not one simple
    chain (a merge, a branch, a line this cannot read): then Alembic decides."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*.py"):
        text = path.read_text()
        rev, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if rev is None and down is None:
            continue                      # __init__.py
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        if down.group(1):
            downs.add(down.group(1))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 and len(downs) == len(revisions) - 1 else None


def at_head(url: str) -> bool:
    """True when the database is stamped with the known head: a restart of an up-to-date data dir
    needs neither Alembic (a few hundred ms of imports and script loading) nor any migration."""
    head = known_head()
    if head is None:
        return False
    try:
        with _engine_for(url) as engine, engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except sa.exc.DBAPIError:            # no alembic_version table: an empty database
        return False
    return rows == [head]


def upgrade(url: str) -> None:
    """Apply every migration (the whole history is one Alembic chain; env.py loads the tables), under
    an advisory lock on PostgreSQL so that processes starting together upgrade once."""
    from alembic import command
    check_revision(url)
    if normalize_url(url).startswith("sqlite"):
        command.upgrade(alembic_config(url), "head")     # SQLite: BEGIN IMMEDIATE serializes it
        return
    engine = create_engine(url)
    try:
        with engine.connect() as lock:
            lock.exec_driver_sql(f"SELECT pg_advisory_lock({UPGRADE_LOCK})")
            try:
                command.upgrade(alembic_config(url), "head")
            finally:
                lock.exec_driver_sql(f"SELECT pg_advisory_unlock({UPGRADE_LOCK})")
    finally:
        engine.dispose()


def is_empty(url: str) -> bool:
    """No table at all: a database no pocketstack has used yet."""
    with _engine_for(url) as engine, engine.connect() as conn:
        return not sa.inspect(conn).get_table_names()


_alembic_version = sa.Table(      # Alembic's own version table, as its `upgrade` creates it
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def create_schema(url: str, load_models: Callable[[], Any] | None = None) -> None:
    """An empty database gets the models' tables and the rows the migrations insert (a table's
    `info["seed"]`), stamped with the head revision, in one transaction and without Alembic: the
    schema the migrations make (tests/core/test_migrations.py compares the two on SQLite and
    PostgreSQL) for a fraction of their cost. It runs the models' DDL as written in the package
    (migrations/schema/<dialect>.sql, see schema_script) when that file is at the head revision, so
    no service need be imported; else `load_models` (services.load_all: every table) is called and
    the models create it. A database someone else filled meanwhile, or a migration chain this cannot
    read, goes through Alembic as always."""
    head = known_head()
    with _engine_for(url) as engine, engine.begin() as conn:
        if conn.dialect.name == "postgresql":     # processes starting together: one creates it
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
        if head is not None and not sa.inspect(conn).get_table_names():
            script = written_schema(conn.dialect.name, head)
            if script is None:
                if load_models is not None:
                    load_models()
                script = schema_script(conn.dialect.name, head)
            cursor = conn.connection.dbapi_connection.cursor()     # in this transaction, without
            try:                                                   # SQLAlchemy's per-statement work
                if conn.dialect.name == "postgresql":
                    cursor.execute(script)                         # one round trip (no parameters)
                else:
                    for statement in script.split(";\n"):
                        if statement.strip():
                            cursor.execute(statement)
            finally:
                cursor.close()
            return
    upgrade(url)


SCHEMA_DIR = Path(__file__).resolve().parent.parent / "migrations" / "schema"
_SCHEMA_HEAD = "-- pocketstack schema at revision "


def schema_script(dialect_name: str, head: str | None = None) -> str:
    """The SQL that makes the models' schema on an empty database of this dialect: what
    `metadata.create_all` emits (tables in dependency order, their indexes), the seed rows and
    Alembic's version table stamped with `head`; statements end with ";\n". The caller has imported
    every service (their tables are the models)."""
    head = head or known_head()
    url = {"sqlite": "sqlite://", "postgresql": "postgresql+psycopg://"}[dialect_name]
    dialect = sa.create_mock_engine(url, lambda *a, **kw: None).dialect
    # tables in dependency order, ties by name (metadata.sorted_tables would follow import order)
    tables = sa.schema.sort_tables(sorted(metadata.tables.values(), key=lambda t: t.name))
    statements: list[str] = []
    for table in [*tables, _alembic_version]:
        statements.append(str(sa.schema.CreateTable(table).compile(dialect=dialect)).strip())
        statements += sorted(str(sa.schema.CreateIndex(index).compile(dialect=dialect)).strip()
                             for index in table.indexes)
    for table in tables:
        for row in table.info.get("seed") or ():
            statements.append(str(table.insert().values(row).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True})))
    statements.append(str(_alembic_version.insert().values(version_num=head).compile(
        dialect=dialect, compile_kwargs={"literal_binds": True})))
    return f"{_SCHEMA_HEAD}{head}\n" + "".join(s + ";\n" for s in statements)


def written_schema(dialect_name: str, head: str) -> str | None:
    """The package's schema script for this dialect when it was written at `head`, else None."""
    try:
        text = (SCHEMA_DIR / f"{dialect_name}.sql").read_text()
    except OSError:
        return None
    return text if text.startswith(f"{_SCHEMA_HEAD}{head}\n") else None


def write_schema_scripts() -> list[Path]:
    """Rewrite migrations/schema/*.sql from the models (after adding a migration and its model change;
    tests/core/test_migrations.py fails while they are stale). The caller has imported every service."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    paths = []
    for name in ("sqlite", "postgresql"):
        path = SCHEMA_DIR / f"{name}.sql"
        path.write_text(schema_script(name))
        paths.append(path)
    return paths


def schema_differences(url: str) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty: they match)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    engine = create_engine(url)     # the caller has imported the services, whose tables are the models
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()

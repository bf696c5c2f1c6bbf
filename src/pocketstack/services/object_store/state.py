"""Rows and counts: every change to an object row updates its container's and account's counts
in the same transaction, so X-Container-Object-Count and X-Account-Bytes-Used never drift."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import blobs
from pocketstack.core.ids import new_uuid
from pocketstack.services.object_store import headers
from pocketstack.services.object_store.tables import accounts, containers, objects

Row = dict[str, Any]


def new_blob_key() -> str:
    key = new_uuid().replace("-", "")
    return f"swift/{key[:2]}/{key}"


def get_account(conn: Connection, account: str) -> Row | None:
    row = conn.execute(sa.select(accounts).where(accounts.c.account == account)).mappings().first()
    return dict(row) if row else None


def ensure_account(conn: Connection, account: str) -> Row:
    row = get_account(conn, account)
    if row is None:
        ts = headers.now()
        row = {"account": account, "created": ts, "put_timestamp": ts, "meta": {}, "container_count": 0,
               "object_count": 0, "bytes_used": 0}
        conn.execute(accounts.insert().values(**row))
    return row


def set_account_meta(conn: Connection, account: str, meta: dict[str, Any]) -> None:
    ensure_account(conn, account)
    conn.execute(accounts.update().where(accounts.c.account == account).values(meta=meta))


def get_container(conn: Connection, account: str, name: str) -> Row | None:
    row = conn.execute(sa.select(containers).where(containers.c.account == account,
                                                   containers.c.name == name)).mappings().first()
    return dict(row) if row else None


def create_container(conn: Connection, account: str, name: str, meta: dict[str, Any]) -> None:
    ensure_account(conn, account)
    ts = headers.now()
    conn.execute(containers.insert().values(account=account, name=name, created=ts, put_timestamp=ts,
                                            meta=meta, object_count=0, bytes_used=0))
    conn.execute(accounts.update().where(accounts.c.account == account)
                 .values(container_count=accounts.c.container_count + 1))


def set_container_meta(conn: Connection, account: str, name: str, meta: dict[str, Any]) -> None:
    conn.execute(containers.update().where(containers.c.account == account, containers.c.name == name)
                 .values(meta=meta, put_timestamp=headers.now()))


def delete_container(conn: Connection, account: str, name: str) -> None:
    done = conn.execute(containers.delete().where(containers.c.account == account, containers.c.name == name))
    if done.rowcount:
        conn.execute(accounts.update().where(accounts.c.account == account)
                     .values(container_count=accounts.c.container_count - 1))


def get_object(conn: Connection, account: str, container: str, name: str,
               expired: bool = False) -> Row | None:
    row = conn.execute(sa.select(objects).where(objects.c.account == account, objects.c.container == container,
                                                objects.c.name == name)).mappings().first()
    if row is None or (not expired and not live(row)):
        return None
    return dict(row)


def live(row: Row | Any) -> bool:
    """An object row whose X-Delete-At has not passed (False for None)."""
    return row is not None and (row["delete_at"] is None or row["delete_at"] > time.time())


def _count(conn: Connection, account: str, container: str, objects_delta: int, bytes_delta: int) -> None:
    if not objects_delta and not bytes_delta:
        return
    conn.execute(containers.update().where(containers.c.account == account, containers.c.name == container)
                 .values(object_count=containers.c.object_count + objects_delta,
                         bytes_used=containers.c.bytes_used + bytes_delta))
    conn.execute(accounts.update().where(accounts.c.account == account)
                 .values(object_count=accounts.c.object_count + objects_delta,
                         bytes_used=accounts.c.bytes_used + bytes_delta))


_UNKNOWN: Any = object()


def put_object(conn: Connection, row: Row, old: Row | None = _UNKNOWN) -> Row | None:
    """Insert or replace an object row; returns the replaced row (its blob is the caller's to drop).
    `old`: the row now under that name (expired or not), when the caller has just read it."""
    if old is _UNKNOWN:
        old = get_object(conn, row["account"], row["container"], row["name"], expired=True)
    key = (objects.c.account == row["account"], objects.c.container == row["container"],
           objects.c.name == row["name"])
    if old is None:
        conn.execute(objects.insert().values(**row))
        _count(conn, row["account"], row["container"], 1, row["size"])
    else:
        conn.execute(objects.update().where(*key).values(**row))
        _count(conn, row["account"], row["container"], 0, row["size"] - old["size"])
    return old


def update_object_meta(conn: Connection, row: Row, meta: dict[str, Any], **values: Any) -> None:
    conn.execute(objects.update().where(objects.c.account == row["account"], objects.c.container == row["container"],
                                        objects.c.name == row["name"]).values(meta=meta, **values))


def delete_object(conn: Connection, account: str, container: str, name: str) -> Row | None:
    old = get_object(conn, account, container, name, expired=True)
    if old is not None:
        conn.execute(objects.delete().where(objects.c.account == account, objects.c.container == container,
                                            objects.c.name == name))
        _count(conn, account, container, -1, -old["size"])
    return old


def drop_blob(row: Row | None) -> None:
    if row is not None and row.get("blob_key"):
        blobs.store().delete(row["blob_key"])


# --- listings --------------------------------------------------------------------
def _upper(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def list_names(conn: Connection, table: sa.Table, where: list[Any], *, limit: int, marker: str = "",
               end_marker: str = "", prefix: str = "", delimiter: str = "", reverse: bool = False,
               path: str | None = None) -> list[Row | str]:
    """Rows (and subdir strings for a delimiter) in bytewise order, as Swift's listing does."""
    if path is not None:
        prefix, delimiter = (path.rstrip("/") + "/" if path else ""), "/"
    name = table.c.name
    out: list[Row | str] = []
    while len(out) < limit:
        want = limit - len(out)
        cond = list(where)
        if prefix:
            cond += [name >= prefix, name < _upper(prefix)]
        if marker:
            cond.append(name < marker if reverse else name > marker)
        if end_marker:
            cond.append(name > end_marker if reverse else name < end_marker)
        stmt = sa.select(table).where(*cond).order_by(name.desc() if reverse else name).limit(want)
        result = conn.execute(stmt)
        keys = list(result.keys())
        rows = [dict(zip(keys, r)) for r in result]
        if not rows:
            break
        for row in rows:
            marker = row["name"]
            cut = row["name"].find(delimiter, len(prefix)) if delimiter else -1
            if cut < 0:
                out.append(row)
            elif path is None:
                subdir = row["name"][:cut + len(delimiter)]
                out.append(subdir)
                marker = subdir if reverse else subdir + chr(0x10FFFF)
                break
            if len(out) >= limit:
                break
        else:
            if len(rows) < want:
                break
    return out

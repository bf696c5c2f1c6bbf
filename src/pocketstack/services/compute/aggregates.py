"""Host aggregates: /os-aggregates (api-ref: compute, Host aggregates (os-aggregates))."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, hosts
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.core.versions import V
from pocketstack.services.compute import tables as t

SHOW_UUID = V("2.41", "aggregates show their uuid")
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^(?! )[\S ]*(?<! )$"}
AZ = {"type": ["string", "null"], "minLength": 1, "maxLength": 255, "pattern": r"^(?! )[\S ]*(?<! )$"}
CREATE = {"type": "object", "required": ["aggregate"], "additionalProperties": False, "properties": {"aggregate": {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {"name": NAME, "availability_zone": AZ}}}}
UPDATE = {"type": "object", "required": ["aggregate"], "additionalProperties": False, "properties": {"aggregate": {
    "type": "object", "minProperties": 1, "additionalProperties": False,
    "properties": {"name": NAME, "availability_zone": AZ}}}}
_HOST = {"type": "object", "required": ["host"], "additionalProperties": False,
         "properties": {"host": {"type": "string", "minLength": 1, "maxLength": 255}}}
ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False, "properties": {
    "add_host": _HOST, "remove_host": _HOST,
    "set_metadata": {"type": "object", "required": ["metadata"], "additionalProperties": False, "properties": {
        "metadata": {"type": "object", "patternProperties": {
            "^[a-zA-Z0-9-_:. ]{1,255}$": {"type": ["string", "null"], "maxLength": 255}},
            "additionalProperties": False}}}}}


def _stamp(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def render(ctx: Context, row: dict[str, Any], hosts: list[str] | None, meta: dict[str, str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "availability_zone": row["availability_zone"],
                            "created_at": _stamp(row["created_at"]), "updated_at": _stamp(row["updated_at"]),
                            "deleted_at": None, "deleted": False}
    if hosts is not None:
        body["hosts"] = hosts
        body["metadata"] = meta or {}
    if ctx.version >= SHOW_UUID:
        body["uuid"] = row["uuid"]
    return body


def load(conn: Connection, agg_id: str) -> dict[str, Any]:
    try:
        key = int(agg_id)
    except ValueError:
        raise NotFound(f"Aggregate {agg_id} could not be found.") from None
    row = conn.execute(sa.select(t.aggregates).where(t.aggregates.c.id == key)).mappings().first()
    if row is None:
        raise NotFound(f"Aggregate {agg_id} could not be found.")
    return dict(row)


def _full(conn: Connection, ctx: Context, row: dict[str, Any]) -> dict[str, Any]:
    hosts = list(conn.execute(sa.select(t.aggregate_hosts.c.host).where(
        t.aggregate_hosts.c.aggregate_id == row["id"]).order_by(t.aggregate_hosts.c.host)).scalars())
    meta = {r.key: r.value for r in conn.execute(sa.select(t.aggregate_metadata).where(
        t.aggregate_metadata.c.aggregate_id == row["id"]))}
    return {"aggregate": render(ctx, row, hosts, meta)}


def _unique_name(conn: Connection, name: str, skip: int | None = None) -> None:
    stmt = sa.select(t.aggregates.c.id).where(t.aggregates.c.name == name)
    if skip is not None:
        stmt = stmt.where(t.aggregates.c.id != skip)
    if conn.execute(stmt).first():
        raise Conflict(f"Aggregate {name} already exists.")


def _set_az(conn: Connection, agg_id: int, az: str | None) -> None:
    conn.execute(t.aggregate_metadata.delete().where(t.aggregate_metadata.c.aggregate_id == agg_id,
                                                     t.aggregate_metadata.c.key == "availability_zone"))
    if az:
        conn.execute(t.aggregate_metadata.insert().values(aggregate_id=agg_id, key="availability_zone", value=az))


def list_aggregates(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(t.aggregates).order_by(t.aggregates.c.id)).mappings().all()
        return {"aggregates": [_full(conn, ctx, dict(r))["aggregate"] for r in rows]}


def create_aggregate(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["aggregate"]
    with db.session() as conn:
        _unique_name(conn, body["name"])
        now = utcnow()
        agg_id = conn.execute(t.aggregates.insert().values(
            uuid=new_uuid(), name=body["name"], availability_zone=body.get("availability_zone"),
            created_at=now)).inserted_primary_key[0]
        _set_az(conn, agg_id, body.get("availability_zone"))
        row = load(conn, str(agg_id))
    return {"aggregate": render(ctx, row, None, None)}


def show_aggregate(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return _full(conn, ctx, load(conn, rq.params["aggregate_id"]))


def update_aggregate(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body["aggregate"]
    with db.session() as conn:
        row = load(conn, rq.params["aggregate_id"])
        if "name" in body:
            _unique_name(conn, body["name"], row["id"])
        conn.execute(t.aggregates.update().where(t.aggregates.c.id == row["id"]).values(updated_at=utcnow(), **body))
        if "availability_zone" in body:
            _set_az(conn, row["id"], body["availability_zone"])
        return _full(conn, ctx, load(conn, str(row["id"])))


def delete_aggregate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = load(conn, rq.params["aggregate_id"])
        if conn.execute(sa.select(t.aggregate_hosts).where(t.aggregate_hosts.c.aggregate_id == row["id"])).first():
            raise BadRequest(f"Cannot delete aggregate {row['id']}. Reason: Host aggregate is not empty.")
        conn.execute(t.aggregates.delete().where(t.aggregates.c.id == row["id"]))


def aggregate_action(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    (action, args), = rq.body.items()
    with db.session() as conn:
        row = load(conn, rq.params["aggregate_id"])
        agg_id = row["id"]
        if action == "set_metadata":
            for key, value in args["metadata"].items():
                conn.execute(t.aggregate_metadata.delete().where(t.aggregate_metadata.c.aggregate_id == agg_id,
                                                                 t.aggregate_metadata.c.key == key))
                if value is not None:
                    conn.execute(t.aggregate_metadata.insert().values(aggregate_id=agg_id, key=key, value=value))
                if key == "availability_zone":
                    conn.execute(t.aggregates.update().where(t.aggregates.c.id == agg_id).values(
                        availability_zone=value))
        else:
            host = args["host"]
            match = (t.aggregate_hosts.c.aggregate_id == agg_id, t.aggregate_hosts.c.host == host)
            present = conn.execute(sa.select(t.aggregate_hosts).where(*match)).first() is not None
            if action == "add_host":
                if not hosts.rows("nova-compute", host):
                    raise NotFound(f"Compute host {host} could not be found.")
                if present:
                    raise Conflict(f"Aggregate {agg_id} already has host {host}.")
                conn.execute(t.aggregate_hosts.insert().values(aggregate_id=agg_id, host=host))
            else:
                if not present:
                    raise NotFound(f"Cannot remove host {host} in aggregate {agg_id}")
                conn.execute(t.aggregate_hosts.delete().where(*match))
        conn.execute(t.aggregates.update().where(t.aggregates.c.id == agg_id).values(updated_at=utcnow()))
        return _full(conn, ctx, load(conn, str(agg_id)))


A = "/v2.1/os-aggregates"
P = "os_compute_api:os-aggregates:"
ROUTES = [
    route("GET", A, list_aggregates, policy=P + "index"),
    route("POST", A, create_aggregate, policy=P + "create", body=CREATE),
    route("GET", A + "/{aggregate_id}", show_aggregate, policy=P + "show"),
    route("PUT", A + "/{aggregate_id}", update_aggregate, policy=P + "update", body=UPDATE),
    route("DELETE", A + "/{aggregate_id}", delete_aggregate, policy=P + "delete"),
    route("POST", A + "/{aggregate_id}/action", aggregate_action, policy=P + "add_host", body=ACTION),
]

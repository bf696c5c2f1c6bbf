"""Port bindings: /v2.0/ports/{port_id}/bindings[/{host}[/activate]] (api-ref: network, Port binding
extended attributes; binding-extended). The ACTIVE binding is the port's binding:* attributes; other
hosts' bindings (live migration targets) are INACTIVE until activated."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, ports
from pocketstack.services.network import tables as t

b = t.port_bindings
FIELDS = {"host", "vnic_type", "profile"}


def _active(port: dict[str, Any]) -> dict[str, Any] | None:
    if not port["binding_host_id"]:
        return None
    return {"host": port["binding_host_id"], "vif_type": port["binding_vif_type"],
            "vif_details": port["binding_vif_details"], "vnic_type": port["binding_vnic_type"],
            "profile": port["binding_profile"], "status": "ACTIVE"}


def _inactive(row: Any) -> dict[str, Any]:
    return {"host": row["host"], "vif_type": row["vif_type"], "vif_details": row["vif_details"],
            "vnic_type": row["vnic_type"], "profile": row["profile"], "status": "INACTIVE"}


def bindings(conn: Connection, port: dict[str, Any]) -> list[dict[str, Any]]:
    active = _active(port)
    rest = [_inactive(r) for r in conn.execute(sa.select(b).where(b.c.port_id == port["id"]).order_by(
        b.c.host)).mappings()]
    return ([active] if active else []) + rest


def find(conn: Connection, port: dict[str, Any], host: str) -> dict[str, Any]:
    for binding in bindings(conn, port):
        if binding["host"] == host:
            return binding
    raise NotFound(f"Binding for port {port['id']} for host {host} could not be found.", kind="PortBindingNotFound")


def forget(conn: Connection, port_id: str) -> None:
    conn.execute(b.delete().where(b.c.port_id == port_id))


def _values(item: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "vnic_type" in item:
        if item["vnic_type"] not in ports.VNIC_TYPES:
            raise common.invalid("vnic_type", f"{item['vnic_type']} is not in {list(ports.VNIC_TYPES)}")
        values["vnic_type"] = item["vnic_type"]
    if "profile" in item:
        if item["profile"] is not None and not isinstance(item["profile"], dict):
            raise common.invalid("profile", f"'{item['profile']}' is not a dictionary")
        values["profile"] = item["profile"] or {}
    return values


def _body(rq: ApiRequest, allowed: set[str]) -> dict[str, Any]:
    item = rq.body.get("binding") if isinstance(rq.body, dict) else None
    if not isinstance(item, dict):
        raise BadRequest("Unable to find 'binding' in request body")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise BadRequest(f"Unrecognized attribute(s) '{', '.join(unknown)}'")
    return item


def _load(conn: Connection, ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.load(conn, ports.PORTS, ctx, rq.params["port_id"])


# --- routes --------------------------------------------------------------------------
def list_bindings(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        out = bindings(conn, _load(conn, ctx, rq))
    for key in ("host", "vnic_type", "status", "vif_type"):
        if key in rq.query:
            out = [x for x in out if x[key] in rq.query.getlist(key)]
    return {"bindings": out}


def show_binding(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"binding": find(conn, _load(conn, ctx, rq), rq.params["host"])}


def create_binding(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = _body(rq, FIELDS)
    host = item.get("host")
    if not isinstance(host, str) or not host:
        raise BadRequest("Failed to parse request. Required attribute 'host' not specified")
    values = _values(item)
    with db.session() as conn:
        port = _load(conn, ctx, rq)
        if any(x["host"] == host for x in bindings(conn, port)):
            raise Conflict(f"Binding for port {port['id']} on host {host} already exists.",
                           kind="PortBindingAlreadyExists")
        if not port["binding_host_id"]:
            common.touch(conn, t.ports, port["id"], binding_host_id=host, binding_vif_type="ovs",
                         binding_vif_details=ports.VIF_DETAILS,
                         binding_vnic_type=values.get("vnic_type", port["binding_vnic_type"]),
                         binding_profile=values.get("profile", port["binding_profile"]),
                         status=ports.status_for(port["device_owner"], host))
        else:
            conn.execute(b.insert().values(port_id=port["id"], host=host, vif_type="ovs",
                                           vif_details=ports.VIF_DETAILS, **{"vnic_type": "normal", "profile": {},
                                                                             **values}))
        return {"binding": find(conn, _load(conn, ctx, rq), host)}


def put_binding(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    values = _values(_body(rq, FIELDS - {"host"}))
    host = rq.params["host"]
    with db.session() as conn:
        port = _load(conn, ctx, rq)
        current = find(conn, port, host)
        if current["status"] == "ACTIVE":
            common.touch(conn, t.ports, port["id"], **{f"binding_{k}": v for k, v in values.items()})
        elif values:
            conn.execute(b.update().where(b.c.port_id == port["id"], b.c.host == host).values(**values))
        return {"binding": find(conn, _load(conn, ctx, rq), host)}


def activate_binding(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    host = rq.params["host"]
    with db.session() as conn:
        port = _load(conn, ctx, rq)
        target = find(conn, port, host)
        if target["status"] == "ACTIVE":
            raise Conflict(f"Binding for port {port['id']} on host {host} is already active.",
                           kind="PortBindingAlreadyActive")
        old = _active(port)
        conn.execute(b.delete().where(b.c.port_id == port["id"], b.c.host == host))
        if old:
            conn.execute(b.insert().values(port_id=port["id"], host=old["host"], vif_type=old["vif_type"],
                                           vif_details=old["vif_details"], vnic_type=old["vnic_type"],
                                           profile=old["profile"]))
        common.touch(conn, t.ports, port["id"], binding_host_id=host, binding_vif_type=target["vif_type"],
                     binding_vif_details=target["vif_details"], binding_vnic_type=target["vnic_type"],
                     binding_profile=target["profile"], status=ports.status_for(port["device_owner"], host))
        return {"binding": find(conn, _load(conn, ctx, rq), host)}


def delete_binding(ctx: Context, rq: ApiRequest) -> None:
    host = rq.params["host"]
    with db.session() as conn:
        port = _load(conn, ctx, rq)
        if not conn.execute(sa.select(b.c.host).where(b.c.port_id == port["id"], b.c.host == host)).first():
            raise NotFound(f"Binding for port {port['id']} for host {host} could not be found.",
                           kind="PortBindingNotFound")
        conn.execute(b.delete().where(b.c.port_id == port["id"], b.c.host == host))


B = "/v2.0/ports/{port_id}/bindings"
ROUTES = [
    route("GET", B, list_bindings, policy="get_port_binding", target=ports.port_target),
    route("POST", B, create_binding, policy="create_port_binding", target=ports.port_target, status=201),
    route("GET", B + "/{host}", show_binding, policy="get_port_binding", target=ports.port_target),
    route("PUT", B + "/{host}", put_binding, policy="update_port_binding", target=ports.port_target),
    route("DELETE", B + "/{host}", delete_binding, policy="delete_port_binding", target=ports.port_target,
          status=204),
    route("PUT", B + "/{host}/activate", activate_binding, policy="activate", target=ports.port_target),
]

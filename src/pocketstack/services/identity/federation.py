"""OS-FEDERATION identity providers and protocols (api-ref: identity v3-ext, OS-FEDERATION)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import domains, federation_mappings, federation_sps, links
from pocketstack.services.identity.tables import generic, idp_remote_ids

IDP, PROTOCOL = "identity_provider", "federation_protocol"
TRUE_VALUES = {"true", "1", "yes", "on", "t", "y"}

# --- schemas -------------------------------------------------------------------
REMOTE_ID = {"type": "string", "maxLength": 64}
_IDP_PROPS = {"enabled": schemas.boolean, "description": schemas.description,
              "authorization_ttl": {"type": ["integer", "null"], "minimum": 0},
              "remote_ids": {"type": ["array", "null"], "items": REMOTE_ID, "uniqueItems": True}}
IDP_CREATE = schemas.obj({"identity_provider": schemas.obj(
    {**_IDP_PROPS, "domain_id": schemas.nullable_id}, additional=False)}, additional=False)
IDP_UPDATE = schemas.wrap("identity_provider", schemas.obj(_IDP_PROPS, additional=False, minProperties=1))
MAPPING_ID = {"type": "string", "minLength": 1, "maxLength": 64}
PROTOCOL_CREATE = schemas.wrap("protocol", schemas.obj(
    {"mapping_id": MAPPING_ID, "remote_id_attribute": {**REMOTE_ID, "type": ["string", "null"]}},
    ["mapping_id"], additional=False))
PROTOCOL_UPDATE = schemas.wrap("protocol", schemas.obj(
    {"mapping_id": MAPPING_ID, "remote_id_attribute": REMOTE_ID}, ["mapping_id"], additional=False))


# --- views -----------------------------------------------------------------------
def render_idp(ctx: Context, idp_id: str, body: dict[str, Any], remote_ids: list[str]) -> dict[str, Any]:
    self_link = links.entity(ctx, f"OS-FEDERATION/identity_providers/{idp_id}")["self"]
    return {"id": idp_id, "enabled": body["enabled"], "description": body.get("description"),
            "domain_id": body["domain_id"], "authorization_ttl": body.get("authorization_ttl"),
            "remote_ids": remote_ids, "links": {"self": self_link, "protocols": self_link + "/protocols"}}


def render_protocol(ctx: Context, idp_id: str, protocol_id: str, body: dict[str, Any], *,
                    listed: bool = False) -> dict[str, Any]:
    idp_link = links.entity(ctx, f"OS-FEDERATION/identity_providers/{idp_id}")["self"]
    out = {"id": protocol_id, "mapping_id": body["mapping_id"],
           "links": {"self": f"{idp_link}/protocols/{protocol_id}", "identity_provider": idp_link}}
    if listed:  # quirk: keystone's list shows idp_id and remote_id_attribute, show hides unset ones
        out.update(idp_id=idp_id, remote_id_attribute=body.get("remote_id_attribute"))
    elif body.get("remote_id_attribute") is not None:
        out["remote_id_attribute"] = body["remote_id_attribute"]
    return out


# --- logic: identity providers ----------------------------------------------------------
def get_doc(conn: Connection, kind: str, doc_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(generic.c.body).where(generic.c.kind == kind, generic.c.id == doc_id)).first()
    return dict(row.body) if row else None


def get_idp(conn: Connection, idp_id: str) -> dict[str, Any]:
    body = get_doc(conn, IDP, idp_id)
    if body is None:
        raise NotFound(f"Could not find Identity Provider: {idp_id}.")
    return body


def remote_ids_of(conn: Connection, idp_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in idp_ids}
    rows = conn.execute(sa.select(idp_remote_ids).where(idp_remote_ids.c.idp_id.in_(idp_ids))
                        .order_by(idp_remote_ids.c.remote_id))
    for row in rows:
        out[row.idp_id].append(row.remote_id)
    return out


def _set_remote_ids(conn: Connection, idp_id: str, remote_ids: list[str]) -> None:
    conn.execute(idp_remote_ids.delete().where(idp_remote_ids.c.idp_id == idp_id))
    taken = conn.execute(sa.select(idp_remote_ids.c.remote_id)
                         .where(idp_remote_ids.c.remote_id.in_(remote_ids))).scalars().first()
    if taken is not None:
        raise Conflict(f"Conflict occurred attempting to store identity_provider - Duplicate remote ID: {taken}.")
    for remote_id in remote_ids:
        conn.execute(idp_remote_ids.insert().values(idp_id=idp_id, remote_id=remote_id))


def create_idp(conn: Connection, idp_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    if get_doc(conn, IDP, idp_id) is not None:
        raise Conflict(f"Conflict occurred attempting to store identity_provider - Duplicate entry: {idp_id}.")
    _set_remote_ids(conn, idp_id, spec.get("remote_ids") or [])
    if spec.get("domain_id"):
        domains.get_domain(conn, spec["domain_id"])
        domain_id = spec["domain_id"]
    else:  # keystone gives every identity provider a domain for its users
        domain_id = new_id()
        domains.create_domain_row(conn, {"explicit_domain_id": domain_id, "name": domain_id, "enabled": True,
                                         "description": f"Auto generated federated domain for Identity "
                                                        f"Provider: {idp_id}"})
    body = {"enabled": spec.get("enabled", False), "description": spec.get("description"),
            "domain_id": domain_id, "authorization_ttl": spec.get("authorization_ttl")}
    conn.execute(generic.insert().values(kind=IDP, id=idp_id, owner_id=domain_id, body=body, created_at=utcnow()))
    return body


def update_idp(conn: Connection, idp_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    body = {**get_idp(conn, idp_id), **{k: v for k, v in changes.items() if k != "remote_ids"}}
    if "remote_ids" in changes:
        _set_remote_ids(conn, idp_id, changes["remote_ids"] or [])
    conn.execute(generic.update().where(generic.c.kind == IDP, generic.c.id == idp_id)
                 .values(body=body, updated_at=utcnow()))
    return body


def delete_idp(conn: Connection, idp_id: str) -> None:
    get_idp(conn, idp_id)
    conn.execute(generic.delete().where(sa.or_(sa.and_(generic.c.kind == IDP, generic.c.id == idp_id),
                                               sa.and_(generic.c.kind == PROTOCOL, generic.c.owner_id == idp_id))))
    conn.execute(idp_remote_ids.delete().where(idp_remote_ids.c.idp_id == idp_id))


# --- logic: protocols ---------------------------------------------------------------------
def get_protocol(conn: Connection, idp_id: str, protocol_id: str) -> dict[str, Any]:
    body = get_doc(conn, PROTOCOL, f"{idp_id}/{protocol_id}")
    if body is None:
        raise NotFound(f"Could not find federated protocol {protocol_id} for Identity Provider: {idp_id}.")
    return body


def _check_mapping(conn: Connection, mapping_id: str) -> None:
    if get_doc(conn, federation_mappings.MAPPING, mapping_id) is None:
        raise BadRequest(f"Invalid mapping id: {mapping_id}")


def create_protocol(conn: Connection, idp_id: str, protocol_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    get_idp(conn, idp_id)
    _check_mapping(conn, spec["mapping_id"])
    if get_doc(conn, PROTOCOL, f"{idp_id}/{protocol_id}") is not None:
        raise Conflict("Conflict occurred attempting to store federation_protocol - Duplicate entry: "
                       f"{protocol_id}.")
    body = {"mapping_id": spec["mapping_id"], "remote_id_attribute": spec.get("remote_id_attribute")}
    conn.execute(generic.insert().values(kind=PROTOCOL, id=f"{idp_id}/{protocol_id}", owner_id=idp_id,
                                         body=body, created_at=utcnow()))
    return body


def update_protocol(conn: Connection, idp_id: str, protocol_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    body = {**get_protocol(conn, idp_id, protocol_id), **changes}
    _check_mapping(conn, body["mapping_id"])
    conn.execute(generic.update().where(generic.c.kind == PROTOCOL, generic.c.id == f"{idp_id}/{protocol_id}")
                 .values(body=body, updated_at=utcnow()))
    return body


# --- routes ----------------------------------------------------------------------------------
def list_identity_providers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(generic.c.id, generic.c.body).where(generic.c.kind == IDP).order_by(generic.c.id)
    if "id" in rq.query:
        stmt = stmt.where(generic.c.id == rq.query["id"])
    with db.reader() as conn:
        rows = [(r.id, dict(r.body)) for r in conn.execute(stmt)]
        remote = remote_ids_of(conn, [i for i, _ in rows])
    if "enabled" in rq.query:
        wanted = rq.query["enabled"].lower() in TRUE_VALUES
        rows = [(i, b) for i, b in rows if b["enabled"] is wanted]
    return {"identity_providers": [render_idp(ctx, i, b, remote[i]) for i, b in rows],
            "links": links.collection(ctx, "OS-FEDERATION/identity_providers", str(rq.query))}


def show_identity_provider(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id = rq.params["idp_id"]
    with db.reader() as conn:
        body = get_idp(conn, idp_id)
        return {"identity_provider": render_idp(ctx, idp_id, body, remote_ids_of(conn, [idp_id])[idp_id])}


def create_identity_provider(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id = rq.params["idp_id"]
    with db.session() as conn:
        body = create_idp(conn, idp_id, rq.body.get("identity_provider") or {})
        return {"identity_provider": render_idp(ctx, idp_id, body, remote_ids_of(conn, [idp_id])[idp_id])}


def update_identity_provider(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id = rq.params["idp_id"]
    with db.session() as conn:
        body = update_idp(conn, idp_id, rq.body["identity_provider"])
        return {"identity_provider": render_idp(ctx, idp_id, body, remote_ids_of(conn, [idp_id])[idp_id])}


def delete_identity_provider(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        delete_idp(conn, rq.params["idp_id"])


def list_protocols(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id = rq.params["idp_id"]
    with db.reader() as conn:
        get_idp(conn, idp_id)
        rows = conn.execute(sa.select(generic.c.id, generic.c.body).where(
            generic.c.kind == PROTOCOL, generic.c.owner_id == idp_id).order_by(generic.c.id)).all()
    return {"protocols": [render_protocol(ctx, idp_id, r.id.split("/", 1)[1], r.body, listed=True) for r in rows],
            "links": links.collection(ctx, f"OS-FEDERATION/identity_providers/{idp_id}/protocols")}


def show_protocol(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id, protocol_id = rq.params["idp_id"], rq.params["protocol_id"]
    with db.reader() as conn:
        return {"protocol": render_protocol(ctx, idp_id, protocol_id, get_protocol(conn, idp_id, protocol_id))}


def create_protocol_route(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id, protocol_id = rq.params["idp_id"], rq.params["protocol_id"]
    with db.session() as conn:
        body = create_protocol(conn, idp_id, protocol_id, rq.body["protocol"])
    return {"protocol": render_protocol(ctx, idp_id, protocol_id, body)}


def update_protocol_route(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    idp_id, protocol_id = rq.params["idp_id"], rq.params["protocol_id"]
    with db.session() as conn:
        body = update_protocol(conn, idp_id, protocol_id, rq.body["protocol"])
    return {"protocol": render_protocol(ctx, idp_id, protocol_id, body)}


def delete_protocol(ctx: Context, rq: ApiRequest) -> None:
    idp_id, protocol_id = rq.params["idp_id"], rq.params["protocol_id"]
    with db.session() as conn:
        get_protocol(conn, idp_id, protocol_id)
        conn.execute(generic.delete().where(generic.c.kind == PROTOCOL, generic.c.id == f"{idp_id}/{protocol_id}"))


I = "/v3/OS-FEDERATION/identity_providers"
P = I + "/{idp_id}/protocols"
ROUTES = [
    route("GET", I, list_identity_providers, policy="identity:list_identity_providers"),
    route("GET", I + "/{idp_id}", show_identity_provider, policy="identity:get_identity_provider"),
    route("PUT", I + "/{idp_id}", create_identity_provider, policy="identity:create_identity_provider",
          body=IDP_CREATE, status=201),
    route("PATCH", I + "/{idp_id}", update_identity_provider, policy="identity:update_identity_provider",
          body=IDP_UPDATE),
    route("DELETE", I + "/{idp_id}", delete_identity_provider, policy="identity:delete_identity_provider",
          status=204),
    route("GET", P, list_protocols, policy="identity:list_protocols"),
    route("GET", P + "/{protocol_id}", show_protocol, policy="identity:get_protocol"),
    route("PUT", P + "/{protocol_id}", create_protocol_route, policy="identity:create_protocol",
          body=PROTOCOL_CREATE, status=201),
    route("PATCH", P + "/{protocol_id}", update_protocol_route, policy="identity:update_protocol",
          body=PROTOCOL_UPDATE),
    route("DELETE", P + "/{protocol_id}", delete_protocol, policy="identity:delete_protocol", status=204),
    *federation_mappings.ROUTES,
    *federation_sps.ROUTES,
]

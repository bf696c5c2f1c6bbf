"""Containers: /v1/containers, their secrets and consumers (api-ref: key-manager, Containers and Consumers;
barbican/api/controllers/containers.py, consumers.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import common
from pocketstack.services.key_manager import secrets as secrets_api
from pocketstack.services.key_manager.tables import acls, consumers, container_secrets, containers, secrets

RSA_NAMES, RSA_REQUIRED = {"public_key", "private_key", "private_key_passphrase"}, {"public_key", "private_key"}
CERT_NAMES = {"certificate", "private_key", "private_key_passphrase", "intermediates"}

# --- schemas -------------------------------------------------------------------
CONTAINER = {"type": "object", "required": ["type"], "properties": {
    "name": {"type": ["string", "null"], "maxLength": 255},
    "type": {"type": "string", "enum": ["generic", "rsa", "certificate"]},
    "secret_refs": {"type": "array", "items": {"type": "object", "required": ["secret_ref"], "properties": {
        "name": {"type": ["string", "null"], "maxLength": 255},
        "secret_ref": {"type": "string", "minLength": 1}}}}}}
CONTAINER_SECRET = {"type": "object", "required": ["secret_ref"], "properties": {
    "name": {"type": "string", "maxLength": 255}, "secret_ref": {"type": "string", "minLength": 1}}}
CONSUMER = {"type": "object", "required": ["name", "URL"], "properties": {
    "URL": {"type": "string", "maxLength": 255, "minLength": 1},
    "name": {"type": "string", "maxLength": 36, "minLength": 1}}}


def validate_container(ctx: Context, rq: ApiRequest, body: Any) -> dict[str, Any]:
    """validators.ContainerValidator."""
    data = common.validate(CONTAINER, body, "Container")
    refs = data.get("secret_refs") or []
    names = {r.get("name", "") for r in refs}
    if len(names) != len(refs):
        raise common.invalid("Container", "Duplicate reference names are not allowed", "secret_refs")
    if len({common.id_from_ref(r["secret_ref"]) for r in refs}) != len(refs):
        raise common.invalid("Container", "Duplicate secret ids are not allowed", "secret_refs")
    for r in refs:
        if not r["secret_ref"].startswith(common.v1(ctx, rq).rsplit("/v1", 1)[0]):
            raise BadRequest("Provided field value is not supported")
    if data["type"] == "rsa" and refs:
        if names - RSA_NAMES:
            raise common.invalid("Container", "only 'private_key', 'public_key' and 'private_key_passphrase' "
                                 "reference names are allowed for RSA type", "secret_refs")
        if not RSA_REQUIRED <= names:
            raise common.invalid("Container", "The minimum required reference names are 'public_key' and"
                                 "'private_key' for RSA type", "secret_refs")
    if data["type"] == "certificate" and refs:
        if names - CERT_NAMES:
            raise common.invalid("Container", "only 'private_key', 'certificate' , 'private_key_passphrase',  or "
                                 "'intermediates' reference names are allowed for Certificate type", "secret_refs")
        if "certificate" not in names:
            raise common.invalid("Container", "The minimum required reference name is 'certificate' for "
                                 "Certificate type", "secret_refs")
    return data


# --- views ---------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, conn: Any, row: Any) -> dict[str, Any]:
    refs = conn.execute(sa.select(container_secrets).where(container_secrets.c.container_id == row["id"])
                        .order_by(container_secrets.c.name)).mappings()
    users = conn.execute(sa.select(consumers).where(consumers.c.entity_type == "container",
                                                    consumers.c.entity_id == row["id"])
                         .order_by(consumers.c.created_at)).mappings()
    return {**common.entity_fields(row), "container_ref": common.ref(ctx, rq, "containers", row["id"]),
            "name": row["name"], "type": row["type"], "creator_id": row["creator_id"],
            "secret_refs": [{"secret_ref": common.ref(ctx, rq, "secrets", r["secret_id"]), "name": r["name"]}
                            for r in refs],
            "consumers": [{"name": c["name"], "URL": c["url"]} for c in users]}


# --- logic ---------------------------------------------------------------------
def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = common.load(conn, containers, rq.params["container_id"],
                          "Not Found. Provided container id is invalid.", "Container not found.")
        rq.target_cache = {"container": row}
        return common.acl_target(conn, ctx, "container", row)


def create(ctx: Context, name: str | None, kind: str, refs: list[tuple[str | None, str]]) -> str:
    """A container of secrets the caller's project holds (each must exist there, live)."""
    container_id, now = new_uuid(), utcnow()
    with db.session() as conn:
        for ref_name, secret_id in refs:
            row = conn.execute(secrets_api.live(sa.select(secrets.c.id).where(
                secrets.c.id == secret_id, secrets.c.project_id == ctx.project_id))).first() \
                if common.is_uuid(secret_id) else None
            if row is None:
                raise NotFound(f"Secret provided for '{ref_name}' doesn't exist.")
        conn.execute(containers.insert().values(id=container_id, project_id=ctx.project_id, creator_id=ctx.user_id,
                                                name=name, type=kind, status="ACTIVE", created_at=now))
        if refs:
            conn.execute(container_secrets.insert(), [{"container_id": container_id, "secret_id": sid, "name": n}
                                                      for n, sid in refs])
    return container_id


# --- routes --------------------------------------------------------------------
def create_container(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = validate_container(ctx, rq, rq.body)
    refs = [(r.get("name"), common.id_from_ref(r["secret_ref"])) for r in data.get("secret_refs") or []]
    url = common.ref(ctx, rq, "containers", create(ctx, data.get("name"), data["type"], refs))
    return json_response(201, {"container_ref": url}, headers={"Location": url})


def list_containers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(containers).where(containers.c.project_id == ctx.project_id)
    for param in ("name", "type"):
        if rq.query.get(param):
            stmt = stmt.where(containers.c[param] == rq.query[param])
    with db.reader() as conn:
        return common.page(ctx, rq, conn, stmt.order_by(containers.c.created_at, containers.c.id), "containers",
                           lambda r: render(ctx, rq, conn, r))


def show_container(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return render(ctx, rq, conn, rq.target_cache["container"])


def delete_container(ctx: Context, rq: ApiRequest) -> None:
    ident = rq.target_cache["container"]["id"]
    with db.session() as conn:
        conn.execute(consumers.delete().where(consumers.c.entity_type == "container", consumers.c.entity_id == ident))
        conn.execute(acls.delete().where(acls.c.entity_type == "container", acls.c.entity_id == ident))
        conn.execute(container_secrets.delete().where(container_secrets.c.container_id == ident))
        conn.execute(containers.delete().where(containers.c.id == ident))


def add_container_secret(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = common.validate(CONTAINER_SECRET, rq.body, "ContainerSecret")
    row = rq.target_cache["container"]
    if row["type"] != "generic":
        raise BadRequest("Only 'generic' containers can be modified.")
    secret_id = common.id_from_ref(data["secret_ref"])
    with db.session() as conn:
        if not common.is_uuid(secret_id) or conn.execute(secrets_api.live(sa.select(secrets.c.id).where(
                secrets.c.id == secret_id, secrets.c.project_id == ctx.project_id))).first() is None:
            raise NotFound("Secret provided doesn't exist.")
        if conn.execute(sa.select(container_secrets.c.name).where(
                container_secrets.c.container_id == row["id"], container_secrets.c.secret_id == secret_id)).first():
            raise Conflict("Conflict. A secret with that name and ID is already stored in this container. The "
                           "same secret can exist in a container as long as the name is unique.")
        conn.execute(container_secrets.insert().values(container_id=row["id"], secret_id=secret_id,
                                                       name=data.get("name")))
    url = common.ref(ctx, rq, "containers", row["id"])
    return json_response(201, {"container_ref": url}, headers={"Location": url})


async def remove_container_secret(ctx: Context, rq: ApiRequest) -> Any:
    return await common.with_body(ctx, rq, _remove_container_secret)


def _remove_container_secret(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = common.validate(CONTAINER_SECRET, rq.body, "ContainerSecret")
    row, secret_id = rq.target_cache["container"], common.id_from_ref(data["secret_ref"])
    with db.session() as conn:
        match = (container_secrets.c.container_id == row["id"], container_secrets.c.secret_id == secret_id)
        found = conn.execute(sa.select(container_secrets).where(*match)).mappings().first() \
            if common.is_uuid(secret_id) else None
        if found is None or found["name"] != data.get("name"):
            raise NotFound("Secret provided is not in the container")
        conn.execute(container_secrets.delete().where(*match))
    return Response(status_code=204)


def list_container_consumers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    ident = rq.target_cache["container"]["id"]
    stmt = sa.select(consumers).where(consumers.c.entity_type == "container", consumers.c.entity_id == ident) \
        .order_by(consumers.c.created_at, consumers.c.id)
    with db.reader() as conn:
        return common.page(ctx, rq, conn, stmt, "consumers", lambda c: {
            "name": c["name"], "URL": c["url"], "created": common.iso(c["created_at"]),
            "updated": common.iso(c["updated_at"] or c["created_at"]), "status": "ACTIVE"})


def create_container_consumer(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = common.validate(CONSUMER, rq.body, "Consumer")
    row = rq.target_cache["container"]
    with db.session() as conn:
        match = (consumers.c.entity_type == "container", consumers.c.entity_id == row["id"],
                 consumers.c.name == data["name"], consumers.c.url == data["URL"])
        if conn.execute(sa.select(consumers.c.id).where(*match)).first():
            conn.execute(consumers.update().where(*match).values(updated_at=utcnow()))
        else:
            conn.execute(consumers.insert().values(id=new_uuid(), entity_type="container", entity_id=row["id"],
                                                   project_id=ctx.project_id, name=data["name"], url=data["URL"],
                                                   created_at=utcnow()))
        body = render(ctx, rq, conn, row)
    return json_response(200, body, headers={"Location": common.ref(ctx, rq, "containers", row["id"]) + "/consumers"})


async def delete_container_consumer(ctx: Context, rq: ApiRequest) -> Any:
    return await common.with_body(ctx, rq, _delete_container_consumer)


def _delete_container_consumer(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.media(rq)
    data = common.validate(CONSUMER, rq.body, "Consumer")
    row = rq.target_cache["container"]
    with db.session() as conn:
        found = conn.execute(sa.select(consumers).where(
            consumers.c.entity_type == "container", consumers.c.entity_id == row["id"],
            consumers.c.name == data["name"], consumers.c.url == data["URL"])).mappings().first()
        if found is None:
            raise NotFound("Consumer not found.")
        if found["project_id"] != ctx.project_id and row["project_id"] != ctx.project_id:
            raise Forbidden("Not Allowed. Sorry, only the creator of a consumer can delete it.")
        conn.execute(consumers.delete().where(consumers.c.id == found["id"]))
        return render(ctx, rq, conn, row)


C, ONE = "/v1/containers", "/v1/containers/{container_id}"
ROUTES = [
    route("GET", C, list_containers, policy="containers:get"),
    route("POST", C, create_container, policy="containers:post", status=201),
    route("GET", ONE, show_container, policy="container:get", target=target),
    route("DELETE", ONE, delete_container, policy="container:delete", target=target, status=204),
    route("POST", ONE + "/secrets", add_container_secret, policy="container_secret:post", target=target),
    route("DELETE", ONE + "/secrets", remove_container_secret, policy="container_secret:delete", target=target),
    route("GET", ONE + "/consumers", list_container_consumers, policy="container_consumers:get", target=target),
    route("POST", ONE + "/consumers", create_container_consumer, policy="container_consumers:post",
          target=target),
    route("DELETE", ONE + "/consumers", delete_container_consumer, policy="container_consumers:delete",
          target=target),
]

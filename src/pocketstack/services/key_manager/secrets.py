"""Secrets: /v1/secrets, a secret's payload and consumers (api-ref: key-manager, Secrets and Secret
Consumers; barbican/api/controllers/secrets.py, consumers.py)."""

from __future__ import annotations

from typing import Any

import anyio
import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import parse_isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import common, payloads
from pocketstack.services.key_manager import versions as v
from pocketstack.services.key_manager.tables import acls, consumers, container_secrets, secret_metadata, secrets

SECRET_TYPES = ["symmetric", "passphrase", "private", "public", "certificate", "opaque"]
SORT_KEYS = ("algorithm", "bit_length", "created", "expiration", "mode", "name", "secret_type", "status",
             "updated")
NOT_FOUND = "Secret not found."
INVALID_ID = "Not Found. Provided secret id is invalid."

# --- schemas -------------------------------------------------------------------
SECRET = {"type": "object", "properties": {
    "name": {"type": ["string", "null"], "maxLength": 255},
    "algorithm": {"type": "string", "maxLength": 255},
    "mode": {"type": "string", "maxLength": 255},
    "bit_length": {"type": "integer", "minimum": 1, "maximum": 32767},
    "expiration": {"type": "string", "maxLength": 255},
    "payload": {"type": "string"},
    "secret_type": {"type": "string", "maxLength": 80, "enum": SECRET_TYPES},
    "payload_content_type": {"type": ["string", "null"], "maxLength": 255},
    "payload_content_encoding": {"type": "string", "maxLength": 255, "enum": ["base64"]},
    "transport_key_needed": {"type": "string", "enum": ["true", "false"]},
    "transport_key_id": {"type": "string"}}}
CONSUMER = {"type": "object", "required": ["service", "resource_type", "resource_id"], "properties": {
    "service": {"type": "string", "maxLength": 255, "minLength": 1},
    "resource_type": {"type": "string", "maxLength": 255, "minLength": 1},
    "resource_id": {"type": "string", "minLength": 1}}}


def validate_secret(body: Any, parent: str | None = None) -> dict[str, Any]:
    """validators.NewSecretValidator: shape, name, expiration in the future, payload and its types."""
    name = f"Secret' within '{parent}" if parent else "Secret"
    data = dict(common.validate(SECRET, body, name))
    data["name"] = data["name"].strip() if isinstance(data.get("name"), str) else None
    expiration = None
    if (data.get("expiration") or "").strip():
        try:
            expiration = parse_isotime(data["expiration"].strip())
        except ValueError:
            raise common.invalid(name, "Invalid date for 'expiration'", "expiration") from None
        if expiration <= utcnow():
            raise common.invalid(name, "'expiration' is before current time", "expiration")
    data["expiration"] = expiration
    ctype = data.get("payload_content_type")
    if "payload" in data:
        encoding = data.get("payload_content_encoding")
        if ctype is None:
            raise common.invalid(name, "If 'payload' is supplied, 'payload_content_type' must also be supplied.",
                                 "payload_content_type")
        if not payloads.supported(ctype):
            raise common.invalid(name, f"payload_content_type is not one of {payloads.SUPPORTED}",
                                 "payload_content_type")
        allowed = payloads.encodings_for(ctype)
        if (encoding not in allowed) if allowed else (encoding is not None):
            raise common.invalid(name, f"payload_content_encoding is not one of {allowed}",
                                 "payload_content_encoding")
        if payloads.too_big(data["payload"]):
            raise payloads.TooLarge()
        data["payload"] = data["payload"].strip()
        if not data["payload"]:
            raise common.invalid(name, "If 'payload' specified, must be non empty", "payload")
        payloads.to_bytes(data["payload"], ctype, encoding)          # a base64 payload must decode
    elif "payload_content_type" in data:
        if parent is None:
            raise common.invalid(name, "payload must be provided when payload_content_type is specified",
                                 "payload")
        if ctype and not payloads.supported(ctype):
            raise common.invalid(name, f"payload_content_type is not one of {payloads.SUPPORTED}",
                                 "payload_content_type")
    return data


# --- views ---------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any, consumer_rows: list[Any] | None = None) -> dict[str, Any]:
    body = {**common.entity_fields(row), "secret_ref": common.ref(ctx, rq, "secrets", row["id"]),
            "name": row["name"], "secret_type": row["secret_type"], "expiration": common.iso(row["expiration"]),
            "algorithm": row["algorithm"], "bit_length": row["bit_length"], "mode": row["mode"],
            "creator_id": row["creator_id"]}
    if row["content_type"]:
        body["content_types"] = {"default": row["content_type"]}
    if consumer_rows is not None and ctx.version >= v.SECRET_CONSUMERS:
        body["consumers"] = [{"service": c["service"], "resource_type": c["resource_type"],
                              "resource_id": c["resource_id"]} for c in consumer_rows]
    return body


# --- logic ---------------------------------------------------------------------
def live(stmt: Any) -> Any:
    """Expired secrets are gone (repositories.SecretRepo filters on expiration)."""
    return stmt.where(sa.or_(secrets.c.expiration.is_(None), secrets.c.expiration > utcnow()))


def load(conn: Any, ident: str) -> Any:
    if not common.is_uuid(ident):
        raise NotFound(INVALID_ID)
    row = conn.execute(live(sa.select(secrets).where(secrets.c.id == ident))).mappings().first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def consumers_of(conn: Any, secret_id: str) -> list[Any]:
    return list(conn.execute(sa.select(consumers).where(consumers.c.entity_type == "secret",
                                                        consumers.c.entity_id == secret_id)
                             .order_by(consumers.c.created_at)).mappings())


def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, rq.params["secret_id"])
        rq.target_cache = {"secret": row}
        return common.acl_target(conn, ctx, "secret", row)


def create(ctx: Context, data: dict[str, Any], payload: tuple[bytes, str] | None = None) -> str:
    """Store a secret (its payload encrypted first, outside the write transaction)."""
    secret_id, sealed, ctype = new_uuid(), None, None
    if payload is not None:
        sealed, ctype = payloads.seal(ctx.project_id or "", secret_id, payload[0]), payload[1]
    with db.session() as conn:
        conn.execute(secrets.insert().values(
            id=secret_id, project_id=ctx.project_id, creator_id=ctx.user_id, name=data.get("name"),
            secret_type=data.get("secret_type") or "opaque", expiration=data.get("expiration"),
            algorithm=data.get("algorithm"), bit_length=data.get("bit_length"), mode=data.get("mode"),
            status="ACTIVE", content_type=ctype, encrypted=sealed, created_at=utcnow()))
    return secret_id


def _filtered(ctx: Context, rq: ApiRequest) -> Any:
    q = rq.query
    for key in ("created", "updated", "expiration"):
        if q.get(key) and not _date_filter(secrets.c[key + "_at" if key != "expiration" else key], q[key]):
            raise BadRequest("URI provided invalid query string parameters.")
    stmt = live(sa.select(secrets))
    if q.get("acl_only", "").lower() == "true":
        readable = sa.select(acls.c.entity_id, acls.c.users).where(acls.c.entity_type == "secret",
                                                                   acls.c.operation == "read")
        with db.reader() as conn:
            ids = [r.entity_id for r in conn.execute(readable) if ctx.user_id in (r.users or [])]
        stmt = stmt.where(secrets.c.id.in_(ids))
    else:
        stmt = stmt.where(secrets.c.project_id == ctx.project_id)
    for param, column in (("name", "name"), ("alg", "algorithm"), ("mode", "mode"), ("secret_type", "secret_type")):
        if q.get(param):
            stmt = stmt.where(secrets.c[column] == q[param])
    try:
        bits = int(q.get("bits") or 0)
    except ValueError:
        bits = 0
    if bits > 0:
        stmt = stmt.where(secrets.c.bit_length == bits)
    for key in ("created", "updated", "expiration"):
        if q.get(key):
            stmt = stmt.where(*_date_filter(secrets.c[key + "_at" if key != "expiration" else key], q[key]))
    return stmt.order_by(*_sorting(q.get("sort")), secrets.c.id)


def _date_filter(column: Any, text: str) -> list[Any]:
    """SecretsController._is_valid_date_filter and its SQL: gt:, gte:, lt:, lte: or an exact time."""
    ops = {"gt": column.__gt__, "gte": column.__ge__, "lt": column.__lt__, "lte": column.__le__}
    seen: dict[str, Any] = {}
    for part in text.split(","):
        op, _, value = part.partition(":") if part.split(":", 1)[0] in ops else ("eq", "", part)
        clash = {"gt": ("gt", "gte"), "gte": ("gt", "gte", "eq"), "lt": ("lt", "lte"),
                 "lte": ("lt", "lte", "eq"), "eq": ("eq", "gte", "lte")}[op]
        if any(k in seen for k in clash):
            return []
        try:
            seen[op] = parse_isotime(value)
        except ValueError:
            return []
    return [ops[k](t) if k != "eq" else column == t for k, t in seen.items()]


def _sorting(text: str | None) -> list[Any]:
    if not text:
        return [secrets.c.created_at]
    out, seen = [], set()
    for item in text.split(","):
        key, _, direction = item.partition(":")
        direction = direction or "asc"
        if key not in SORT_KEYS or direction not in ("asc", "desc") or key in seen or item.count(":") > 1:
            raise BadRequest("URI provided invalid query string parameters.")
        seen.add(key)
        column = secrets.c[{"created": "created_at", "updated": "updated_at"}.get(key, key)]
        out.append(column.asc() if direction == "asc" else column.desc())
    return out


def _accepts_json(rq: ApiRequest) -> bool:
    """controllers.is_json_request_accept."""
    accept = rq.headers.get("accept")
    return not accept or accept in ("application/json", "*/*")


def _payload_response(ctx: Context, rq: ApiRequest, row: Any, operation: str) -> Response:
    if row["encrypted"] is None:
        raise NotFound("Not Found. Sorry but your secret has no payload.")
    data, ctype = payloads.reveal(row, rq.headers.get("accept") or "application/octet-stream", operation)
    return Response(data, status_code=200, media_type=ctype)


def _delete(conn: Any, row: Any) -> None:
    conn.execute(consumers.delete().where(consumers.c.entity_type == "secret", consumers.c.entity_id == row["id"]))
    conn.execute(acls.delete().where(acls.c.entity_type == "secret", acls.c.entity_id == row["id"]))
    conn.execute(secret_metadata.delete().where(secret_metadata.c.secret_id == row["id"]))
    conn.execute(container_secrets.delete().where(container_secrets.c.secret_id == row["id"]))
    conn.execute(secrets.delete().where(secrets.c.id == row["id"]))


# --- routes --------------------------------------------------------------------
def create_secret(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = validate_secret(rq.body)
    payload = None
    if "payload" in data:
        payload = payloads.to_bytes(data["payload"], data["payload_content_type"],
                                    data.get("payload_content_encoding"))
    url = common.ref(ctx, rq, "secrets", create(ctx, data, payload))
    return json_response(201, {"secret_ref": url}, headers={"Location": url})


def list_secrets(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = _filtered(ctx, rq)
    with db.reader() as conn:
        def one(row: Any) -> dict[str, Any]:
            return render(ctx, rq, row, consumers_of(conn, row["id"]))
        return common.page(ctx, rq, conn, stmt, "secrets", one)


def show_secret(ctx: Context, rq: ApiRequest) -> Any:
    """Metadata for a JSON Accept; any other Accept is the deprecated way to the payload (secret:decrypt)."""
    as_json = _accepts_json(rq)
    found = target(ctx, rq)
    common.check(ctx, "secret:get" if as_json else "secret:decrypt", found)
    row = rq.target_cache["secret"]
    if not as_json:
        return _payload_response(ctx, rq, row, "Secret retrieval")
    with db.reader() as conn:
        return render(ctx, rq, row, consumers_of(conn, row["id"]))


def get_secret_payload(ctx: Context, rq: ApiRequest) -> Response:
    return _payload_response(ctx, rq, rq.target_cache["secret"], "Secret payload retrieval")


async def put_secret_payload(ctx: Context, rq: ApiRequest) -> None:
    common.media(rq, ("application/octet-stream", "text/plain"))
    body = b""
    async for chunk in rq.stream():
        body += chunk
        if len(body) > payloads.MAX_SECRET_BYTES:
            raise payloads.describe("Secret update", payloads.TooLarge())
    await anyio.to_thread.run_sync(_store_put, ctx, rq, body)


def _store_put(ctx: Context, rq: ApiRequest, body: bytes) -> None:
    if not body:
        raise BadRequest("Secret update issue seen - No data supplied to process.")
    row = rq.target_cache["secret"]
    if row["encrypted"] is not None:
        raise Conflict("Secret already has data, cannot modify it.")
    ctype = (rq.headers.get("content-type") or "").split(";")[0].strip()
    data, ctype = payloads.to_bytes(body, ctype, rq.headers.get("content-encoding"))
    sealed = payloads.seal(row["project_id"], row["id"], data)
    with db.session() as conn:
        done = conn.execute(secrets.update().where(secrets.c.id == row["id"], secrets.c.encrypted.is_(None))
                            .values(encrypted=sealed, content_type=ctype, updated_at=utcnow())).rowcount
    if not done:
        raise Conflict("Secret already has data, cannot modify it.")


def delete_secret(ctx: Context, rq: ApiRequest) -> None:
    row = rq.target_cache["secret"]
    with db.session() as conn:
        if ctx.version >= v.DELETE_NEEDS_FORCE and "force" in rq.query:
            if rq.query["force"].lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off", "t", "f",
                                                 "y", "n"):
                raise BadRequest("URI provided invalid query string parameters.")
        force = rq.query.get("force", "").lower() in ("true", "1", "yes", "on", "t", "y")
        if ctx.version >= v.DELETE_NEEDS_FORCE and consumers_of(conn, row["id"]) and not force:
            raise BadRequest("Secret deletion issue seen - Secret cannot be deleted as it has consumers.")
        _delete(conn, row)


def list_secret_consumers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    row = rq.target_cache["secret"]
    stmt = sa.select(consumers).where(consumers.c.entity_type == "secret", consumers.c.entity_id == row["id"]) \
        .order_by(consumers.c.created_at, consumers.c.id)
    with db.reader() as conn:
        return common.page(ctx, rq, conn, stmt, "consumers", lambda c: {
            "service": c["service"], "resource_type": c["resource_type"], "resource_id": c["resource_id"],
            "created": common.iso(c["created_at"]), "updated": common.iso(c["updated_at"] or c["created_at"]),
            "status": "ACTIVE"})


def create_secret_consumer(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data = common.validate(CONSUMER, rq.body, "Secret Consumer")
    row = rq.target_cache["secret"]
    with db.session() as conn:
        match = (consumers.c.entity_type == "secret", consumers.c.entity_id == row["id"],
                 consumers.c.resource_id == data["resource_id"])
        if conn.execute(sa.select(consumers.c.id).where(*match)).first():
            conn.execute(consumers.update().where(*match).values(
                service=data["service"], resource_type=data["resource_type"], updated_at=utcnow()))
        else:
            conn.execute(consumers.insert().values(
                id=new_uuid(), entity_type="secret", entity_id=row["id"], project_id=ctx.project_id,
                service=data["service"], resource_type=data["resource_type"], resource_id=data["resource_id"],
                created_at=utcnow()))
        body = render(ctx, rq, row, consumers_of(conn, row["id"]))
    return json_response(200, body, headers={"Location": common.ref(ctx, rq, "secrets", row["id"]) + "/consumers"})


async def delete_secret_consumer(ctx: Context, rq: ApiRequest) -> Any:
    return await common.with_body(ctx, rq, _delete_secret_consumer)


def _delete_secret_consumer(ctx: Context, rq: ApiRequest) -> Any:
    common.media(rq)
    data = common.validate(CONSUMER, rq.body, "Secret Consumer")
    row = rq.target_cache["secret"]
    with db.session() as conn:
        found = conn.execute(sa.select(consumers).where(
            consumers.c.entity_type == "secret", consumers.c.entity_id == row["id"],
            consumers.c.service == data["service"], consumers.c.resource_type == data["resource_type"],
            consumers.c.resource_id == data["resource_id"])).mappings().first()
        if found is None:
            raise NotFound("Consumer not found.")
        if found["project_id"] != ctx.project_id and row["project_id"] != ctx.project_id:
            raise Forbidden("Not Allowed. Sorry, only the creator of a consumer can delete it.")
        conn.execute(consumers.delete().where(consumers.c.id == found["id"]))
        return render(ctx, rq, row, consumers_of(conn, row["id"]))


S, ONE = "/v1/secrets", "/v1/secrets/{secret_id}"
ROUTES = [
    route("GET", S, list_secrets, policy="secrets:get"),
    route("POST", S, create_secret, policy="secrets:post", status=201),
    route("GET", ONE, show_secret, policy=in_handler("secret:get", "secret:decrypt")),
    route("PUT", ONE, put_secret_payload, policy="secret:put", target=target, status=204, raw_body=True),
    route("DELETE", ONE, delete_secret, policy="secret:delete", target=target, status=204),
    route("GET", ONE + "/payload", get_secret_payload, policy="secret:decrypt", target=target),
    route("GET", ONE + "/consumers", list_secret_consumers, policy="secret_consumers:get", target=target),
    route("POST", ONE + "/consumers", create_secret_consumer, policy="secret_consumers:post", target=target),
    route("DELETE", ONE + "/consumers", delete_secret_consumer, policy="secret_consumers:delete", target=target),
]

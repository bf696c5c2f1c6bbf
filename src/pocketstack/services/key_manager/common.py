"""What every Key Manager collection shares: refs (barbican/common/hrefs.py), offset paging with
next/previous links, timestamps as Barbican prints them, schema errors in its words
(barbican/common/validators.py), and the policy targets with ACLs (barbican/api/controllers/__init__.py
ACLMixin)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import anyio
import jsonschema
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from pocketstack.core.routing import ApiRequest, parse_json
from pocketstack.core.ids import is_uuid
from pocketstack.services.key_manager.tables import acls

DEFAULT_LIMIT, MAX_LIMIT = 10, 100          # barbican.conf default_limit_paging, max_limit_paging
_service: Any = None


def bind(service: Any) -> None:
    global _service
    _service = service


def check(ctx: Context, rule_name: str, target: dict[str, Any]) -> None:
    _service.policy.enforce(rule_name, target, ctx)


# --- refs and views --------------------------------------------------------------
def v1(ctx: Context, rq: ApiRequest) -> str:
    return f"{ctx.base_url}{rq.client_prefix}/v1"


def ref(ctx: Context, rq: ApiRequest, collection: str, ident: str) -> str:
    return f"{v1(ctx, rq)}/{collection}/{ident}"


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def entity_fields(row: Any) -> dict[str, Any]:
    """ModelBase.to_dict_fields: what every entity shows."""
    return {"created": iso(row["created_at"]), "updated": iso(row["updated_at"] or row["created_at"]),
            "status": row["status"]}


def page(ctx: Context, rq: ApiRequest, conn: Connection, stmt: Any, collection: str,
         render: Any) -> dict[str, Any]:
    """Offset paging (repositories._clean_paging_values) with next/previous hrefs (hrefs.add_nav_hrefs)."""
    try:
        offset = max(int(rq.query.get("offset") or 0), 0)
        limit = int(rq.query.get("limit") or DEFAULT_LIMIT)
    except ValueError:
        offset, limit = 0, DEFAULT_LIMIT
    limit = min(max(limit, 1), MAX_LIMIT)
    total = conn.execute(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar() or 0
    rows = conn.execute(stmt.offset(offset).limit(limit)).mappings().all()
    body: dict[str, Any] = {collection: [render(r) for r in rows]}
    if rows:
        rest = urlencode([(k, v) for k, v in rq.query.multi_items() if k not in ("limit", "offset")])
        base = f"{v1(ctx, rq)}/{collection}?limit={limit}&offset="
        if offset > 0:
            body["previous"] = f"{base}{max(0, offset - limit)}" + (f"&{rest}" if rest else "")
        if total > offset + limit:
            body["next"] = f"{base}{offset + limit}" + (f"&{rest}" if rest else "")
    body["total"] = total
    return body


# --- validation ----------------------------------------------------------------------
def invalid(schema_name: str, reason: str, prop: str | None) -> BadRequest:
    """exception.InvalidObject's client message."""
    return BadRequest(f"Provided object does not match schema '{schema_name}': {reason}. "
                      f"Invalid property: '{prop}'")


def validate(schema: dict[str, Any], body: Any, schema_name: str) -> dict[str, Any]:
    try:
        jsonschema.Draft4Validator(schema).validate(body)
    except jsonschema.ValidationError as e:
        prop = e.path[0] if e.path else (e.schema_path[-2] if len(e.schema_path) > 1 else None)
        if e.validator == "required" and not e.path:
            prop = e.message.split("'")[1]
        raise invalid(schema_name, e.message, prop) from None
    return body



def id_from_ref(text: str) -> str:
    return text.rstrip("/").rsplit("/", 1)[-1]


# --- ACLs and policy targets ------------------------------------------------------------
def acl_target(conn: Connection, ctx: Context, entity_type: str, row: Any) -> dict[str, Any]:
    """ACLMixin.get_acl_tuple: the entity's project and creator, plus the caller's ACL operations."""
    data: dict[str, Any] = {"project_id": row["project_id"], "creator_id": row["creator_id"]}
    for acl in conn.execute(sa.select(acls).where(acls.c.entity_type == entity_type,
                                                  acls.c.entity_id == row["id"])).mappings():
        data[f"{acl['operation']}_project_access"] = acl["project_access"]
        if ctx.user_id in (acl["users"] or []):
            data[acl["operation"]] = acl["operation"]
    if not any(key.endswith("_project_access") for key in data):
        data["read_project_access"] = True        # no ACL: the project reads it (get_acl_dict_for_user)
    return {"target": {entity_type: data}}


def load(conn: Connection, table: sa.Table, ident: str, invalid_message: str, missing_message: str) -> Any:
    if not is_uuid(ident):
        raise NotFound(invalid_message)
    row = conn.execute(sa.select(table).where(table.c.id == ident)).mappings().first()
    if row is None:
        raise NotFound(missing_message)
    return row


def media(rq: ApiRequest, allowed: tuple[str, ...] = ("application/json",)) -> None:
    """controllers.enforce_content_types: 415 for a body of another type."""
    ctype = (rq.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype not in allowed:
        raise UnsupportedMediaType(f"Unexpected content type. Expected content types are: {list(allowed)}")


async def with_body(ctx: Context, rq: ApiRequest, handler: Any) -> Any:
    """A DELETE that carries a JSON body (consumers): the pipeline reads bodies of POST, PUT and PATCH only."""
    raw = b""
    async for chunk in rq.stream():
        raw += chunk
        if len(raw) > 114688:
            raise PayloadTooLarge()
    rq.body = parse_json(raw)
    return await anyio.to_thread.run_sync(handler, ctx, rq)


"""What every Placement collection shares: the standard traits and resource classes, provider lookup and
rendering, generation checks, query parsing and the last-modified headers (placement/util.py, handlers/util.py)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.responses import Response

from pocketstack.core.clock import UTC, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, Conflict, NotFound, ValidationFailed
from pocketstack.core.http import empty, json_response
from pocketstack.core.policy import ANY_USER
from pocketstack.core.routing import ApiRequest
from pocketstack.core.schemas import validate
from pocketstack.core.ids import is_uuid  # noqa: F401  (re-exported: common.is_uuid)
from pocketstack.services.placement import errors as codes
from pocketstack.services.placement import tables as t
from pocketstack.services.placement import versions as v

DATA = Path(__file__).parent / "data"
CUSTOM_RC_MIN_ID = 10000
CUSTOM_NAME = re.compile(r"^CUSTOM_[A-Z0-9_]+$")
MAX_INT = 2147483647


@cache
def _names(filename: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (DATA / filename).read_text().splitlines()
                 if line.strip() and not line.startswith("#"))


def standard_traits() -> tuple[str, ...]:
    return _names("traits.txt")


def standard_classes() -> tuple[str, ...]:
    return _names("resource_classes.txt")


def sync_standards(conn: Connection) -> None:
    """Every start: the standard traits and resource classes exist (placement's _ensure_trait_sync)."""
    now = utcnow()
    have = set(conn.execute(sa.select(t.traits.c.name)).scalars())
    missing = [n for n in standard_traits() if n not in have]
    if missing:
        conn.execute(t.traits.insert(), [{"name": n, "created_at": now} for n in missing])
    have_rc = set(conn.execute(sa.select(t.resource_classes.c.name)).scalars())
    rows = [{"id": i, "name": n, "created_at": now} for i, n in enumerate(standard_classes()) if n not in have_rc]
    if rows:
        conn.execute(t.resource_classes.insert(), rows)


# --- errors with codes ---------------------------------------------------------------------
def bad(message: str, code: str = codes.DEFAULT) -> BadRequest:
    return BadRequest(message, code=code)


def not_found(message: str, code: str = codes.DEFAULT) -> NotFound:
    return NotFound(message, code=code)


def conflict(message: str, code: str = codes.DEFAULT) -> Conflict:
    return Conflict(message, code=code)


def provider_generation_conflict(rp_uuid: str) -> Conflict:
    return conflict(f"resource provider generation conflict: Resource provider '{rp_uuid}' has been updated "
                    "since you last retrieved it. Please retrieve it again.", codes.CONCURRENT_UPDATE)


def check_body(schema: dict[str, Any], body: Any) -> None:
    """Schemas that depend on the microversion are checked in the handler (placement's extract_json)."""
    validate(schema, body)


def json_body(rq: ApiRequest) -> Any:
    if rq.body is None and not rq.body_bytes:
        raise ValidationFailed("None is not of type 'object'", detail="None is not of type 'object'")
    return rq.body


# --- providers -----------------------------------------------------------------------------

def provider(conn: Connection, rp_uuid: str, *, action: str = "", for_update: bool = False) -> dict[str, Any]:
    row = conn.execute(sa.select(t.resource_providers).where(t.resource_providers.c.uuid == rp_uuid)
                       ).mappings().first()
    if row is None:
        raise not_found(f"No resource provider with uuid {rp_uuid} found{action}",
                        codes.RESOURCE_PROVIDER_NOT_FOUND)
    return dict(row)


def bump_generation(conn: Connection, rp: dict[str, Any]) -> int:
    """Optimistic concurrency: the write goes through only if nobody changed the provider since it was read."""
    new = rp["generation"] + 1
    done = conn.execute(t.resource_providers.update().where(
        t.resource_providers.c.id == rp["id"], t.resource_providers.c.generation == rp["generation"]).values(
        generation=new, updated_at=utcnow())).rowcount
    if done != 1:
        raise provider_generation_conflict(rp["uuid"])
    rp["generation"] = new
    return new


def check_generation(rp: dict[str, Any], generation: Any) -> None:
    if generation != rp["generation"]:
        raise provider_generation_conflict(rp["uuid"])


def uuids_of(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(conn.execute(sa.select(t.resource_providers.c.id, t.resource_providers.c.uuid).where(
        t.resource_providers.c.id.in_(wanted))).all())


def rp_links(rq: ApiRequest, ctx: Context, rp_uuid: str) -> list[dict[str, str]]:
    base = f"{rq.service_prefix}/resource_providers/{rp_uuid}"
    out = [{"rel": "self", "href": base}, {"rel": "inventories", "href": f"{base}/inventories"},
           {"rel": "usages", "href": f"{base}/usages"}]
    if ctx.version >= v.AGGREGATES:
        out.append({"rel": "aggregates", "href": f"{base}/aggregates"})
    if ctx.version >= v.TRAITS:
        out.append({"rel": "traits", "href": f"{base}/traits"})
    if ctx.version >= v.ALLOCATIONS_LINK:
        out.append({"rel": "allocations", "href": f"{base}/allocations"})
    return out


def render_provider(ctx: Context, rq: ApiRequest, rp: dict[str, Any], uuids: dict[int, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"uuid": rp["uuid"], "name": rp["name"], "generation": rp["generation"]}
    if ctx.version >= v.NESTED:
        body["parent_provider_uuid"] = uuids.get(rp["parent_provider_id"]) if rp["parent_provider_id"] else None
        body["root_provider_uuid"] = uuids.get(rp["root_provider_id"] or rp["id"], rp["uuid"])
    body["links"] = rp_links(rq, ctx, rp["uuid"])
    return body


# --- resource classes ----------------------------------------------------------------------
def class_ids(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    wanted = set(names)
    if not wanted:
        return {}
    return dict(conn.execute(sa.select(t.resource_classes.c.name, t.resource_classes.c.id).where(
        t.resource_classes.c.name.in_(wanted))).all())


def class_names(conn: Connection) -> dict[int, str]:
    return dict(conn.execute(sa.select(t.resource_classes.c.id, t.resource_classes.c.name)).all())


def require_classes(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    names = list(names)
    found = class_ids(conn, names)
    for name in names:
        if name not in found:
            raise bad(f"Invalid resource class in resources parameter: No such resource class {name}.")
    return found


# --- query parsing -------------------------------------------------------------------------
def parse_resources(text: str, param: str = "resources") -> dict[str, int]:
    """"VCPU:2,MEMORY_MB:1024" (placement/util.py normalize_resources_qs_param)."""
    out: dict[str, int] = {}
    if not text.strip():
        raise bad(f"Badly formed resources parameter. Expected resources query string parameter in form: "
                  f"?resources=VCPU:2,MEMORY_MB:1024. Got: empty string.", codes.QUERYPARAM_BAD_VALUE)
    for item in text.split(","):
        try:
            name, amount = item.split(":")
            value = int(amount)
        except ValueError:
            raise bad(f"Badly formed {param} parameter. Expected {param} query string parameter in form: "
                      f"?{param}=VCPU:2,MEMORY_MB:1024. Got: {text}.", codes.QUERYPARAM_BAD_VALUE) from None
        if value < 1:
            raise bad(f"Requested resource {name} expected positive integer amount. Got: {value}.",
                      codes.QUERYPARAM_BAD_VALUE)
        if name in out:
            raise bad(f"Badly formed {param} parameter. Resource class {name} is specified more than once.",
                      codes.QUERYPARAM_BAD_VALUE)
        out[name] = value
    return out


def parse_traits(ctx: Context, values: list[str], param: str = "required") -> tuple[list[set[str]], set[str]]:
    """required=A,!B and (1.39) required=in:C,D: (any-of groups that must each match, forbidden traits)."""
    required: list[set[str]] = []
    forbidden: set[str] = set()
    for text in values:
        if ctx.version >= v.ANY_TRAITS and text.startswith("in:"):
            names = [n.strip() for n in text[3:].split(",")]
            if any(not n or n.startswith("!") for n in names):
                raise bad(f"Invalid query string parameters: Expected '{param}' parameter value of the form: "
                          f"in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait name or a forbidden trait "
                          f"in: {text}", codes.QUERYPARAM_BAD_VALUE)
            required.append(set(names))
            continue
        for name in text.split(","):
            name = name.strip()
            if name.startswith("!") and ctx.version >= v.FORBIDDEN_TRAITS:
                if not name[1:]:
                    raise bad(f"Invalid query string parameters: Expected '{param}' parameter value of the "
                              f"form: HW_CPU_X86_VMX,!CUSTOM_MAGIC. Got: {text}", codes.QUERYPARAM_BAD_VALUE)
                forbidden.add(name[1:])
            elif not name:
                raise bad(f"Invalid query string parameters: Expected '{param}' parameter value of the form: "
                          f"HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {text}", codes.QUERYPARAM_BAD_VALUE)
            else:
                required.append({name})
    return required, forbidden


def check_traits_exist(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    wanted = set(names)
    if not wanted:
        return {}
    found = dict(conn.execute(sa.select(t.traits.c.name, t.traits.c.id).where(t.traits.c.name.in_(wanted))).all())
    missing = sorted(wanted - set(found))
    if missing:
        raise bad(f"No such trait(s): {', '.join(missing)}", codes.DEFAULT)
    return found


def parse_member_of(ctx: Context, values: list[str]) -> tuple[list[set[str]], set[str]]:
    """member_of=in:a,b / member_of=a / (1.32) member_of=!a or !in:a,b: (any-of sets, forbidden)."""
    if len(values) > 1 and ctx.version < v.MULTI_MEMBER_OF:
        raise bad("Multiple member_of parameters are not supported", codes.ILLEGAL_DUPLICATE_QUERYPARAM)
    anyof: list[set[str]] = []
    forbidden: set[str] = set()
    for text in values:
        negative = text.startswith("!")
        if negative:
            if ctx.version < v.FORBIDDEN_AGGREGATES:
                raise bad(f"Invalid query string parameters: Expected 'member_of' parameter to contain valid "
                          f"UUID(s). Got: {text}", codes.QUERYPARAM_BAD_VALUE)
            text = text[1:]
        body = text[3:] if text.startswith("in:") else text
        ids = [x.strip() for x in body.split(",")]
        if not all(is_uuid(x) for x in ids):
            raise bad(f"Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). "
                      f"Got: {text}", codes.QUERYPARAM_BAD_VALUE)
        if negative:
            if text.startswith("in:") or len(ids) == 1:
                forbidden.update(ids)
            else:
                raise bad("Invalid query string parameters: Forbidden aggregates must use 'in:'. "
                          f"Got: !{text}", codes.QUERYPARAM_BAD_VALUE)
        else:
            if len(ids) > 1 and not text.startswith("in:"):
                raise bad(f"Invalid query string parameters: Expected 'member_of' parameter to contain valid "
                          f"UUID(s). Got: {text}", codes.QUERYPARAM_BAD_VALUE)
            anyof.append(set(ids))
    return anyof, forbidden


def single(rq: ApiRequest, name: str) -> str | None:
    values = rq.query_list(name)
    if len(values) > 1:
        raise bad(f"Invalid query string parameters: '{name}' parameter appears more than once",
                  codes.ILLEGAL_DUPLICATE_QUERYPARAM)
    return values[0] if values else None


def check_query(rq: ApiRequest, allowed: Iterable[str], pattern: re.Pattern[str] | None = None) -> None:
    allowed = set(allowed)
    for key in rq.query.keys():
        if key not in allowed and not (pattern and pattern.match(key)):
            raise bad(f"Invalid query string parameters: Additional properties are not allowed "
                      f"('{key}' was unexpected)")


# --- responses -----------------------------------------------------------------------------
def http_date(value: dt.datetime | None) -> str:
    value = (value or utcnow()).replace(tzinfo=UTC)
    return email.utils.format_datetime(value, usegmt=True)


def answer(ctx: Context, body: Any, last_modified: dt.datetime | None = None, status: int = 200,
           cacheable: bool = True) -> Response:
    """JSON with last-modified and cache-control from 1.15 (placement's util.pick_last_modified)."""
    headers: dict[str, str] = {}
    if cacheable and ctx.version >= v.LAST_MODIFIED:
        headers = {"last-modified": http_date(last_modified), "cache-control": "no-cache"}
    if body is None:
        return empty(status, headers)
    return json_response(status, body, headers)


def newest(rows: Iterable[Any]) -> dt.datetime | None:
    best = None
    for r in rows:
        stamp = r["updated_at"] or r["created_at"]
        if stamp is not None and (best is None or stamp > best):
            best = stamp
    return best


def admin_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


__all__ = ["ApiError"]


def _not_found(ctx: Context, rq: ApiRequest) -> None:
    raise NotFound("The resource could not be found.")


def with_older(rows: list[Any]) -> list[Any]:
    """A route that does not exist at the requested microversion answers 404, as placement's version_handler."""
    from pocketstack.core.routing import route
    from pocketstack.core.versions import APIVersion
    out = list(rows)
    for r in rows:
        if r.min_version is not None and r.min_version.minor > 0:
            before = APIVersion(f"{r.min_version.major}.{r.min_version.minor - 1}")
            out.append(route(r.method, r.path, _not_found, policy=ANY_USER, max_version=before))
    return out

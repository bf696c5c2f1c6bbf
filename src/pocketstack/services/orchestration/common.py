"""What every Orchestration collection shares: the policy target, stack lookup by name or id, links,
times, the stack owner's trust (heat/api/openstack/v1/util.py, engine/api.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import internal_client, service_auth
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden, NotFound
from pocketstack.core.routing import ApiRequest
from pocketstack.services.orchestration.tables import stack_tags, stacks


def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """The URL's project is the policy target, as Heat's tenant-scoped routes."""
    return {"project_id": rq.params.get("tenant_id", ctx.project_id)}


def iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def base(ctx: Context, rq: ApiRequest) -> str:
    return f"{ctx.base_url}{rq.service_prefix}/v1/{rq.params['tenant_id']}"


def stack_link(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, str]:
    return {"href": f"{base(ctx, rq)}/stacks/{quote(row['name'])}/{row['id']}", "rel": "self"}


def not_found(name: str) -> NotFound:
    return NotFound(f"The Stack ({name}) could not be found.", kind="EntityNotFound")


def find_stack(conn: Any, ctx: Context, rq: ApiRequest, name: str, stack_id: str | None = None, *,
               deleted: bool = False) -> dict[str, Any]:
    """A stack of the URL's project by id or name (Heat's identify_stack); the name must match the id."""
    tenant = rq.params["tenant_id"]
    if tenant != ctx.project_id and not ctx.is_admin:
        raise Forbidden(f"Forbidden: tenant {tenant} does not match the token's project", kind="Forbidden")
    q = sa.select(stacks).where(stacks.c.project_id == tenant)
    ident = stack_id or name
    row = conn.execute(q.where(stacks.c.id == ident)).mappings().first()
    if row is None and stack_id is None:
        rows = conn.execute(q.where(stacks.c.name == name).order_by(stacks.c.created_at.desc())).mappings().all()
        live = [r for r in rows if r["deleted_at"] is None]
        row = live[0] if live else (rows[0] if rows and deleted else None)
    if row is None or (stack_id is not None and row["name"] != name) or (row["deleted_at"] is not None
                                                                        and not deleted):
        raise not_found(f"{name}/{stack_id}" if stack_id else name)
    return dict(row)


def body(rq: ApiRequest) -> dict[str, Any]:
    """The request body as an object; anything else sent is the 400 Heat's FaultWrapper makes of
    the AttributeError its controllers raise on it (`body.get`)."""
    if rq.body is None and not rq.body_bytes:
        return {}
    if not isinstance(rq.body, dict):
        raise BadRequest(f"'{type(rq.body).__name__}' object has no attribute 'get'", kind="AttributeError")
    return rq.body


def extract_int(name: str, value: str | None) -> int | None:
    """heat.api.openstack.v1.util param_utils.extract_int: a non-negative integer or 400."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"Only integer is acceptable by '{name}'.", kind="HTTPBadRequest") from None
    if number < 0:
        raise BadRequest(f"Value '{value}' is invalid for '{name}' which only accepts non-negative integer.",
                         kind="HTTPBadRequest")
    return number


def redirect(ctx: Context, rq: ApiRequest, row: Any, rest: str = "") -> Response:
    rest = quote(rest, safe="/%:@!$&'()*+,;=-._~")      # a path remainder may hold anything (NUL)
    location = f"{base(ctx, rq)}/stacks/{quote(row['name'])}/{row['id']}{rest}"
    if rq.query:
        location += "?" + str(rq.query)
    return Response(status_code=302, headers={"Location": location})


def tags_of(conn: Any, stack_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not stack_ids:
        return out
    for sid, tag in conn.execute(sa.select(stack_tags.c.stack_id, stack_tags.c.tag)
                                 .where(stack_tags.c.stack_id.in_(stack_ids)).order_by(stack_tags.c.id)):
        out.setdefault(sid, []).append(tag)
    return out


def boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "1", "yes", "t", "y", "on"):
        return True
    if text in ("false", "0", "no", "f", "n", "off", ""):
        return False
    raise BadRequest(f'Unrecognized value "{value}" for "{name}", acceptable values are: true, false',
                     kind="HTTPBadRequest")


def create_trust(ctx: Context) -> str:
    """Heat's deferred auth: a trust from the caller to the heat service user, with the caller's
    roles; one per stack (its nested stacks act with it), deleted with the stack."""
    heat = service_auth.credentials("orchestration")
    body = {"trust": {"trustor_user_id": ctx.user_id, "trustee_user_id": heat["user_id"],
                      "project_id": ctx.project_id, "impersonation": True,
                      "roles": [{"name": r} for r in ctx.roles]}}
    r = internal_client.call("POST", "/identity/v3/OS-TRUST/trusts", token=ctx.token, json=body)
    if r.status_code != 201:
        raise Forbidden(f"Could not create a trust for the stack: {r.text[:300]}", kind="Forbidden")
    return str(r.json()["trust"]["id"])


def param_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def type_allowed(ctx: Context, rtype: str) -> bool:
    """Heat's resource-type policies (resource_types:OS::Nova::Flavor, resource_types:OS::Keystone::*):
    a type without a rule of its own is open to everyone."""
    from pocketstack.services.orchestration import SERVICE
    policy = SERVICE.policy
    if policy is None:
        return True
    names = [f"resource_types:{rtype}"] + [n for n in policy.names if n.endswith("::*") and
                                          rtype.startswith(n[len("resource_types:"):-1])]
    return all(policy.check(n, {"project_id": ctx.project_id}, ctx) for n in names if n in policy.names)


def enforce_types(ctx: Context, types: list[str]) -> None:
    for rtype in types:
        if not type_allowed(ctx, rtype):
            raise Forbidden(f"You are not authorized to use {rtype}.", kind="Forbidden")

"""Account ACLs: X-Account-Access-Control (swift/common/middleware/acl.py version-2 ACLs, with
tempauth's keys and checks: swift/common/middleware/tempauth.py).

The header is a JSON object with up to three lists of grantees: "admin" (everything an owner may
do, the ACL itself included), "read-write" (all container and object operations, GET/HEAD of the
account) and "read-only" (GET/HEAD only). A grantee is a project id, or '<project>:<user>' where
each side is an id, a name or '*', as keystoneauth matches container ACLs. Only an owner of the
account may set it, and only owners see it on GET/HEAD of the account. It is kept in the account's
sysmeta, in Swift's canonical form (sorted keys, no spaces, ASCII).

Swift itself enforces account ACLs only under tempauth (keystoneauth stores and hides the header
but grants nothing by it); here keystone identities are matched against them (issue #6).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.services.object_store import state, tempauth

HEADER = "x-account-access-control"
KEY = "sys-access-control"
LEVELS = ("admin", "read-write", "read-only")


# --- schemas ---------------------------------------------------------------------
def parse(data: str | None) -> dict[str, Any] | None:
    """Swift's parse_acl_v2: None for invalid JSON or not an object, {} for an empty string."""
    if data is None:
        return None
    if data == "":
        return {}
    try:
        result = json.loads(data)
    except ValueError:
        return None
    return result if isinstance(result, dict) else None


def fmt(acl: Mapping[str, Any]) -> str:
    return json.dumps(acl, ensure_ascii=True, separators=(",", ":"), sort_keys=True)


def _error(data: str) -> str | None:
    result = parse(data)
    if result is None:
        return f"Syntax error in input ({data!r})"
    for key in result:
        if key not in LEVELS:
            return f"Key {json.dumps(key)} not recognized"
    for key in LEVELS:
        if key not in result:
            continue
        if not isinstance(result[key], list):
            return f"Value for key {json.dumps(key)} must be a list"
        if not all(isinstance(g, str) for g in result[key]):
            return f"Elements of {json.dumps(key)} list must be strings"
    return None


def validate(data: str) -> str:
    """The ACL to store ('' removes it); 400 with tempauth's text for a malformed one."""
    error = _error(data)
    if error:
        raise BadRequest(f"X-Account-Access-Control invalid: {error}\n\nInput: {data}\n", plain=True)
    acl = parse(data) or {}
    return fmt(acl) if acl else ""


def apply(meta: dict[str, Any], rq_headers: Mapping[str, str]) -> None:
    if HEADER not in rq_headers:
        return
    value = validate(rq_headers[HEADER])
    if value:
        meta[KEY] = value
    else:
        meta.pop(KEY, None)


# --- views -----------------------------------------------------------------------
def show(meta: Mapping[str, Any]) -> dict[str, str]:
    acl = parse(meta.get(KEY))
    return {"X-Account-Access-Control": fmt(acl)} if acl else {}


# --- logic -----------------------------------------------------------------------
def _matches(ctx: Context, grantees: Any) -> bool:
    if not isinstance(grantees, list):
        return False
    found = tempauth.groups(ctx)
    if found is not None:
        return any(g in found for g in grantees)
    projects = [p for p in (ctx.project_id, ctx.project_name, "*") if p]
    users = [u for u in (ctx.user_id, ctx.user_name, "*") if u]
    names = {ctx.project_id} | {f"{p}:{u}" for p in projects for u in users}
    return any(g in names for g in grantees)


def level(ctx: Context, account: str) -> str | None:
    """The strongest grant the account's ACL gives the caller: admin, read-write, read-only or None."""
    if not ctx.authenticated:
        return None
    with db.reader() as conn:
        row = state.get_account(conn, account)
    acl = parse((row or {}).get("meta", {}).get(KEY)) or {}
    for name in LEVELS:
        if _matches(ctx, acl.get(name)):
            return name
    return None

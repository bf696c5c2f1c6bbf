"""keystoneauth and container ACLs: owner roles, cross-project users and referrer (.r:) rules.

Reads (GET/HEAD of objects) pass a container's X-Container-Read; listings need `.rlistings` with a
referrer rule, or a user/role rule; writes need X-Container-Write. A request no rule allows is
401 without a token and 403 with one (swift/common/middleware/{keystoneauth,acl}.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlparse

from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden, Unauthorized
from pocketstack.services.object_store import account_acl, policies, tempauth
from pocketstack.services.object_store.constraints import RESELLER_PREFIX, bad

READ, LIST, WRITE, OWNER, ACCOUNT = "read", "list", "write", "owner", "account"
# What each X-Account-Access-Control level grants (OWNER: container PUT/POST/DELETE; ACCOUNT: account POST).
ACCOUNT_ACL_GRANTS = {"admin": {READ, LIST, WRITE, OWNER, ACCOUNT}, "read-write": {READ, LIST, WRITE, OWNER},
                      "read-only": {READ, LIST}}


def project_of(account: str) -> str | None:
    return account[len(RESELLER_PREFIX):] if account.startswith(RESELLER_PREFIX) else None


def roles(ctx: Context) -> set[str]:
    return {r.lower() for r in ctx.roles}


def is_reseller(ctx: Context) -> bool:
    return ctx.authenticated and policies.RESELLER_ADMIN_ROLE in roles(ctx)


def is_owner(ctx: Context, account: str) -> bool:
    """keystoneauth's swift_owner: reseller admin, an operator of the project, or an account ACL admin."""
    if _operator(ctx, account):
        return True
    return ctx.authenticated and project_of(account) is not None and account_acl.level(ctx, account) == "admin"


def _operator(ctx: Context, account: str) -> bool:
    if not ctx.authenticated:
        return False
    found = tempauth.groups(ctx)
    if found is not None:
        return tempauth.is_owner(found, account)
    if is_reseller(ctx):
        return True
    return ctx.project_id == project_of(account) and bool(roles(ctx) & policies.OPERATOR_ROLES)


def is_reader(ctx: Context, account: str) -> bool:
    found = tempauth.groups(ctx)
    if found is not None:
        return tempauth.is_reader(found, account)
    return (ctx.authenticated and ctx.project_id == project_of(account)
            and bool(roles(ctx) & (policies.READER_ROLES | policies.OPERATOR_ROLES)))


def parse(acl: str | None) -> tuple[list[str], list[str]]:
    referrers, groups = [], []
    for value in (acl or "").split(","):
        value = value.strip()
        if not value:
            continue
        if value.startswith(".r:"):
            referrers.append(value[3:])
        elif value.startswith("."):
            groups.append(value)
        else:
            groups.append(unquote(value))
    return referrers, groups


def clean(acl: str) -> str:
    """Normalise an ACL header as Swift's clean_acl does; 400 for a malformed referrer rule."""
    out = []
    for value in acl.split(","):
        value = value.strip()
        if not value:
            continue
        if value.startswith((".r:", ".ref:", ".referer:", ".referrer:")):
            rule = value.split(":", 1)[1].strip()
            if not rule or rule in ("-", ".", "-."):
                raise bad(f'No host/domain value after referrer designation in ACL: "{value}"')
            out.append(".r:" + rule)
        elif value.startswith(".") and value != ".rlistings":
            raise bad(f'Unknown designator "{value}" in ACL: "{acl}"')
        else:
            out.append(value)
    return ",".join(out)


def referrer_allowed(referrer: str | None, rules: list[str]) -> bool:
    host = urlparse(referrer or "").hostname or ""
    allowed = False
    for rule in rules:
        deny = rule.startswith("-")
        rule = rule[1:] if deny else rule
        if rule == "*" or host == rule or (rule.startswith(".") and host.endswith(rule)):
            allowed = not deny
    return allowed


def group_allowed(ctx: Context, groups: list[str]) -> bool:
    if not ctx.authenticated:
        return False
    found = tempauth.groups(ctx)
    if found is not None:       # tempauth: any of the user's groups named in the ACL
        return any(g in groups for g in found)
    users = {ctx.user_id, ctx.user_name, "*"}
    projects = {ctx.project_id, ctx.project_name, "*"}
    if any(f"{p}:{u}" in groups for p in projects for u in users if p and u):
        return True
    return bool(roles(ctx) & {g.lower() for g in groups})


def authorize(ctx: Context, account: str, op: str, container_meta: Mapping[str, Any] | None = None,
              referrer: str | None = None) -> None:
    if project_of(account) is not None or tempauth.is_definitive(account):
        if _operator(ctx, account):
            return
        if op in (READ, LIST) and is_reader(ctx, account):
            return
        if op not in (OWNER, ACCOUNT) and container_meta is not None and \
                _acl_allows(ctx, op, container_meta, referrer):
            return
        if op in ACCOUNT_ACL_GRANTS.get(account_acl.level(ctx, account) or "", ()):
            return
    if not ctx.authenticated:
        raise Unauthorized("Unauthorized")
    raise Forbidden("Forbidden")


def _acl_allows(ctx: Context, op: str, meta: Mapping[str, Any], referrer: str | None) -> bool:
    referrers, groups = parse(meta.get("x-container-write" if op == WRITE else "x-container-read"))
    if group_allowed(ctx, groups):
        return True
    if op == WRITE:
        return False
    if op == LIST and ".rlistings" not in groups:
        return False
    return referrer_allowed(referrer, referrers)

"""Domain configuration: /v3/domains/{domain_id}/config (api-ref: identity, Domain configuration).

Stored and served as keystone does; this cloud has no LDAP driver, so a domain's config changes
nothing about how its users are looked up.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import domains, options
from pocketstack.services.identity.tables import generic

KIND = "domain_config"
_LDAP_DEFAULTS: dict[str, Any] = {
    "url": "ldap://localhost", "user": None, "suffix": "cn=example,cn=com", "query_scope": "one", "page_size": 0,
    "alias_dereferencing": "default", "debug_level": None, "chase_referrals": None, "user_tree_dn": None,
    "user_filter": None, "user_objectclass": "inetOrgPerson", "user_id_attribute": "cn",
    "user_name_attribute": "sn", "user_mail_attribute": "mail", "user_description_attribute": "description",
    "user_pass_attribute": "userPassword", "user_enabled_attribute": "enabled", "user_enabled_invert": False,
    "user_enabled_mask": 0, "user_enabled_default": "True", "user_attribute_ignore": ["default_project_id"],
    "user_default_project_id_attribute": None, "user_enabled_emulation": False, "user_enabled_emulation_dn": None,
    "user_enabled_emulation_use_group_config": False, "user_additional_attribute_mapping": [],
    "group_tree_dn": None, "group_filter": None, "group_objectclass": "groupOfNames", "group_id_attribute": "cn",
    "group_name_attribute": "ou", "group_members_are_ids": False, "group_member_attribute": "member",
    "group_desc_attribute": "description", "group_attribute_ignore": [], "group_additional_attribute_mapping": [],
    "tls_cacertfile": None, "tls_cacertdir": None, "use_tls": False, "tls_req_cert": "demand", "use_pool": True,
    "pool_size": 10, "pool_retry_max": 3, "pool_retry_delay": 0.1, "pool_connection_timeout": -1,
    "pool_connection_lifetime": 600, "use_auth_pool": True, "auth_pool_size": 100,
    "auth_pool_connection_lifetime": 60}
# The options keystone lets a domain override (its whitelisted options), with their defaults.
DEFAULTS: dict[str, dict[str, Any]] = {"identity": {"driver": "sql", "list_limit": None}, "ldap": _LDAP_DEFAULTS}
SENSITIVE = {"ldap": {"password"}}
COMPLIANCE = ("password_regex", "password_regex_description")

# --- schemas -------------------------------------------------------------------
CONFIG = schemas.obj({"config": {"type": "object"}}, ["config"])


# --- views -----------------------------------------------------------------------
def render_config(config: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Sensitive options (the LDAP password) are stored but never shown."""
    shown = {g: {o: v for o, v in opts.items() if o not in SENSITIVE.get(g, ())} for g, opts in config.items()}
    return {g: opts for g, opts in shown.items() if opts}


# --- logic ------------------------------------------------------------------------
def _invalid(reason: str) -> Forbidden:
    return Forbidden(f"Invalid domain specific configuration: {reason}.")


def check_group_and_option(group: str | None, option: str | None) -> None:
    if group is not None and group not in DEFAULTS:
        raise _invalid(f"Group {group} is not supported for domain specific configurations")
    if option is not None and option not in DEFAULTS[group] and option not in SENSITIVE.get(group, ()):
        raise _invalid(f"Option {option} in group {group} is not supported for domain specific configurations")


def check_config(config: dict[str, Any]) -> None:
    if not config:
        raise _invalid("No options specified")
    for group, opts in config.items():
        if not opts or not isinstance(opts, dict):
            raise _invalid(f"The value of group {group} specified in the config should be a dictionary of options")
        for option in opts:
            check_group_and_option(group, option)


def load(conn: Connection, domain_id: str) -> dict[str, dict[str, Any]]:
    body = conn.execute(sa.select(generic.c.body).where(generic.c.kind == KIND, generic.c.id == domain_id)).scalar()
    return dict(body or {})


def store(conn: Connection, domain_id: str, config: dict[str, dict[str, Any]]) -> None:
    conn.execute(generic.delete().where(generic.c.kind == KIND, generic.c.id == domain_id))
    if config:
        conn.execute(generic.insert().values(kind=KIND, id=domain_id, owner_id=domain_id, body=config,
                                             created_at=utcnow()))


def _not_found(domain_id: str, group: str | None, option: str | None) -> NotFound:
    what = (f"option {option} in group {group}" if option else f"group {group}" if group else "any options")
    return NotFound(f"Could not find {what} in domain configuration for domain {domain_id}.")


def select(config: dict[str, Any], domain_id: str, group: str | None, option: str | None) -> dict[str, Any]:
    shown = render_config(config)
    if group is None:
        if not shown:
            raise _not_found(domain_id, None, None)
        return shown
    if option is None:
        if group not in shown:
            raise _not_found(domain_id, group, None)
        return {group: shown[group]}
    if option not in shown.get(group, {}):
        raise _not_found(domain_id, group, option)
    return {option: shown[group][option]}


def update(conn: Connection, domain_id: str, config: dict[str, Any], group: str | None, option: str | None) -> None:
    changes = {group: config} if option is not None else config
    check_config(changes)
    check_group_and_option(group, option)
    current = load(conn, domain_id)
    if group is not None:
        if list(changes) != [group] or (option is not None and list(changes[group]) != [option]):
            what = f"option {option} in group {group}" if option else f"group {group}"
            raise _invalid(f"Trying to update {what}, so that, and only that, {'option' if option else 'group'} "
                           f"must be specified in the config")
        if group not in current or (option is not None and option not in current[group]):
            raise _not_found(domain_id, group, option)
    for g, opts in changes.items():
        current[g] = {**current.get(g, {}), **opts}
    store(conn, domain_id, current)


def delete(conn: Connection, domain_id: str, group: str | None, option: str | None) -> None:
    check_group_and_option(group, option)
    current = load(conn, domain_id)
    if group is None:
        store(conn, domain_id, {})
        return
    if not current.get(group) or (option is not None and option not in current[group]):
        raise _not_found(domain_id, group, option)
    if option is None:
        del current[group]
    else:
        del current[group][option]
    store(conn, domain_id, {g: o for g, o in current.items() if o})


def defaults(group: str | None, option: str | None) -> dict[str, Any]:
    check_group_and_option(group, option)
    if option is not None:
        if option not in DEFAULTS[group]:
            raise _invalid(f"Reading the default for option {option} in group {group} is not supported")
        return {option: DEFAULTS[group][option]}
    return {g: dict(opts) for g, opts in DEFAULTS.items() if group in (None, g)}


def compliance(domain_id: str, option: str | None) -> dict[str, Any]:
    if domain_id != "default":
        raise _invalid("Reading security compliance information for any domain other than the default domain is "
                       "not allowed or supported")
    if option is not None and option not in COMPLIANCE:
        raise _invalid("Reading security compliance values other than password_regex and "
                       "password_regex_description is not allowed")
    values = {o: options.compliance(o) for o in COMPLIANCE if option in (None, o)}
    return values if option is not None else {"security_compliance": values}


# --- routes ------------------------------------------------------------------------
def _params(rq: ApiRequest) -> tuple[str, str | None, str | None]:
    return rq.params["domain_id"], rq.params.get("group"), rq.params.get("option")


def show_config(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    domain_id, group, option = _params(rq)
    check_group_and_option(group, option)
    with db.reader() as conn:
        domains.get_domain(conn, domain_id)
        return {"config": select(load(conn, domain_id), domain_id, group, option)}


def show_compliance(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        domains.get_domain(conn, rq.params["domain_id"])
    return {"config": compliance(rq.params["domain_id"], rq.params.get("option"))}


def create_config(ctx: Context, rq: ApiRequest) -> Any:
    check_config(rq.body["config"])
    with db.session() as conn:
        domains.get_domain(conn, rq.params["domain_id"])
        existed = bool(load(conn, rq.params["domain_id"]))
        store(conn, rq.params["domain_id"], rq.body["config"])
    body = {"config": render_config(rq.body["config"])}
    return body if existed else json_response(201, body)


def update_config(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    domain_id, group, option = _params(rq)
    with db.session() as conn:
        domains.get_domain(conn, domain_id)
        update(conn, domain_id, rq.body["config"], group, option)
        return {"config": render_config(load(conn, domain_id))}


def delete_config(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        domains.get_domain(conn, rq.params["domain_id"])
        delete(conn, *_params(rq))


def show_defaults(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"config": defaults(rq.params.get("group"), rq.params.get("option"))}


def _config_routes(path: str) -> list[Any]:
    return [route("GET", path, show_config, policy="identity:get_domain_config"),
            route("PATCH", path, update_config, policy="identity:update_domain_config", body=CONFIG),
            route("DELETE", path, delete_config, policy="identity:delete_domain_config", status=204)]


_C = "/v3/domains/{domain_id}/config"
ROUTES = [
    route("GET", "/v3/domains/config/default", show_defaults, policy="identity:get_domain_config_default"),
    route("GET", "/v3/domains/config/{group}/default", show_defaults, policy="identity:get_domain_config_default"),
    route("GET", "/v3/domains/config/{group}/{option}/default", show_defaults,
          policy="identity:get_domain_config_default"),
    route("GET", _C + "/security_compliance", show_compliance,
          policy="identity:get_security_compliance_domain_config"),
    route("GET", _C + "/security_compliance/{option}", show_compliance,
          policy="identity:get_security_compliance_domain_config"),
    route("PUT", _C, create_config, policy="identity:create_domain_config", body=CONFIG),
    *_config_routes(_C),
    *_config_routes(_C + "/{group}"),
    *_config_routes(_C + "/{group}/{option}"),
]

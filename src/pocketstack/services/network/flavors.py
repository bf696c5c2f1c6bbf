"""Networking service flavors: /v2.0/flavors, /v2.0/service_profiles and their associations
(api-ref: network, Networking Flavors Framework; flavors, l3-flavors). A router's flavor_id lives in
its own table and is checked here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.policy import in_handler
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common, service_providers
from pocketstack.services.network import tables as t

FLAVOR_COLUMNS = {k: k for k in ("id", "name", "description", "service_type", "enabled")}
PROFILE_COLUMNS = {k: k for k in ("id", "description", "driver", "enabled", "metainfo")}
NO_VISIBILITY = None


# --- views ---------------------------------------------------------------------------
def render_flavors(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r["id"] for r in rows]
    profiles: dict[str, list[str]] = {i: [] for i in ids}
    b = t.flavor_profile_bindings
    for flavor_id, profile_id in conn.execute(sa.select(b.c.flavor_id, b.c.service_profile_id)
                                              .where(b.c.flavor_id.in_(ids)).order_by(b.c.service_profile_id)):
        profiles[flavor_id].append(profile_id)
    return [{**{k: r[k] for k in FLAVOR_COLUMNS}, "service_profiles": profiles[r["id"]]} for r in rows]


def render_profiles(conn: Connection, ctx: Context, rows: list[Any]) -> list[dict[str, Any]]:
    return [{k: r[k] for k in PROFILE_COLUMNS} for r in rows]


FLAVORS = common.Collection(
    "flavor", "flavors", t.flavors, "Flavor", {*FLAVOR_COLUMNS, "service_profiles"}, render_flavors,
    filters=common.column_filters(t.flavors, FLAVOR_COLUMNS), sort_keys={"name", "service_type", "enabled"},
    not_found_message="Flavor {id} could not be found.")
PROFILES = common.Collection(
    "service_profile", "service_profiles", t.service_profiles, "ServiceProfile", set(PROFILE_COLUMNS),
    render_profiles, filters=common.column_filters(t.service_profiles, PROFILE_COLUMNS),
    sort_keys={"driver", "enabled"}, not_found_message="Service Profile {id} could not be found.")


# --- logic ---------------------------------------------------------------------------
def _string(item: dict[str, Any], key: str, limit: int) -> str:
    value = item.get(key) or ""
    if not isinstance(value, str) or len(value) > limit:
        raise common.invalid(key, f"'{value}' is not a valid string")
    return value


def flavor_values(item: dict[str, Any], create: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "name" in item or create:
        values["name"] = _string(item, "name", 255)
    if "description" in item or create:
        values["description"] = _string(item, "description", 1024)
    if "enabled" in item or create:
        values["enabled"] = common.to_bool(item.get("enabled", True), "enabled")
    if create:
        service_type = item.get("service_type")
        if not service_type:
            raise BadRequest("Failed to parse request. Required attribute 'service_type' not specified")
        if service_type not in PLUGIN_TYPES:        # neutron_lib validate_service_plugin_type
            raise BadRequest(f"Invalid input for operation: Invalid service type {service_type}.",
                             kind="InvalidServiceType")
        values["service_type"] = service_type
    return values


# the plugin types a DevStack node loads (neutron_lib.plugins.constants); a flavor names one of them
PLUGIN_TYPES = {"CORE", "FLAVORS", "QOS", *service_providers.SERVICE_TYPES}


def profile_values(item: dict[str, Any], create: bool, current: dict[str, Any] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("description", "driver", "metainfo"):
        if key in item or create:
            values[key] = _string(item, key, 4096 if key == "metainfo" else 1024)
    if "enabled" in item or create:
        values["enabled"] = common.to_bool(item.get("enabled", True), "enabled")
    merged = {**(current or {}), **values}
    if not merged.get("driver") and not merged.get("metainfo"):
        raise BadRequest("Service Profile needs either a driver or metainfo.", kind="ServiceProfileEmpty")
    if values.get("driver") and values["driver"] not in service_providers.DRIVERS:
        raise NotFound(f"Service Profile driver {values['driver']} could not be found.",
                       kind="ServiceProfileDriverNotFound")
    return values


def router_flavors(conn: Connection, router_ids: list[str]) -> dict[str, str]:
    return dict(conn.execute(sa.select(t.router_flavors.c.router_id, t.router_flavors.c.flavor_id)
                             .where(t.router_flavors.c.router_id.in_(router_ids))).all())


def check_router_flavor(conn: Connection, flavor_id: Any) -> str:
    """The flavor a new router asks for: it must exist, be enabled and be an L3_ROUTER_NAT flavor."""
    if not isinstance(flavor_id, str):
        raise common.invalid("flavor_id", f"'{flavor_id}' is not a valid UUID")
    row = conn.execute(sa.select(t.flavors).where(t.flavors.c.id == flavor_id)).mappings().first()
    if row is None:
        raise FLAVORS.not_found(flavor_id)
    if row["service_type"] != service_providers.L3:
        raise BadRequest(f"Service type {row['service_type']} does not exist", kind="InvalidFlavorServiceType")
    if not row["enabled"]:
        raise BadRequest("Flavor is not enabled.", kind="FlavorDisabled")
    return flavor_id


def set_router_flavor(conn: Connection, router_id: str, flavor_id: str | None) -> None:
    conn.execute(t.router_flavors.delete().where(t.router_flavors.c.router_id == router_id))
    if flavor_id:
        conn.execute(t.router_flavors.insert().values(router_id=router_id, flavor_id=flavor_id))


# --- routes: flavors -----------------------------------------------------------------
def list_flavors(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.list_resources(FLAVORS, ctx, rq)


def show_flavor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return common.show_resource(FLAVORS, ctx, rq, rq.params["flavor_id"])


def create_flavor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    (item,) = common.bodies(rq, "flavor", "flavors", {"name", "service_type", "enabled"}, bulk=False)
    row = {"id": new_uuid(), **flavor_values(item, True)}
    with db.session() as conn:
        conn.execute(t.flavors.insert().values(**row))
        return {"flavor": render_flavors(conn, ctx, [row])[0]}


def update_flavor(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "flavor", {"name", "enabled"})
    with db.session() as conn:
        row = common.load(conn, FLAVORS, ctx, rq.params["flavor_id"])
        common.enforce_found(ctx, "update_flavor", _target(ctx, rq), None)
        values = flavor_values(item, False)
        if values:
            conn.execute(t.flavors.update().where(t.flavors.c.id == row["id"]).values(**values))
    return common.show_resource(FLAVORS, ctx, rq, row["id"])


def delete_flavor(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, FLAVORS, ctx, rq.params["flavor_id"])
        common.enforce_found(ctx, "delete_flavor", _target(ctx, rq), None)
        if conn.execute(sa.select(t.router_flavors).where(t.router_flavors.c.flavor_id == row["id"])).first():
            raise Conflict(f"Flavor {row['id']} is used by some service instance.", kind="FlavorInUse")
        conn.execute(t.flavor_profile_bindings.delete().where(t.flavor_profile_bindings.c.flavor_id == row["id"]))
        conn.execute(t.flavors.delete().where(t.flavors.c.id == row["id"]))


# --- routes: service profiles --------------------------------------------------------
def list_profiles(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if not common.listable(ctx, "get_service_profile"):
        return {"service_profiles": []}
    return common.list_resources(PROFILES, ctx, rq)


def show_profile(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = common.show_resource(PROFILES, ctx, rq, rq.params["profile_id"])   # 404 first, as neutron
    common.enforce(ctx, "get_service_profile", {"project_id": ctx.project_id})
    return body


def create_profile(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    (item,) = common.bodies(rq, "service_profile", "service_profiles", {"driver", "metainfo", "enabled"},
                            bulk=False)
    row = {"id": new_uuid(), **profile_values(item, True)}
    with db.session() as conn:
        conn.execute(t.service_profiles.insert().values(**row))
    return {"service_profile": render_profiles(None, ctx, [row])[0]}  # type: ignore[arg-type]


def update_profile(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    item = common.update_body(rq, "service_profile", {"driver", "metainfo", "enabled"})
    with db.session() as conn:
        row = common.load(conn, PROFILES, ctx, rq.params["profile_id"])
        common.enforce_found(ctx, "update_service_profile", _target(ctx, rq), None)
        values = profile_values(item, False, row)
        if values:
            conn.execute(t.service_profiles.update().where(t.service_profiles.c.id == row["id"]).values(**values))
    return common.show_resource(PROFILES, ctx, rq, row["id"])


def delete_profile(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = common.load(conn, PROFILES, ctx, rq.params["profile_id"])
        common.enforce_found(ctx, "delete_service_profile", _target(ctx, rq), None)
        if conn.execute(sa.select(t.flavor_profile_bindings).where(
                t.flavor_profile_bindings.c.service_profile_id == row["id"])).first():
            raise Conflict(f"Service Profile {row['id']} is used by some service instance.",
                           kind="ServiceProfileInUse")
        conn.execute(t.service_profiles.delete().where(t.service_profiles.c.id == row["id"]))


# --- routes: associations ------------------------------------------------------------
def associate(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body if isinstance(rq.body, dict) else {}
    item = body.get("service_profile")
    if not isinstance(item, dict) or not item.get("id"):
        raise BadRequest("Unable to find 'service_profile' in request body")
    b = t.flavor_profile_bindings
    with db.session() as conn:
        flavor = common.load(conn, FLAVORS, ctx, rq.params["flavor_id"])
        profile = common.load(conn, PROFILES, ctx, item["id"])
        if conn.execute(sa.select(b).where(b.c.flavor_id == flavor["id"],
                                           b.c.service_profile_id == profile["id"])).first():
            raise Conflict(f"Service Profile {profile['id']} is already associated with flavor {flavor['id']}.",
                           kind="FlavorServiceProfileBindingExists")
        conn.execute(b.insert().values(flavor_id=flavor["id"], service_profile_id=profile["id"]))
    return {"service_profile": {"id": profile["id"]}}


def disassociate(ctx: Context, rq: ApiRequest) -> None:
    b = t.flavor_profile_bindings
    with db.session() as conn:
        flavor = common.load(conn, FLAVORS, ctx, rq.params["flavor_id"])
        profile_id = rq.params["profile_id"]
        if not conn.execute(sa.select(b).where(b.c.flavor_id == flavor["id"], b.c.service_profile_id == profile_id)
                            ).first():
            raise NotFound(f"Service Profile {profile_id} is not associated with flavor {flavor['id']}.",
                           kind="FlavorServiceProfileBindingNotFound")
        common.enforce_found(ctx, "delete_flavor_service_profile", _target(ctx, rq), None)
        done = conn.execute(b.delete().where(b.c.flavor_id == flavor["id"], b.c.service_profile_id == profile_id))
        if not done.rowcount:
            raise NotFound(f"Service Profile {profile_id} is not associated with flavor {flavor['id']}.",
                           kind="FlavorServiceProfileBindingNotFound")


def list_associations(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        flavor = render_flavors(conn, ctx, [common.load(conn, FLAVORS, ctx, rq.params["flavor_id"])])[0]
    return {"service_profiles": [{"id": i} for i in flavor["service_profiles"]]}


def _target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": ctx.project_id}


F, S = "/v2.0/flavors", "/v2.0/service_profiles"
ROUTES = [
    route("GET", F, list_flavors, policy="get_flavor"),
    route("POST", F, create_flavor, policy="create_flavor", target=_target, status=201),
    route("GET", F + "/{flavor_id}", show_flavor, policy="get_flavor", target=_target),
    route("PUT", F + "/{flavor_id}", update_flavor, policy=in_handler("update_flavor")),
    route("DELETE", F + "/{flavor_id}", delete_flavor, policy=in_handler("delete_flavor"), status=204),
    route("GET", F + "/{flavor_id}/service_profiles", list_associations, policy="get_flavor_service_profile",
          target=_target),
    route("POST", F + "/{flavor_id}/service_profiles", associate, policy="create_flavor_service_profile",
          target=_target, status=201),
    route("DELETE", F + "/{flavor_id}/service_profiles/{profile_id}", disassociate,
          policy=in_handler("delete_flavor_service_profile"), status=204),
    route("GET", S, list_profiles, policy=in_handler("get_service_profile")),
    route("POST", S, create_profile, policy="create_service_profile", target=_target, status=201),
    route("GET", S + "/{profile_id}", show_profile, policy=in_handler("get_service_profile")),
    route("PUT", S + "/{profile_id}", update_profile, policy=in_handler("update_service_profile")),
    route("DELETE", S + "/{profile_id}", delete_profile, policy=in_handler("delete_service_profile"), status=204),
]

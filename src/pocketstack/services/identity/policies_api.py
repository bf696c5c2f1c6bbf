"""Policies: /v3/policies and OS-ENDPOINT-POLICY (api-ref: identity, Policies; OS-ENDPOINT-POLICY).

Policy blobs are opaque documents kept for other services; they do not change how this cloud enforces.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import endpoints as endpoints_api
from pocketstack.services.identity import links, regions, services
from pocketstack.services.identity.tables import endpoints, generic, policy_associations

KIND = "policy"

# --- schemas -------------------------------------------------------------------
_PROPS = {"blob": {"type": "string"}, "type": {"type": "string", "maxLength": 255}}
CREATE = schemas.wrap("policy", schemas.obj(_PROPS, ["blob", "type"]))
UPDATE = schemas.wrap("policy", schemas.obj(_PROPS, minProperties=1))


# --- views -----------------------------------------------------------------------
def render_policy(ctx: Context, policy_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "id": policy_id, "links": links.entity(ctx, f"policies/{policy_id}")}


# --- logic ------------------------------------------------------------------------
def get_policy(conn: Connection, policy_id: str) -> dict[str, Any]:
    body = conn.execute(sa.select(generic.c.body).where(generic.c.kind == KIND, generic.c.id == policy_id)).scalar()
    if body is None:
        raise NotFound(f"Could not find policy: {policy_id}.")
    return dict(body)


def _association(rq: ApiRequest) -> dict[str, Any]:
    return {"endpoint_id": rq.params.get("endpoint_id"), "service_id": rq.params.get("service_id"),
            "region_id": rq.params.get("region_id")}


def _check_refs(conn: Connection, rq: ApiRequest) -> dict[str, Any]:
    get_policy(conn, rq.params["policy_id"])
    key = _association(rq)
    if key["endpoint_id"]:
        endpoints_api.get_endpoint(conn, key["endpoint_id"])
    if key["service_id"]:
        services.get_service(conn, key["service_id"])
    if key["region_id"]:
        regions.get_region(conn, key["region_id"])
    return key


def _where(key: dict[str, Any]) -> list[Any]:
    return [policy_associations.c[k] == v if v is not None else policy_associations.c[k].is_(None)
            for k, v in key.items()]


def endpoints_for_policy(conn: Connection, policy_id: str) -> list[Any]:
    """Endpoints a policy reaches: directly, through their service, or their service in a region tree."""
    ids: set[str] = set()
    for assoc in conn.execute(sa.select(policy_associations)
                              .where(policy_associations.c.policy_id == policy_id)).mappings():
        stmt = sa.select(endpoints.c.id)
        if assoc["endpoint_id"]:
            stmt = stmt.where(endpoints.c.id == assoc["endpoint_id"])
        else:
            stmt = stmt.where(endpoints.c.service_id == assoc["service_id"])
            if assoc["region_id"]:
                stmt = stmt.where(endpoints.c.region_id.in_(regions.subtree(conn, assoc["region_id"])))
        ids.update(conn.execute(stmt).scalars())
    return list(conn.execute(sa.select(endpoints).where(endpoints.c.id.in_(ids)).order_by(endpoints.c.id)).mappings())


def policy_for_endpoint(conn: Connection, endpoint_id: str) -> str:
    """The endpoint's own policy, else its service's in its region or the nearest parent region,
    else its service's."""
    ep = endpoints_api.get_endpoint(conn, endpoint_id)
    candidates = [{"endpoint_id": endpoint_id, "service_id": None, "region_id": None}]
    region_id, seen = ep["region_id"], set()
    while region_id is not None and region_id not in seen:
        seen.add(region_id)
        candidates.append({"endpoint_id": None, "service_id": ep["service_id"], "region_id": region_id})
        region_id = conn.execute(sa.select(regions.regions.c.parent_region_id)
                                 .where(regions.regions.c.id == region_id)).scalar()
    candidates.append({"endpoint_id": None, "service_id": ep["service_id"], "region_id": None})
    for key in candidates:
        found = conn.execute(sa.select(policy_associations.c.policy_id).where(*_where(key))).scalar()
        if found:
            return found
    raise NotFound(f"No policy is associated with endpoint {endpoint_id}.")


# --- routes: policies ----------------------------------------------------------------
def list_policies(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(generic.c.id, generic.c.body).where(generic.c.kind == KIND)
                            .order_by(generic.c.created_at, generic.c.id)).all()
    found = [render_policy(ctx, pid, body) for pid, body in rows
             if "type" not in rq.query or body.get("type") == rq.query["type"]]
    return {"policies": found, "links": links.collection(ctx, "policies", str(rq.query))}


def create_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = {k: v for k, v in rq.body["policy"].items() if k != "id"}
    policy_id = new_id()
    with db.session() as conn:
        conn.execute(generic.insert().values(kind=KIND, id=policy_id, body=body, created_at=utcnow()))
    return {"policy": render_policy(ctx, policy_id, body)}


def show_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"policy": render_policy(ctx, rq.params["policy_id"], get_policy(conn, rq.params["policy_id"]))}


def update_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    policy_id, changes = rq.params["policy_id"], rq.body["policy"]
    if changes.pop("id", policy_id) != policy_id:
        raise BadRequest("Cannot change ID")
    with db.session() as conn:
        body = {**get_policy(conn, policy_id), **changes}
        conn.execute(generic.update().where(generic.c.kind == KIND, generic.c.id == policy_id)
                     .values(body=body, updated_at=utcnow()))
    return {"policy": render_policy(ctx, policy_id, body)}


def delete_policy(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_policy(conn, rq.params["policy_id"])
        conn.execute(policy_associations.delete().where(policy_associations.c.policy_id == rq.params["policy_id"]))
        conn.execute(generic.delete().where(generic.c.kind == KIND, generic.c.id == rq.params["policy_id"]))


# --- routes: OS-ENDPOINT-POLICY --------------------------------------------------------
def associate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        key = _check_refs(conn, rq)
        if conn.execute(policy_associations.update().where(*_where(key))
                        .values(policy_id=rq.params["policy_id"])).rowcount == 0:
            conn.execute(policy_associations.insert().values(id=new_id(), policy_id=rq.params["policy_id"], **key))


def check_association(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        key = _check_refs(conn, rq)
        if not conn.execute(sa.select(policy_associations.c.id).where(
                *_where(key), policy_associations.c.policy_id == rq.params["policy_id"])).first():
            raise NotFound("Could not find policy association.")


def dissociate(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        key = _check_refs(conn, rq)
        if conn.execute(policy_associations.delete().where(
                *_where(key), policy_associations.c.policy_id == rq.params["policy_id"])).rowcount == 0:
            raise NotFound("Could not find policy association.")


def list_policy_endpoints(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        get_policy(conn, rq.params["policy_id"])
        rows = endpoints_for_policy(conn, rq.params["policy_id"])
    return {"endpoints": [endpoints_api.render_endpoint(ctx, r) for r in rows],
            "links": links.collection(ctx, f"policies/{rq.params['policy_id']}/OS-ENDPOINT-POLICY/endpoints")}


def show_endpoint_policy(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        policy_id = policy_for_endpoint(conn, rq.params["endpoint_id"])
        return {"policy": render_policy(ctx, policy_id, get_policy(conn, policy_id))}


_P = "/v3/policies/{policy_id}"
_EP = _P + "/OS-ENDPOINT-POLICY"


def _association_routes(path: str, kind: str) -> list[Any]:
    return [route("PUT", path, associate, policy=f"identity:create_policy_association_for_{kind}", status=204),
            route("GET", path, check_association, policy=f"identity:check_policy_association_for_{kind}",
                  status=204),
            route("DELETE", path, dissociate, policy=f"identity:delete_policy_association_for_{kind}", status=204)]


ROUTES = [
    route("GET", "/v3/policies", list_policies, policy="identity:list_policies"),
    route("POST", "/v3/policies", create_policy, policy="identity:create_policy", body=CREATE, status=201),
    route("GET", _P, show_policy, policy="identity:get_policy"),
    route("PATCH", _P, update_policy, policy="identity:update_policy", body=UPDATE),
    route("DELETE", _P, delete_policy, policy="identity:delete_policy", status=204),
    route("GET", _EP + "/endpoints", list_policy_endpoints, policy="identity:list_endpoints_for_policy"),
    *_association_routes(_EP + "/endpoints/{endpoint_id}", "endpoint"),
    *_association_routes(_EP + "/services/{service_id}", "service"),
    *_association_routes(_EP + "/services/{service_id}/regions/{region_id}", "region_and_service"),
    route("GET", "/v3/endpoints/{endpoint_id}/OS-ENDPOINT-POLICY/policy", show_endpoint_policy,
          policy="identity:get_policy_for_endpoint"),
]

"""Domains: /v3/domains (api-ref: identity, Domains). A domain is a project row with is_domain."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_id
from pocketstack.core.listing import attribute_filters
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import cleanup, links
from pocketstack.services.identity.tables import ROOT_DOMAIN, project_tags, projects

# --- schemas -------------------------------------------------------------------
NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"[\S]+"}
_PROPS = {"name": NAME, "description": {"type": ["string", "null"]}, "enabled": {"type": "boolean"},
          "tags": schemas.tags, "options": {"type": "object"}, "explicit_domain_id": {"type": "string"}}
CREATE = schemas.wrap("domain", schemas.obj(_PROPS, ["name"]))
UPDATE = schemas.wrap("domain", schemas.obj({k: v for k, v in _PROPS.items() if k != "explicit_domain_id"},
                                            minProperties=1))


# --- views -----------------------------------------------------------------------
def render_domain(ctx: Context, row: Any, tags: list[str] | None = None) -> dict[str, Any]:
    body = {**(row["extra"] or {}), "id": row["id"], "name": row["name"], "description": row["description"] or "",
            "enabled": row["enabled"], "tags": sorted(tags or []), "options": row["options"] or {},
            "links": links.entity(ctx, f"domains/{row['id']}")}
    return body


def tags_of(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    """Tags of many projects or domains in one query."""
    out: dict[str, list[str]] = {i: [] for i in ids}
    for pid, name in conn.execute(sa.select(project_tags.c.project_id, project_tags.c.name)
                                  .where(project_tags.c.project_id.in_(ids))):
        out[pid].append(name)
    return out


# --- logic ------------------------------------------------------------------------
def get_domain(conn: Connection, domain_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(projects).where(projects.c.id == domain_id,
                                                 projects.c.is_domain.is_(True))).mappings().first()
    if row is None:
        raise NotFound(f"Could not find domain: {domain_id}.")
    return dict(row)


def create_domain_row(conn: Connection, spec: dict[str, Any]) -> dict[str, Any]:
    known = {"name", "description", "enabled", "tags", "options", "explicit_domain_id", "id", "domain_id",
             "is_domain", "parent_id"}
    domain_id = spec.get("explicit_domain_id") or new_id()
    taken = conn.execute(sa.select(projects.c.id).where(sa.or_(
        sa.and_(projects.c.is_domain.is_(True), sa.func.lower(projects.c.name) == spec["name"].lower()),
        projects.c.id == domain_id))).first()
    if taken:
        raise Conflict(f"Conflict occurred attempting to store domain - Duplicate entry found with name "
                       f"{spec['name']}.")
    row = {"id": domain_id, "name": spec["name"], "domain_id": ROOT_DOMAIN, "parent_id": None,
           "is_domain": True, "enabled": spec.get("enabled", True), "description": spec.get("description"),
           "extra": {k: v for k, v in spec.items() if k not in known}, "options": spec.get("options") or {},
           "created_at": utcnow()}
    conn.execute(projects.insert().values(**row))
    for tag in spec.get("tags") or []:
        conn.execute(project_tags.insert().values(project_id=domain_id, name=tag))
    return row


def update_domain_row(conn: Connection, domain_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    from pocketstack.services.identity import tokens
    current = get_domain(conn, domain_id)
    values: dict[str, Any] = {}
    for key in ("name", "description", "enabled", "options"):
        if key in changes:
            values[key] = changes[key]
    extra = {k: v for k, v in changes.items() if k not in (*values, "tags")}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    if "name" in changes and changes["name"].lower() != current["name"].lower():
        if conn.execute(sa.select(projects.c.id).where(projects.c.is_domain.is_(True),
                                                       sa.func.lower(projects.c.name) == changes["name"].lower())).first():
            raise Conflict(f"Conflict occurred attempting to store domain - Duplicate entry found with name "
                           f"{changes['name']}.")
    if values:
        conn.execute(projects.update().where(projects.c.id == domain_id).values(**values, updated_at=utcnow()))
    if "tags" in changes:
        conn.execute(project_tags.delete().where(project_tags.c.project_id == domain_id))
        for tag in changes["tags"]:
            conn.execute(project_tags.insert().values(project_id=domain_id, name=tag))
    if changes.get("enabled") is False and current["enabled"]:
        tokens.revoke(conn, domain_id=domain_id)
    return get_domain(conn, domain_id)


# --- routes ------------------------------------------------------------------------
def _show_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    try:  # quirk: a missing domain leaves the target empty (403 for the refused, 404 for the allowed)
        with db.reader() as conn:
            return {"target": {"domain": render_domain(ctx, get_domain(conn, rq.params["domain_id"]))}}
    except NotFound:
        return {"target": {"domain": {}}}


def _member_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    """keystone's inferred member target for update/delete: a missing domain is a 404 before policy."""
    with db.reader() as conn:
        return {"target": {"domain": render_domain(ctx, get_domain(conn, rq.params["domain_id"]))}}


def _list_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"target": {"domain": {"id": ctx.domain_id}}} if ctx.domain_id else {}


def list_domains(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    clauses = attribute_filters(projects, rq.query, {"name", "enabled"}, booleans={"enabled"})
    if ctx.domain_id:  # a domain-scoped token sees only its own domain
        clauses.append(projects.c.id == ctx.domain_id)
    with db.reader() as conn:
        rows = conn.execute(sa.select(projects).where(projects.c.is_domain.is_(True), *clauses)
                            .order_by(projects.c.name)).mappings().all()
        tags = tags_of(conn, [r["id"] for r in rows])
    return {"domains": [render_domain(ctx, r, tags[r["id"]]) for r in rows],
            "links": links.collection(ctx, "domains", str(rq.query))}


def create_domain(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = create_domain_row(conn, rq.body["domain"])
    return {"domain": render_domain(ctx, row, rq.body["domain"].get("tags"))}


def show_domain(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = get_domain(conn, rq.params["domain_id"])
        return {"domain": render_domain(ctx, row, tags_of(conn, [row["id"]])[row["id"]])}


def update_domain(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    changes = rq.body["domain"]
    if "id" in changes and changes["id"] != rq.params["domain_id"]:
        raise BadRequest("Cannot change Domain ID")
    changes.pop("id", None)
    with db.session() as conn:
        row = update_domain_row(conn, rq.params["domain_id"], changes)
        return {"domain": render_domain(ctx, row, tags_of(conn, [row["id"]])[row["id"]])}


def delete_domain(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = get_domain(conn, rq.params["domain_id"])
        if row["enabled"]:
            raise Forbidden("Cannot delete a domain that is enabled, please disable it first.")
        cleanup.delete_domain_contents(conn, row["id"])


ROUTES = [
    route("GET", "/v3/domains", list_domains, policy="identity:list_domains", target=_list_target),
    route("POST", "/v3/domains", create_domain, policy="identity:create_domain", body=CREATE, status=201),
    route("GET", "/v3/domains/{domain_id}", show_domain, policy="identity:get_domain", target=_show_target),
    route("PATCH", "/v3/domains/{domain_id}", update_domain, policy="identity:update_domain", body=UPDATE,
          target=_member_target),
    route("DELETE", "/v3/domains/{domain_id}", delete_domain, policy="identity:delete_domain", target=_member_target,
          status=204),
]

"""Projects and project tags: /v3/projects (api-ref: identity, Projects; Project tags)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.http import empty
from pocketstack.core.ids import new_id
from pocketstack.core.listing import attribute_filters
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import cleanup, domains, links, tokens
from pocketstack.services.identity import notifications as identity_notifications
from pocketstack.services.identity.tables import project_tags, projects

MAX_DEPTH = 5

# --- schemas -------------------------------------------------------------------
_PROPS = {"name": domains.NAME, "description": {"type": ["string", "null"]}, "enabled": {"type": "boolean"},
          "domain_id": {"type": ["string", "null"], "minLength": 1, "maxLength": 64},
          "parent_id": {"type": ["string", "null"], "minLength": 1, "maxLength": 64},
          "is_domain": {"type": "boolean"}, "tags": schemas.tags, "options": {"type": "object"}}
CREATE = schemas.wrap("project", schemas.obj(_PROPS, ["name"]))
UPDATE = schemas.wrap("project", schemas.obj(_PROPS, minProperties=1))
TAGS = schemas.obj({"tags": schemas.tags}, ["tags"])


# --- views -----------------------------------------------------------------------
def render_project(conn: Connection, ctx: Context, row: Any, tags: list[str] | None = None) -> dict[str, Any]:
    if tags is None:
        tags = list(conn.execute(sa.select(project_tags.c.name).where(project_tags.c.project_id == row["id"])).scalars())
    if row["is_domain"]:
        domain_id, parent_id = None, None
    else:
        domain_id, parent_id = row["domain_id"], row["parent_id"]
    return {**(row["extra"] or {}), "id": row["id"], "name": row["name"], "domain_id": domain_id,
            "description": row["description"] or "", "enabled": row["enabled"], "parent_id": parent_id,
            "is_domain": row["is_domain"], "tags": sorted(tags), "options": row["options"] or {},
            "links": links.entity(ctx, f"projects/{row['id']}")}


# --- logic ------------------------------------------------------------------------
def get_project(conn: Connection, project_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).mappings().first()
    if row is None:
        raise NotFound(f"Could not find project: {project_id}.")
    return dict(row)


def children_ids(conn: Connection, project_id: str) -> list[str]:
    return list(conn.execute(sa.select(projects.c.id).where(projects.c.parent_id == project_id,
                                                            projects.c.is_domain.is_(False))).scalars())


def subtree_ids(conn: Connection, project_id: str) -> list[str]:
    """The project and all its descendants (inherited assignments flow down this tree)."""
    out, todo = [], [project_id]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children_ids(conn, pid))
    return out


def parent_chain(conn: Connection, row: dict[str, Any]) -> list[dict[str, Any]]:
    chain = []
    while row["parent_id"] and not row["is_domain"]:
        parent = conn.execute(sa.select(projects).where(projects.c.id == row["parent_id"])).mappings().first()
        if parent is None or parent["is_domain"]:
            break
        chain.append(dict(parent))
        row = parent
    return chain


def create_project_row(conn: Connection, ctx: Context, spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("is_domain"):
        return domains.create_domain_row(conn, spec)
    parent = get_project(conn, spec["parent_id"]) if spec.get("parent_id") else None
    if spec.get("parent_id") and parent is None:
        raise NotFound(f"Could not find project: {spec['parent_id']}.")
    domain_id = spec.get("domain_id") or (parent["id"] if parent and parent["is_domain"] else
                                          parent["domain_id"] if parent else ctx.domain_id or "default")
    domain = domains.get_domain(conn, domain_id) if domain_id else None
    if domain is None:
        raise BadRequest("Domain could not be found.")
    if parent is not None:
        parent_domain = parent["id"] if parent["is_domain"] else parent["domain_id"]
        if parent_domain != domain_id:
            raise BadRequest("Cannot create project, the parent (%s) is acting as a domain or in a different "
                             "domain." % parent["id"])
        if not parent["enabled"]:
            raise Forbidden(f"Cannot create project, since its parent ({parent['id']}) is disabled.")
        if len(parent_chain(conn, parent)) + 2 > MAX_DEPTH:
            raise Forbidden(f"Max hierarchy depth reached for {parent['id']} branch.")
    _check_name(conn, spec["name"], domain_id)
    known = set(_PROPS) | {"id"}
    row = {"id": new_id(), "name": spec["name"], "domain_id": domain_id,
           "parent_id": parent["id"] if parent else domain_id, "is_domain": False,
           "enabled": spec.get("enabled", True), "description": spec.get("description"),
           "extra": {k: v for k, v in spec.items() if k not in known}, "options": spec.get("options") or {},
           "created_at": utcnow()}
    conn.execute(projects.insert().values(**row))
    _set_tags(conn, row["id"], spec.get("tags") or [])
    return row


def _check_name(conn: Connection, name: str, domain_id: str, exclude: str | None = None) -> None:
    stmt = sa.select(projects.c.id).where(projects.c.domain_id == domain_id, projects.c.name == name)
    if exclude:
        stmt = stmt.where(projects.c.id != exclude)
    if conn.execute(stmt).first():
        raise Conflict("Conflict occurred attempting to store project - it is not permitted to have two "
                       f"projects with the same name in the same domain : {name}.")


def _set_tags(conn: Connection, project_id: str, tags: list[str]) -> None:
    conn.execute(project_tags.delete().where(project_tags.c.project_id == project_id))
    for tag in dict.fromkeys(tags):
        conn.execute(project_tags.insert().values(project_id=project_id, name=tag))


def update_project_row(conn: Connection, project_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get_project(conn, project_id)
    if current["is_domain"]:
        return domains.update_domain_row(conn, project_id, changes)
    for key in ("domain_id", "parent_id", "is_domain"):
        if key in changes and changes[key] != (current[key] if key != "parent_id" else current["parent_id"]):
            if key == "parent_id" and changes[key] is None:
                continue
            raise Forbidden(f"Update of `{key}` is not allowed.") if key != "is_domain" else \
                BadRequest("Update of `is_domain` is not allowed.")
    if changes.get("enabled") is True and not current["enabled"]:
        for parent in parent_chain(conn, current):
            if not parent["enabled"]:
                raise Forbidden(f"Cannot enable project {project_id} since it has disabled parents")
    if "name" in changes:
        _check_name(conn, changes["name"], current["domain_id"], exclude=project_id)
    values = {k: changes[k] for k in ("name", "description", "enabled", "options") if k in changes}
    extra = {k: v for k, v in changes.items() if k not in _PROPS and k != "id"}
    if extra:
        values["extra"] = {**(current["extra"] or {}), **extra}
    if values:
        conn.execute(projects.update().where(projects.c.id == project_id).values(**values, updated_at=utcnow()))
    if "tags" in changes:
        _set_tags(conn, project_id, changes["tags"])
    if changes.get("enabled") is False and current["enabled"]:
        tokens.revoke(conn, project_id=project_id)
    return get_project(conn, project_id)


# --- routes ------------------------------------------------------------------------
def project_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    # quirk: as keystone, a missing project leaves the target empty: a caller the policy refuses
    # gets 403 (learning nothing), one it allows gets the handler's 404.
    with db.reader() as conn:
        row = conn.execute(sa.select(projects).where(projects.c.id == rq.params["project_id"])).mappings().first()
    if row is None:
        return {"target": {"project": {}}}
    return {"target": {"project": {"id": row["id"], "domain_id": row["domain_id"], "parent_id": row["parent_id"]}}}


def create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body.get("project") if isinstance(rq.body, dict) else None
    # quirk: as keystone, the body as given (a manager must name the domain; no defaulted domain_id)
    return {"target": {"project": body if isinstance(body, dict) else {}}}


def list_projects(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    q = rq.query
    clauses = attribute_filters(projects, q, {"name", "enabled", "domain_id", "parent_id", "is_domain"},
                                booleans={"enabled", "is_domain"})
    if "is_domain" not in q:
        clauses.append(projects.c.is_domain.is_(False))
    if ctx.domain_id:  # a domain-scoped token sees only its own domain's projects (keystone)
        clauses.append(projects.c.domain_id == ctx.domain_id)
    stmt = sa.select(projects).where(*clauses)
    for key, mode in (("tags", "all"), ("tags-any", "any"), ("not-tags", "not-all"), ("not-tags-any", "not-any")):
        if q.get(key):
            stmt = stmt.where(_tag_clause(q[key].split(","), mode))
    with db.reader() as conn:
        rows = conn.execute(stmt.order_by(projects.c.name)).mappings().all()
        tags = domains.tags_of(conn, [r["id"] for r in rows])
        body = [render_project(conn, ctx, r, tags[r["id"]]) for r in rows]
    return {"projects": body, "links": links.collection(ctx, "projects", str(q))}



def _tag_clause(tags: list[str], mode: str) -> Any:
    has = [sa.exists().where(project_tags.c.project_id == projects.c.id, project_tags.c.name == t) for t in tags]
    return {"all": sa.and_, "any": sa.or_}[mode](*has) if mode in ("all", "any") else \
        sa.not_(sa.and_(*has) if mode == "not-all" else sa.or_(*has))


def create_project(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = create_project_row(conn, ctx, rq.body["project"])
        kind = "domain" if row["is_domain"] else "project"
        identity_notifications.audit(conn, ctx, rq, "created", kind, row["id"])
        return {"project": render_project(conn, ctx, row)}


def show_project(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    q = rq.query
    with db.reader() as conn:
        row = get_project(conn, rq.params["project_id"])
        body = render_project(conn, ctx, row)
        if "parents_as_list" in q:
            body["parents"] = [{"project": render_project(conn, ctx, p)} for p in parent_chain(conn, row)]
        elif "parents_as_ids" in q:
            body["parents"] = _nest_ids([p["id"] for p in parent_chain(conn, row)])
        if "subtree_as_list" in q:
            body["subtree"] = [{"project": render_project(conn, ctx, get_project(conn, pid))}
                               for pid in subtree_ids(conn, row["id"])[1:]]
        elif "subtree_as_ids" in q:
            body["subtree"] = _subtree_dict(conn, row["id"])
    if ("parents_as_list" in q and "parents_as_ids" in q) or ("subtree_as_list" in q and "subtree_as_ids" in q):
        raise BadRequest("Cannot use parents_as_list and parents_as_ids query params at the same time.")
    return {"project": body}


def _nest_ids(chain: list[str]) -> dict[str, Any] | None:
    nested: dict[str, Any] | None = None
    for pid in reversed(chain):
        nested = {pid: nested}
    return nested


def _subtree_dict(conn: Connection, project_id: str) -> dict[str, Any] | None:
    kids = children_ids(conn, project_id)
    return {k: _subtree_dict(conn, k) for k in kids} or None


def update_project(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row = update_project_row(conn, rq.params["project_id"], rq.body["project"])
        return {"project": render_project(conn, ctx, row)}


def delete_project(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = get_project(conn, rq.params["project_id"])
        if row["is_domain"]:
            if row["enabled"]:
                raise Forbidden("Cannot delete a domain that is enabled, please disable it first.")
            cleanup.delete_domain_contents(conn, row["id"])
            identity_notifications.audit(conn, ctx, rq, "deleted", "domain", row["id"])
            return
        if children_ids(conn, row["id"]):
            raise Forbidden(f"Cannot delete the project {row['id']} since it is not a leaf in the hierarchy. "
                            "Use the cascade option if you want to delete a whole subtree.")
        cleanup.delete_project(conn, row["id"])
        identity_notifications.audit(conn, ctx, rq, "deleted", "project", row["id"])


def list_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        get_project(conn, rq.params["project_id"])
        tags = conn.execute(sa.select(project_tags.c.name).where(
            project_tags.c.project_id == rq.params["project_id"]).order_by(project_tags.c.name)).scalars().all()
    return {"tags": list(tags), "links": links.collection(ctx, f"projects/{rq.params['project_id']}/tags")}


def replace_tags(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        get_project(conn, rq.params["project_id"])
        _set_tags(conn, rq.params["project_id"], rq.body["tags"])
    return {"tags": rq.body["tags"], "links": links.collection(ctx, f"projects/{rq.params['project_id']}/tags")}


def delete_tags(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_project(conn, rq.params["project_id"])
        _set_tags(conn, rq.params["project_id"], [])


def _one_tag(conn: Connection, rq: ApiRequest) -> bool:
    get_project(conn, rq.params["project_id"])
    return conn.execute(sa.select(project_tags.c.name).where(project_tags.c.project_id == rq.params["project_id"],
                                                             project_tags.c.name == rq.params["tag"])).first() is not None


def check_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.reader() as conn:
        if not _one_tag(conn, rq):
            raise NotFound(f"Could not find project tag: {rq.params['tag']}.")


def add_tag(ctx: Context, rq: ApiRequest) -> Any:
    tag = rq.params["tag"]
    schemas.validate(schemas.tag, tag)
    with db.session() as conn:
        if not _one_tag(conn, rq):
            count = conn.execute(sa.select(sa.func.count()).where(
                project_tags.c.project_id == rq.params["project_id"])).scalar()
            if count >= 80:
                raise BadRequest("The number of tags exceeds the limit of 80.")
            conn.execute(project_tags.insert().values(project_id=rq.params["project_id"], name=tag))
    url = f"{ctx.base_url}/identity/v3/projects/{rq.params['project_id']}/tags/{tag}"
    return empty(201, {"Location": url})  # quirk: 201 with an empty body (API-WG tags guideline)


def delete_tag(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        if not _one_tag(conn, rq):
            raise NotFound(f"Could not find project tag: {rq.params['tag']}.")
        conn.execute(project_tags.delete().where(project_tags.c.project_id == rq.params["project_id"],
                                                 project_tags.c.name == rq.params["tag"]))


P = "/v3/projects/{project_id}"
ROUTES = [
    route("GET", "/v3/projects", list_projects, policy="identity:list_projects",
          target=lambda ctx, rq: {"target": {"domain_id": ctx.domain_id}} if ctx.domain_id else {}),
    route("POST", "/v3/projects", create_project, policy="identity:create_project", body=CREATE,
          target=create_target, status=201),
    route("GET", P, show_project, policy="identity:get_project", target=project_target),
    route("PATCH", P, update_project, policy="identity:update_project", body=UPDATE, target=project_target),
    route("DELETE", P, delete_project, policy="identity:delete_project", target=project_target, status=204),
    route("GET", P + "/tags", list_tags, policy="identity:list_project_tags", target=project_target),
    route("PUT", P + "/tags", replace_tags, policy="identity:update_project_tags", body=TAGS, target=project_target),
    route("DELETE", P + "/tags", delete_tags, policy="identity:delete_project_tags", target=project_target,
          status=204),
    route("GET", P + "/tags/{tag}", check_tag, policy="identity:get_project_tag", target=project_target,
          status=204),
    route("PUT", P + "/tags/{tag}", add_tag, policy="identity:create_project_tag", target=project_target),
    route("DELETE", P + "/tags/{tag}", delete_tag, policy="identity:delete_project_tag", target=project_target,
          status=204),
]

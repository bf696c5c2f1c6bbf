"""Role assignments: GET /v3/role_assignments, direct or effective (api-ref: identity, Roles: List role
assignments).

Internally an assignment is keystone's "ref": {user_id|group_id, project_id|domain_id|system, role_id,
inherited_to_projects, indirect: {group_id, project_id|domain_id, role_id}}; `indirect` says where an
effective assignment came from (group membership, inheritance, an implied role).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import effective, links, projects
from pocketstack.services.identity.tables import (
    NULL_DOMAIN, SYSTEM, assignments, groups, implied_roles, memberships, roles, users)
from pocketstack.services.identity.tables import projects as projects_table

Ref = dict[str, Any]


# --- schemas: query parameters, checked in Filters.parse -------------------------------
def _flag(query: Any, name: str) -> bool:
    """keystone's query_filter_is_true: present and not "0" (a bare `?effective` is true)."""
    return name in query and query.get(name) != "0"


@dataclass
class Filters:
    user_id: str | None
    group_id: str | None
    role_id: str | None
    project_id: str | None
    domain_id: str | None
    system: bool
    inherited: bool | None
    effective: bool
    include_names: bool
    include_subtree: bool

    @classmethod
    def parse(cls, q: Any) -> Filters:
        inherited = q.get("scope.OS-INHERIT:inherited_to") == "projects" \
            if "scope.OS-INHERIT:inherited_to" in q else None
        f = cls(q.get("user.id"), q.get("group.id"), q.get("role.id"), q.get("scope.project.id"),
                q.get("scope.domain.id"), q.get("scope.system") == "all", inherited, _flag(q, "effective"),
                _flag(q, "include_names"), _flag(q, "include_subtree"))
        for a, b, text in (("scope.domain.id", "scope.project.id", "Specify a domain or project, not both"),
                           ("scope.domain.id", "scope.system", "Specify system or domain, not both"),
                           ("scope.project.id", "scope.system", "Specify system or project, not both"),
                           ("user.id", "group.id", "Specify a user or group, not both")):
            if q.get(a) and q.get(b):
                raise BadRequest(text)
        if f.effective and f.group_id:
            raise BadRequest("Combining effective and group filter will always result in an empty list.")
        if f.effective and f.inherited and f.domain_id:
            raise BadRequest("Combining effective, domain and inherited filters will always result in an empty list.")
        if f.include_subtree and not f.project_id:
            raise BadRequest("scope.project.id must be specified if include_subtree is also specified")
        return f


# --- views -----------------------------------------------------------------------
def render_assignment(ctx: Context, ref: Ref) -> dict[str, Any]:
    indirect, body = ref.get("indirect", {}), {"links": {}}
    inherited = bool(ref.get("inherited_to_projects"))
    if "project_id" in ref:
        body["scope"] = {"project": _named(ref, "project")}
        if "domain_id" in indirect or "project_id" in indirect:
            inherited = True
            kind = "domains" if "domain_id" in indirect else "projects"
            link = f"/{kind}/{indirect.get('domain_id') or indirect['project_id']}"
        else:
            link = f"/projects/{ref['project_id']}"
    elif "domain_id" in ref:
        body["scope"], link = {"domain": _named(ref, "domain")}, f"/domains/{ref['domain_id']}"
    else:
        body["scope"], link = {"system": ref["system"]}, "/system"
    if "user_id" in ref:
        body["user"] = _named(ref, "user")
        if "group_id" in indirect:
            body["links"]["membership"] = _url(ctx, f"/groups/{indirect['group_id']}/users/{ref['user_id']}")
            link += f"/groups/{indirect['group_id']}"
        else:
            link += f"/users/{ref['user_id']}"
    else:
        body["group"] = _named(ref, "group")
        link += f"/groups/{ref['group_id']}"
    body["role"] = _named(ref, "role")
    link += f"/roles/{indirect.get('role_id') or ref['role_id']}"
    if inherited:
        body["scope"]["OS-INHERIT:inherited_to"] = "projects"
        link = f"/OS-INHERIT{link}/inherited_to_projects"
    body["links"]["assignment"] = _url(ctx, link)
    if "role_id" in indirect:
        # quirk: keystone names the implied role "prior" and the prior role "implied" in this link
        body["links"]["prior_role"] = _url(ctx, f"/prior_role/{ref['role_id']}/implies/{indirect['role_id']}")
    return body


def _named(ref: Ref, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ref[f"{kind}_id"]}
    if f"{kind}_name" in ref:
        out["name"] = ref[f"{kind}_name"]
        if f"{kind}_domain_id" in ref:
            out["domain"] = {"id": ref[f"{kind}_domain_id"], "name": ref[f"{kind}_domain_name"]}
    return out


def _url(ctx: Context, path: str) -> str:
    return f"{ctx.base_url}/identity/v3{path}"


# --- logic: stored assignments ------------------------------------------------------
_TYPES = {"UserProject": ("user_id", "project_id"), "GroupProject": ("group_id", "project_id"),
          "UserDomain": ("user_id", "domain_id"), "GroupDomain": ("group_id", "domain_id")}


def query_refs(conn: Connection, *, role_id: str | None = None, user_id: str | None = None,
               group_ids: list[str] | None = None, domain_id: str | None = None,
               project_ids: list[str] | None = None, inherited: bool | None = None) -> list[Ref]:
    """Project and domain assignments, as keystone's assignment driver lists them."""
    a, types = assignments.c, set(_TYPES)
    types &= {"GroupProject", "GroupDomain"} if group_ids else {"UserProject", "UserDomain"} if user_id else types
    types &= {"UserProject", "GroupProject"} if project_ids else {"UserDomain", "GroupDomain"} if domain_id else types
    stmt = sa.select(assignments).where(a.type.in_(sorted(types)))
    actors = group_ids or ([user_id] if user_id else None)
    targets = project_ids or ([domain_id] if domain_id else None)
    for col, values in ((a.actor_id, actors), (a.target_id, targets), (a.role_id, [role_id] if role_id else None)):
        if values is not None:
            stmt = stmt.where(col.in_(values))
    if inherited is not None:
        stmt = stmt.where(a.inherited.is_(inherited))
    out = []
    for row in conn.execute(stmt).mappings():
        actor_key, target_key = _TYPES[row["type"]]
        ref = {actor_key: row["actor_id"], target_key: row["target_id"], "role_id": row["role_id"]}
        if row["inherited"]:
            ref["inherited_to_projects"] = "projects"
        out.append(ref)
    return out


def system_refs(conn: Connection, f: Filters) -> list[Ref]:
    a = assignments.c
    stmt = sa.select(assignments).where(a.target_id == SYSTEM, a.type.in_(["UserSystem", "GroupSystem"]))
    if f.user_id or f.group_id:
        stmt = stmt.where(a.actor_id == (f.user_id or f.group_id),
                          a.type == ("UserSystem" if f.user_id else "GroupSystem"))
    if f.role_id:
        stmt = stmt.where(a.role_id == f.role_id)
    return [{"user_id" if r["type"] == "UserSystem" else "group_id": r["actor_id"], "role_id": r["role_id"],
             "system": {"all": True}} for r in conn.execute(stmt).mappings()]


def direct_refs(conn: Connection, f: Filters, subtree: list[str] | None) -> list[Ref]:
    refs: list[Ref] = []
    if not f.system:
        refs = query_refs(conn, role_id=f.role_id, user_id=f.user_id, group_ids=[f.group_id] if f.group_id else None,
                          domain_id=f.domain_id, project_ids=[f.project_id, *(subtree or [])] if f.project_id
                          else None, inherited=f.inherited)
    if f.system or not (f.project_id or f.domain_id):
        refs += system_refs(conn, f)
    return refs


# --- logic: effective assignments ------------------------------------------------------
def _for_actor(conn: Connection, f: Filters, inherited: bool | None, subtree: list[str] | None,
               **actor: Any) -> list[Ref]:
    """Every stored assignment that may affect the actor on the filtered target."""
    interest = [f.project_id, *(subtree or [])] if f.project_id else None
    refs: list[Ref] = []
    if inherited is not True:
        refs += query_refs(conn, domain_id=f.domain_id, project_ids=interest, inherited=False, **actor)
    if inherited is not False and f.project_id:
        project = projects.get_project(conn, f.project_id)
        refs += query_refs(conn, domain_id=project["domain_id"], inherited=True, **actor)
        sources = effective.ancestors(conn, f.project_id) + (interest if subtree else [])
        refs += query_refs(conn, project_ids=sources, inherited=True, **actor) if sources else []
    elif inherited is not False:
        refs += query_refs(conn, inherited=True, **actor)
    return refs


def _members(conn: Connection, ref: Ref, user_id: str | None) -> list[Ref]:
    ids = [user_id] if user_id else conn.execute(
        sa.select(memberships.c.user_id).where(memberships.c.group_id == ref["group_id"])).scalars().all()
    out = []
    for uid in ids:
        new = copy.deepcopy(ref)
        new["user_id"] = uid
        new.setdefault("indirect", {})["group_id"] = new.pop("group_id")
        out.append(new)
    return out


def _inherited_projects(conn: Connection, ref: Ref, f: Filters, subtree: list[str] | None) -> list[str]:
    if f.project_id:
        ids = [f.project_id, *(subtree or [])]
        if subtree and ref.get("project_id") in ids:
            ids = projects.subtree_ids(conn, ref["project_id"])[1:]
        return ids
    if ref.get("domain_id"):
        return list(conn.execute(sa.select(projects_table.c.id).where(
            projects_table.c.domain_id == ref["domain_id"], projects_table.c.is_domain.is_(False))).scalars())
    return projects.subtree_ids(conn, ref["project_id"])[1:]


def _expand(conn: Connection, ref: Ref, f: Filters, subtree: list[str] | None) -> list[Ref]:
    """Group assignments become one per member; inherited ones one per project below the target."""
    bases = _members(conn, ref, f.user_id) if "group_id" in ref else [ref]
    if not ref.get("inherited_to_projects"):
        return bases
    out = []
    for base in bases:
        for project_id in _inherited_projects(conn, ref, f, subtree):
            new = copy.deepcopy(base)
            source = "project_id" if new.get("project_id") else "domain_id"
            new.setdefault("indirect", {})[source] = new.pop(source)
            new["project_id"] = project_id
            new.pop("inherited_to_projects")
            out.append(new)
    return out


def add_implied(conn: Connection, refs: list[Ref]) -> list[Ref]:
    rules: dict[str, list[str]] = {}
    for prior, implied in conn.execute(sa.select(implied_roles.c.prior_role_id, implied_roles.c.implied_role_id)):
        rules.setdefault(prior, []).append(implied)
    results, todo, checked = list(refs), list(refs), []
    while todo:
        ref = todo.pop()
        checked.append(ref)
        for implied in rules.get(ref["role_id"], []):
            new = copy.deepcopy(ref)
            new["role_id"] = implied
            new.setdefault("indirect", {})["role_id"] = ref["role_id"]
            if new not in checked:  # stops at cycles
                results.append(new)
                todo.append(new)
    return results


def effective_refs(conn: Connection, f: Filters, subtree: list[str] | None) -> list[Ref]:
    inherited = False if f.domain_id else f.inherited
    refs = _for_actor(conn, f, inherited, subtree, user_id=f.user_id)
    group_ids = effective.group_ids(conn, f.user_id) if f.user_id else []
    if group_ids:
        refs += _for_actor(conn, f, inherited, subtree, group_ids=group_ids)
    expanded = [new for ref in refs for new in _expand(conn, ref, f, subtree)]
    expanded = add_implied(conn, expanded)
    global_roles = set(conn.execute(sa.select(roles.c.id).where(roles.c.domain_id == NULL_DOMAIN)).scalars())
    return [r for r in expanded if r["role_id"] in global_roles and (not f.role_id or r["role_id"] == f.role_id)]


# --- logic: names ----------------------------------------------------------------------
def add_names(conn: Connection, refs: list[Ref]) -> list[Ref]:
    domain_names = dict(conn.execute(sa.select(projects_table.c.id, projects_table.c.name)
                                     .where(projects_table.c.is_domain.is_(True))).all())
    cache: dict[tuple[str, str], Any] = {}

    def row(table: sa.Table, row_id: str) -> Any:
        if (table.name, row_id) not in cache:
            cache[table.name, row_id] = conn.execute(sa.select(table).where(table.c.id == row_id)).mappings().first()
        return cache[table.name, row_id]

    for ref in refs:
        if "domain_id" in ref:
            ref["domain_name"] = domain_names.get(ref["domain_id"], "")
        for kind, table in (("user", users), ("group", groups), ("project", projects_table)):
            if f"{kind}_id" in ref:
                found = row(table, ref[f"{kind}_id"]) or {"name": "", "domain_id": ""}
                ref.update({f"{kind}_name": found["name"], f"{kind}_domain_id": found["domain_id"],
                            f"{kind}_domain_name": domain_names.get(found["domain_id"], "")})
        role = row(roles, ref["role_id"]) or {"name": "", "domain_id": NULL_DOMAIN}
        ref["role_name"] = role["name"]
        if role["domain_id"] != NULL_DOMAIN:
            ref.update(role_domain_id=role["domain_id"], role_domain_name=domain_names.get(role["domain_id"], ""))
    return refs


def list_refs(conn: Connection, f: Filters) -> list[Ref]:
    subtree = projects.subtree_ids(conn, f.project_id)[1:] if f.project_id and f.include_subtree else None
    refs = effective_refs(conn, f, subtree) if f.effective else direct_refs(conn, f, subtree)
    return add_names(conn, refs) if f.include_names else refs


def in_domain(conn: Connection, refs: list[Ref], domain_id: str) -> list[Ref]:
    """What a domain-scoped caller sees: assignments on the domain and on its projects."""
    ids = set(conn.execute(sa.select(projects_table.c.id).where(projects_table.c.domain_id == domain_id)).scalars())
    return [r for r in refs if r.get("domain_id") == domain_id or r.get("project_id") in ids]


# --- routes ------------------------------------------------------------------------
def assignments_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    if _flag(rq.query, "include_subtree") and rq.query.get("scope.project.id"):
        with db.reader() as conn:
            project = projects.get_project(conn, rq.query["scope.project.id"])
        return {"target": {"project": {"id": project["id"], "domain_id": project["domain_id"]},
                           "domain_id": project["domain_id"]}}
    return {"target": {"domain_id": ctx.domain_id}} if ctx.domain_id else {}


def list_role_assignments(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    f = Filters.parse(rq.query)
    with db.reader() as conn:
        refs = list_refs(conn, f)
        if ctx.domain_id and not f.include_subtree:
            refs = in_domain(conn, refs, ctx.domain_id)
    return {"role_assignments": [render_assignment(ctx, r) for r in refs],
            "links": links.collection(ctx, "role_assignments", str(rq.query))}


ROUTES = [
    # keystone checks identity:list_role_assignments_for_tree when include_subtree is set; its default
    # check string is the same as this rule's.
    route("GET", "/v3/role_assignments", list_role_assignments, policy="identity:list_role_assignments",
          target=assignments_target),
]

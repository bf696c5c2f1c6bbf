"""Grants (projects, domains, system, OS-INHERIT) and GET /v3/role_assignments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import unique

V3 = "/identity/v3"
PASSWORD = "Secret-pw-1"


@pytest.fixture()
def api(http, admin_token):
    def call(method: str, path: str, token: str | None = admin_token, headers: dict | None = None, **kw: Any):
        headers = {**({"X-Auth-Token": token} if token else {}), **(headers or {})}
        return http.request(method, V3 + path, headers=headers, **kw)
    return call


def _make(api, kind: str, **spec: Any) -> dict:
    r = api("POST", f"/{kind}s", json={kind: {"name": unique(kind), **spec}})
    assert r.status_code == 201, r.text
    return r.json()[kind]


@dataclass
class World:
    domain: dict
    project: dict
    child: dict
    user: dict
    member: dict     # in group
    group: dict
    role: dict
    role2: dict


@pytest.fixture()
def world(api) -> World:
    domain = _make(api, "domain")
    project = _make(api, "project", domain_id=domain["id"])
    child = _make(api, "project", domain_id=domain["id"], parent_id=project["id"])
    user = _make(api, "user", domain_id=domain["id"], password=PASSWORD)
    member = _make(api, "user", domain_id=domain["id"], password=PASSWORD)
    group = _make(api, "group", domain_id=domain["id"])
    assert api("PUT", f"/groups/{group['id']}/users/{member['id']}").status_code == 204
    return World(domain, project, child, user, member, group, _make(api, "role"), _make(api, "role"))


def _ids(body: dict) -> set[tuple[str, str]]:
    """(actor id, role id) pairs of a role_assignments body."""
    return {((a.get("user") or a.get("group"))["id"], a["role"]["id"]) for a in body["role_assignments"]}


def _token(http, user: dict, scope: dict) -> Any:
    return http.post(f"{V3}/auth/tokens", json={"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"id": user["id"], "password": PASSWORD}}}, "scope": scope}})


# --- grants ----------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["projects", "domains"])
@pytest.mark.parametrize("actor", ["users", "groups"])
def test_grant_check_list_revoke(api, world, target, actor):
    target_id = world.project["id"] if target == "projects" else world.domain["id"]
    actor_id = world.user["id"] if actor == "users" else world.group["id"]
    base = f"/{target}/{target_id}/{actor}/{actor_id}/roles"
    role_id = world.role["id"]
    assert api("PUT", f"{base}/{role_id}").status_code == 204
    assert api("PUT", f"{base}/{role_id}").status_code == 204          # granting twice is accepted
    assert api("GET", f"{base}/{role_id}").status_code == 204
    assert api("HEAD", f"{base}/{role_id}").status_code == 204
    listed = api("GET", base).json()
    assert listed["roles"] == [world.role] and listed["links"]["self"].endswith(base)
    assert api("GET", f"{base}/{world.role2['id']}").status_code == 404
    assert api("DELETE", f"{base}/{role_id}").status_code == 204
    r = api("DELETE", f"{base}/{role_id}")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (f"Could not find role assignment with role: {role_id}, user or group: "
                                           f"{actor_id}, project, domain, or system: {target_id}.")
    assert api("GET", f"{base}/{role_id}").status_code == 404
    assert api("GET", base).json()["roles"] == []


@pytest.mark.parametrize("actor", ["users", "groups"])
def test_system_grants(api, world, actor):
    actor_id = world.user["id"] if actor == "users" else world.group["id"]
    base = f"/system/{actor}/{actor_id}/roles"
    assert api("PUT", f"{base}/{world.role['id']}").status_code == 204
    assert api("GET", f"{base}/{world.role['id']}").status_code == 204
    assert [r["id"] for r in api("GET", base).json()["roles"]] == [world.role["id"]]
    body = api("GET", f"/role_assignments?scope.system=all&role.id={world.role['id']}").json()
    assert body["role_assignments"][0]["scope"] == {"system": {"all": True}}
    assert body["role_assignments"][0]["links"]["assignment"].endswith(
        f"/system/{actor}/{actor_id}/roles/{world.role['id']}")
    assert api("DELETE", f"{base}/{world.role['id']}").status_code == 204
    r = api("GET", f"{base}/{world.role['id']}")
    assert r.status_code == 404 and r.json()["error"]["message"].endswith("project, domain, or system: system.")
    domain_role = _make(api, "role", domain_id=world.domain["id"])
    r = api("PUT", f"{base}/{domain_role['id']}")
    assert r.status_code == 400 and "domain-specific role" in r.json()["error"]["message"]


def test_grant_404s_name_the_missing_entity(api, world):
    p, u, g, r = world.project["id"], world.user["id"], world.group["id"], world.role["id"]
    for path, message in ((f"/projects/{p}/users/{u}/roles/nope", "Could not find role: nope."),
                          (f"/projects/{p}/users/nope/roles/{r}", "Could not find user: nope."),
                          (f"/projects/{p}/groups/nope/roles/{r}", "Could not find group: nope."),
                          (f"/projects/nope/users/{u}/roles/{r}", "Could not find project: nope."),
                          (f"/domains/nope/users/{u}/roles/{r}", "Could not find domain: nope."),
                          (f"/system/users/nope/roles/{r}", "Could not find user: nope."),
                          (f"/OS-INHERIT/domains/nope/groups/{g}/roles/{r}/inherited_to_projects",
                           "Could not find domain: nope.")):
        resp = api("PUT", path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["message"] == message
    assert api("GET", f"/projects/{p}/users/nope/roles").status_code == 404


def test_domain_specific_role_only_within_its_domain(api, world):
    own = _make(api, "role", domain_id=world.domain["id"])
    assert api("PUT", f"/projects/{world.project['id']}/users/{world.user['id']}/roles/{own['id']}").status_code == 204
    other = _make(api, "project")                      # in the default domain
    r = api("PUT", f"/projects/{other['id']}/users/{world.user['id']}/roles/{own['id']}")
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (f"Project {other['id']} must be in the same domain as the role "
                                           f"{own['id']} being assigned.")


def test_grants_need_auth_and_admin(api, world, demo_token):
    path = f"/projects/{world.project['id']}/users/{world.user['id']}/roles/{world.role['id']}"
    assert api("PUT", path, token=None).status_code == 401
    assert api("PUT", path, token=demo_token).status_code == 403
    assert api("GET", f"/system/users/{world.user['id']}/roles", token=demo_token).status_code == 403
    assert api("GET", "/role_assignments", token=demo_token).status_code == 403
    assert api("GET", "/role_assignments", token=None).status_code == 401


def test_group_grant_reaches_member_tokens(http, api, world):
    scope = {"project": {"id": world.project["id"]}}
    assert _token(http, world.member, scope).status_code == 401        # no role on the project yet
    path = f"/projects/{world.project['id']}/groups/{world.group['id']}/roles/{world.role['id']}"
    assert api("PUT", path).status_code == 204
    r = _token(http, world.member, scope)
    assert r.status_code == 201
    assert [x["id"] for x in r.json()["token"]["roles"]] == [world.role["id"]]
    token = r.headers["X-Subject-Token"]
    assert api("GET", "/auth/tokens", headers={"X-Subject-Token": token}).status_code == 200
    assert api("DELETE", path).status_code == 204
    # roles are recomputed on validation: with no role left on the project the token is gone
    assert api("GET", "/auth/tokens", headers={"X-Subject-Token": token}).status_code == 404


# --- OS-INHERIT --------------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["users", "groups"])
def test_inherited_domain_grant(api, world, actor):
    actor_id = world.user["id"] if actor == "users" else world.group["id"]
    base = f"/OS-INHERIT/domains/{world.domain['id']}/{actor}/{actor_id}/roles"
    member = f"{base}/{world.role['id']}/inherited_to_projects"
    assert api("PUT", member).status_code == 204
    assert api("GET", member).status_code == 204
    assert [r["id"] for r in api("GET", f"{base}/inherited_to_projects").json()["roles"]] == [world.role["id"]]
    # not a direct grant on the domain
    assert api("GET", f"/domains/{world.domain['id']}/{actor}/{actor_id}/roles").json()["roles"] == []
    user_id = world.user["id"] if actor == "users" else world.member["id"]
    for project in (world.project, world.child):
        body = api("GET", f"/role_assignments?effective&user.id={user_id}&scope.project.id={project['id']}").json()
        assert _ids(body) == {(user_id, world.role["id"])}
        entry = body["role_assignments"][0]
        assert entry["scope"] == {"project": {"id": project["id"]}, "OS-INHERIT:inherited_to": "projects"}
        assert entry["links"]["assignment"].endswith(f"/OS-INHERIT/domains/{world.domain['id']}/{actor}/{actor_id}"
                                                     f"/roles/{world.role['id']}/inherited_to_projects")
    direct = api("GET", f"/role_assignments?{actor[:-1]}.id={actor_id}").json()["role_assignments"]
    assert direct[0]["scope"] == {"domain": {"id": world.domain["id"]}, "OS-INHERIT:inherited_to": "projects"}
    assert api("DELETE", member).status_code == 204
    assert api("GET", member).status_code == 404
    body = api("GET", f"/role_assignments?effective&user.id={user_id}&scope.project.id={world.child['id']}")
    assert body.json()["role_assignments"] == []


def test_inherited_project_grant_reaches_subtree_only(http, api, world):
    member = (f"/OS-INHERIT/projects/{world.project['id']}/users/{world.user['id']}/roles/{world.role['id']}"
              "/inherited_to_projects")
    assert api("PUT", member).status_code == 204
    assert api("HEAD", member).status_code == 204
    q = f"/role_assignments?effective&user.id={world.user['id']}&scope.project.id="
    assert api("GET", q + world.project["id"]).json()["role_assignments"] == []
    assert _ids(api("GET", q + world.child["id"]).json()) == {(world.user["id"], world.role["id"])}
    assert _token(http, world.user, {"project": {"id": world.child["id"]}}).status_code == 201
    assert _token(http, world.user, {"project": {"id": world.project["id"]}}).status_code == 401
    inherited_only = api("GET", f"/role_assignments?scope.OS-INHERIT:inherited_to=projects&user.id={world.user['id']}")
    assert len(inherited_only.json()["role_assignments"]) == 1
    not_inherited = api("GET", f"/role_assignments?scope.OS-INHERIT:inherited_to=no&user.id={world.user['id']}")
    assert not_inherited.json()["role_assignments"] == []
    assert api("DELETE", member).status_code == 204
    assert api("GET", q + world.child["id"]).json()["role_assignments"] == []


# --- /v3/role_assignments ----------------------------------------------------------------
def test_filters(api, world):
    p, d, u, g = world.project["id"], world.domain["id"], world.user["id"], world.group["id"]
    r1, r2 = world.role["id"], world.role2["id"]
    for path in (f"/projects/{p}/users/{u}/roles/{r1}", f"/domains/{d}/groups/{g}/roles/{r2}",
                 f"/projects/{p}/groups/{g}/roles/{r1}"):
        assert api("PUT", path).status_code == 204
    get = lambda q: _ids(api("GET", "/role_assignments?" + q).json())  # noqa: E731
    assert get(f"user.id={u}") == {(u, r1)}
    assert get(f"group.id={g}") == {(g, r1), (g, r2)}
    assert get(f"scope.project.id={p}") == {(u, r1), (g, r1)}
    assert get(f"scope.domain.id={d}") == {(g, r2)}
    assert get(f"role.id={r2}") == {(g, r2)}
    assert get(f"group.id={g}&scope.domain.id={d}") == {(g, r2)}
    body = api("GET", f"/role_assignments?user.id={u}").json()
    assert body["role_assignments"] == [{"role": {"id": r1}, "user": {"id": u}, "scope": {"project": {"id": p}},
                                         "links": {"assignment": body["role_assignments"][0]["links"]["assignment"]}}]
    link = body["role_assignments"][0]["links"]["assignment"]
    assert link.endswith(f"/identity/v3/projects/{p}/users/{u}/roles/{r1}")
    assert body["links"]["self"].endswith(f"/identity/v3/role_assignments?user.id={u}")


def test_effective_expands_groups_and_implied_roles(api, world):
    p, g, m = world.project["id"], world.group["id"], world.member["id"]
    r1, r2 = world.role["id"], world.role2["id"]
    assert api("PUT", f"/projects/{p}/groups/{g}/roles/{r1}").status_code == 204
    assert api("PUT", f"/roles/{r1}/implies/{r2}").status_code == 201
    try:
        body = api("GET", f"/role_assignments?effective&scope.project.id={p}").json()
        assert _ids(body) == {(m, r1), (m, r2)}
        by_role = {a["role"]["id"]: a for a in body["role_assignments"]}
        assert by_role[r1]["links"]["membership"].endswith(f"/identity/v3/groups/{g}/users/{m}")
        assert by_role[r1]["links"]["assignment"].endswith(f"/projects/{p}/groups/{g}/roles/{r1}")
        assert by_role[r2]["links"]["assignment"].endswith(f"/projects/{p}/groups/{g}/roles/{r1}")
        assert by_role[r2]["links"]["prior_role"].endswith(f"/prior_role/{r2}/implies/{r1}")
        assert _ids(api("GET", f"/role_assignments?effective&user.id={m}&role.id={r2}").json()) == {(m, r2)}
        assert _ids(api("GET", f"/role_assignments?scope.project.id={p}").json()) == {(g, r1)}   # not effective
    finally:
        api("DELETE", f"/roles/{r1}/implies/{r2}")


def test_effective_strips_domain_roles(api, world):
    own = _make(api, "role", domain_id=world.domain["id"])
    p, u = world.project["id"], world.user["id"]
    assert api("PUT", f"/projects/{p}/users/{u}/roles/{own['id']}").status_code == 204
    assert api("GET", f"/role_assignments?effective&scope.project.id={p}&user.id={u}").json()["role_assignments"] == []
    assert api("PUT", f"/roles/{own['id']}/implies/{world.role['id']}").status_code == 201
    body = api("GET", f"/role_assignments?effective&scope.project.id={p}&user.id={u}").json()
    assert _ids(body) == {(u, world.role["id"])}


def test_include_names(api, world):
    p, u = world.project["id"], world.user["id"]
    assert api("PUT", f"/projects/{p}/users/{u}/roles/{world.role['id']}").status_code == 204
    entry = api("GET", f"/role_assignments?include_names&user.id={u}").json()["role_assignments"][0]
    dom = {"id": world.domain["id"], "name": world.domain["name"]}
    assert entry["user"] == {"id": u, "name": world.user["name"], "domain": dom}
    assert entry["scope"]["project"] == {"id": p, "name": world.project["name"], "domain": dom}
    assert entry["role"] == {"id": world.role["id"], "name": world.role["name"]}
    plain = api("GET", f"/role_assignments?include_names=0&user.id={u}").json()["role_assignments"][0]
    assert plain["user"] == {"id": u}


def test_include_subtree(api, world):
    u, r = world.user["id"], world.role["id"]
    assert api("PUT", f"/projects/{world.child['id']}/users/{u}/roles/{r}").status_code == 204
    q = f"/role_assignments?scope.project.id={world.project['id']}&user.id={u}"
    assert api("GET", q).json()["role_assignments"] == []
    got = api("GET", q + "&include_subtree=true").json()["role_assignments"]
    assert [a["scope"]["project"]["id"] for a in got] == [world.child["id"]]
    assert api("GET", "/role_assignments?include_subtree=true&scope.project.id=nope").status_code == 404


@pytest.mark.parametrize("query", ["scope.domain.id=a&scope.project.id=b", "scope.system=all&scope.domain.id=a",
                                   "scope.system=all&scope.project.id=b", "user.id=a&group.id=b",
                                   "effective&group.id=b", "effective&scope.domain.id=a&scope.OS-INHERIT:inherited_to"
                                   "=projects", "include_subtree=true"])
def test_useless_filter_combinations_are_400(api, query):
    assert api("GET", "/role_assignments?" + query).status_code == 400


def test_admin_assignments_from_bootstrap(api):
    body = api("GET", "/role_assignments?scope.system=all").json()
    admin_role = api("GET", "/roles?name=admin").json()["roles"][0]["id"]
    assert admin_role in {a["role"]["id"] for a in body["role_assignments"]}
    assert all(a["scope"] == {"system": {"all": True}} for a in body["role_assignments"])


# --- the CLI and openstacksdk --------------------------------------------------------------
def test_cli_role_add_list_remove(cli):
    project, user = unique("proj"), unique("user")
    cli("project", "create", project)
    cli("user", "create", "--password", PASSWORD, user)
    cli("role", "add", "--project", project, "--user", user, "reader")
    rows = cli("role", "assignment", "list", "--names", "--user", user)
    assert rows == [{"Role": "reader", "User": f"{user}@Default", "Group": "", "Project": f"{project}@Default",
                     "Domain": "", "System": "", "Inherited": False}]
    effective = cli("role", "assignment", "list", "--names", "--user", user, "--effective")
    assert {r["Role"] for r in effective} == {"reader"}
    cli("role", "remove", "--project", project, "--user", user, "reader")
    assert cli("role", "assignment", "list", "--user", user) == []


def test_cli_demo_member_and_system_admin(cli):
    rows = cli("role", "assignment", "list", "--names", "--user", "demo", "--project", "demo")
    assert {r["Role"] for r in rows} == {"member"}
    rows = cli("role", "assignment", "list", "--names", "--user", "admin", "--system", "all")
    assert {(r["Role"], r["System"]) for r in rows} == {("admin", "all")}
    rows = cli("role", "assignment", "list", "--names", "--user", "demo", "--project", "demo", "--effective")
    assert {r["Role"] for r in rows} == {"member", "reader"}


def test_sdk_assign_and_list(admin):
    project = admin.identity.create_project(name=unique("sdkp"))
    user = admin.identity.create_user(name=unique("sdku"), password=PASSWORD)
    role = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, role)
    assert admin.identity.validate_user_has_project_role(project, user, role)
    assigned = list(admin.identity.role_assignments(user_id=user.id))
    assert [(a.role["id"], a.scope["project"]["id"]) for a in assigned] == [(role.id, project.id)]
    admin.identity.unassign_project_role_from_user(project, user, role)
    assert not admin.identity.validate_user_has_project_role(project, user, role)

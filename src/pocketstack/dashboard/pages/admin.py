"""Identity (projects, users, groups, roles for admins; application credentials for everyone) and
admin views (hypervisors, compute services, every project's instances and volumes)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard.web import ROOT, Page, redirect, view

I = ROOT + "/identity"


@view
async def list_projects(page: Page) -> Response:
    projects = (await page.api.get("identity", "/projects")).get("projects", [])
    return await page.render("identity_projects.html", items=projects)


@view
async def create_project(page: Page) -> Response:
    body = {"name": page.field("name"), "description": page.field("description"), "domain_id": "default"}
    await page.api.post("identity", "/projects", {"project": body})
    return redirect(I + "/", ("success", f"Created project \"{body['name']}\"."))


@view
async def list_users(page: Page) -> Response:
    users = (await page.api.get("identity", "/users")).get("users", [])
    projects = (await page.api.get("identity", "/projects")).get("projects", [])
    roles = (await page.api.get("identity", "/roles")).get("roles", [])
    return await page.render("identity_users.html", items=users, all_projects=projects, roles=roles)


@view
async def create_user(page: Page) -> Response:
    body = {"name": page.field("name"), "password": page.field("password"), "domain_id": "default"}
    if page.field("project"):
        body["default_project_id"] = page.field("project")
    user = (await page.api.post("identity", "/users", {"user": body}))["user"]
    if page.field("project") and page.field("role"):
        await page.api.put("identity", f"/projects/{page.field('project')}/users/{user['id']}"
                                       f"/roles/{page.field('role')}")
    return redirect(I + "/users/", ("success", f"Created user \"{body['name']}\"."))


@view
async def list_roles(page: Page) -> Response:
    roles = (await page.api.get("identity", "/roles")).get("roles", [])
    return await page.render("identity_roles.html", items=roles)


@view
async def hypervisors(page: Page) -> Response:
    hyps = (await page.api.get("compute", "/os-hypervisors/detail")).get("hypervisors", [])
    services = (await page.api.get("compute", "/os-services")).get("services", [])
    return await page.render("admin_hypervisors.html", hypervisors=hyps, services=services)


@view
async def list_groups(page: Page) -> Response:
    groups = (await page.api.get("identity", "/groups")).get("groups", [])
    return await page.render("identity_groups.html", items=groups)


@view
async def create_group(page: Page) -> Response:
    body = {"name": page.field("name"), "description": page.field("description"), "domain_id": "default"}
    await page.api.post("identity", "/groups", {"group": body})
    return redirect(I + "/groups/", ("success", f"Created group \"{body['name']}\"."))


@view
async def list_app_credentials(page: Page) -> Response:
    user = page.session["user_id"]
    creds = (await page.api.get("identity", f"/users/{user}/application_credentials")).get(
        "application_credentials", [])
    return await page.render("application_credentials.html", items=creds, created=None)


@view
async def create_app_credential(page: Page) -> Response:
    user = page.session["user_id"]
    body = {"name": page.field("name"), "description": page.field("description")}
    created = (await page.api.post("identity", f"/users/{user}/application_credentials",
                                   {"application_credential": body}))["application_credential"]
    creds = (await page.api.get("identity", f"/users/{user}/application_credentials")).get(
        "application_credentials", [])
    return await page.render("application_credentials.html", items=creds, created=created)


ADMINS_ONLY = "This panel is for administrators: it needs the admin role."


async def _project_names(page: Page) -> dict[str, str]:
    return {p["id"]: p["name"] for p in (await page.api.try_get("identity", "/projects", {})).get("projects", [])}


@view
async def all_instances(page: Page) -> Response:
    if not page.is_admin:   # nova would quietly list only the caller's own: say so instead (Horizon does)
        return await page.render("error.html", status=403, message=ADMINS_ONLY)
    servers = (await page.api.get("compute", "/servers/detail?all_tenants=1&limit=200")).get("servers", [])
    return await page.render("admin_instances.html", servers=servers, names=await _project_names(page))


@view
async def all_volumes(page: Page) -> Response:
    if not page.is_admin:
        return await page.render("error.html", status=403, message=ADMINS_ONLY)
    volumes = (await page.api.get("volume", "/volumes/detail?all_tenants=1&limit=200")).get("volumes", [])
    return await page.render("admin_volumes.html", volumes=volumes, names=await _project_names(page))


ROUTES = [
    Route(I + "/", list_projects),
    Route(I + "/", create_project, methods=["POST"]),
    Route(I + "/users/", list_users),
    Route(I + "/users/", create_user, methods=["POST"]),
    Route(I + "/roles/", list_roles),
    Route(I + "/groups/", list_groups),
    Route(I + "/groups/", create_group, methods=["POST"]),
    Route(I + "/application_credentials/", list_app_credentials),
    Route(I + "/application_credentials/", create_app_credential, methods=["POST"]),
    Route(ROOT + "/admin/hypervisors/", hypervisors),
    Route(ROOT + "/admin/instances/", all_instances),
    Route(ROOT + "/admin/volumes/", all_volumes),
]

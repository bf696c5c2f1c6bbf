"""Identity for admins (projects, users, roles) and admin views (hypervisors, compute services)."""

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


ROUTES = [
    Route(I + "/", list_projects),
    Route(I + "/", create_project, methods=["POST"]),
    Route(I + "/users/", list_users),
    Route(I + "/users/", create_user, methods=["POST"]),
    Route(I + "/roles/", list_roles),
    Route(ROOT + "/admin/hypervisors/", hypervisors),
]

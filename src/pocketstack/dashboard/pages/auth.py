"""Login (Horizon's form and field names), logout and the project switcher."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pocketstack.dashboard import api as cloud
from pocketstack.dashboard.api import Api, error_message
from pocketstack.dashboard.web import (ROOT, STATE, Page, check_csrf, clear_session, csrf_failure, redirect,
                                       render, set_session, view)
from pocketstack.dashboard.session import SESSION_COOKIE

REGION = "RegionOne"


def _expiry(token_body: dict[str, Any]) -> float:
    text = token_body["token"]["expires_at"].replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()


async def _issue(identity: dict[str, Any], scope: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {"auth": {"identity": identity}}
    if scope:
        body["auth"]["scope"] = scope
    resp = await cloud.anonymous("POST", "/identity/v3/auth/tokens", body)
    if resp.status_code != 201:
        raise cloud.Refused(resp.status_code, error_message(resp))
    return resp.headers["x-subject-token"], resp.json()


async def scoped_session(unscoped: str, unscoped_body: dict[str, Any], project_id: str,
                         domain: str) -> dict[str, Any]:
    token, body = await _issue({"methods": ["token"], "token": {"id": unscoped}}, {"project": {"id": project_id}})
    t = body["token"]
    return {"token": token, "unscoped": unscoped, "user_id": t["user"]["id"], "user_name": t["user"]["name"],
            "domain": domain, "project_id": t["project"]["id"], "project_name": t["project"]["name"],
            "roles": sorted(r["name"] for r in t.get("roles", [])), "region": REGION,
            "expires_at": min(_expiry(body), _expiry(unscoped_body))}


def _pick_project(projects: list[dict[str, Any]], username: str) -> dict[str, Any]:
    enabled = sorted((p for p in projects if p.get("enabled", True)), key=lambda p: p["name"])
    return next((p for p in enabled if p["name"] == username), enabled[0])


async def login(request: Request) -> Response:
    nxt = request.query_params.get("next", "")
    if request.method == "GET":
        return render(request, "login.html", region=REGION, next=nxt)
    form = await check_csrf(request)
    if form is None:
        return csrf_failure()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    domain = str(form.get("domain", "") or "Default")
    nxt = str(form.get("next", "") or nxt)
    try:
        unscoped, body = await _issue({"methods": ["password"], "password": {"user": {
            "name": username, "domain": {"name": domain}, "password": password}}})
        listing = await Api(unscoped, "").get("identity", "/auth/projects")
        if not listing.get("projects"):
            raise cloud.Refused(401, "You are not authorized for any projects.")
        project = _pick_project(listing["projects"], username)
        session = await scoped_session(unscoped, body, project["id"], domain)
    except cloud.Refused as refusal:
        message = ("Invalid credentials." if refusal.status == 401 and "projects" not in refusal.message
                   else refusal.message)
        return render(request, "login.html", status=200, region=REGION, next=nxt, error=message,
                      username=username, domain=domain)
    target = nxt if nxt.startswith(ROOT + "/") and not nxt.startswith(ROOT + "/auth/") else f"{ROOT}/project/"
    response = redirect(target)
    set_session(response, session)
    return response


async def logout(request: Request) -> Response:
    session = STATE.sessions.open(request.cookies.get(SESSION_COOKIE))
    if request.method == "POST" and await check_csrf(request) is None:
        return csrf_failure()
    if session:     # revoke the tokens, as Horizon's logout does
        for token in {session["token"], session.get("unscoped") or session["token"]}:
            await cloud.internal_client.acall("DELETE", "/identity/v3/auth/tokens", token=token,
                                              headers={"X-Subject-Token": token})
    response = redirect(f"{ROOT}/auth/login/", ("info", "You have been logged out."))
    clear_session(response)
    return response


@view
async def switch_project(page: Page) -> Response:
    s = page.session
    fresh = await scoped_session(s["unscoped"], {"token": {"expires_at": _iso(s["expires_at"])}},
                                 page.params["project_id"], s["domain"])
    fresh["expires_at"] = min(fresh["expires_at"], s["expires_at"])
    response = redirect(f"{ROOT}/project/", ("success", f"Switched to project \"{fresh['project_name']}\"."))
    set_session(response, fresh)
    return response


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat()


async def home(request: Request) -> Response:
    if STATE.sessions.open(request.cookies.get(SESSION_COOKIE)):
        return redirect(f"{ROOT}/project/")
    return redirect(f"{ROOT}/auth/login/")


ROUTES = [
    Route(ROOT, home),
    Route(ROOT + "/", home),
    Route(ROOT + "/auth/login/", login, methods=["GET", "POST"]),
    Route(ROOT + "/auth/logout/", logout, methods=["GET", "POST"]),
    Route(ROOT + "/auth/switch/{project_id}/", switch_project, methods=["POST"]),
]

__all__ = ["ROUTES"]

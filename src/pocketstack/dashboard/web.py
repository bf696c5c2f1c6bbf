"""The dashboard's small web framework: views that need a session, CSRF, flashes, rendering.

A view is `async def view(page: Page) -> Response | str`. `@view` opens the session cookie
(redirecting to the login form without one), checks CSRF on every POST, gives the view an `Api`
acting with the user's token, and turns an API refusal into the API's own message: on a page
read as an error page with the API's status, after a form post as a flash on the page the user
came from.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from pocketstack.dashboard.api import Api, Refused
from pocketstack.dashboard.session import (CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Sessions,
                                           csrf_ok, new_csrf_token)

ROOT = "/dashboard"
FLASH_COOKIE = "pocketstack_flash"
CSRF_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")
WRITER_ROLES = {"member", "admin", "_member_"}

ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=True, trim_blocks=True, lstrip_blocks=True)


class State:
    """What every view shares: the cookie sealer (set by `build`)."""
    sessions: Sessions


STATE = State()


class Page:
    """One request to a logged-in view."""

    def __init__(self, request: Request, session: dict[str, Any], form: FormData | None) -> None:
        self.request = request
        self.session = session
        self.form = form
        self.api = Api(session["token"], session["project_id"])
        self.params = request.path_params

    @property
    def roles(self) -> set[str]:
        return set(self.session.get("roles", []))

    @property
    def can_write(self) -> bool:
        """The member persona: a reader sees no create or action buttons (the API decides anyway)."""
        return bool(self.roles & WRITER_ROLES)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        return [v for v in (self.form.getlist(name) if self.form is not None else []) if isinstance(v, str) and v]

    async def render(self, template: str, **ctx: Any) -> HTMLResponse:
        projects = await self.api_projects()
        return render(self.request, template, session=self.session, can_write=self.can_write,
                      is_admin=self.is_admin, projects=projects, **ctx)

    async def api_projects(self) -> list[dict[str, Any]]:
        unscoped = Api(self.session.get("unscoped") or self.session["token"], self.session["project_id"])
        body = await unscoped.try_get("identity", "/auth/projects", {"projects": []})
        return sorted(body.get("projects", []), key=lambda p: p.get("name", ""))


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    if not CSRF_SHAPE.fullmatch(csrf):     # only ever echo a token of our own making
        csrf = new_csrf_token()
    flashes = _read_flash(request)
    html = ENV.get_template(template).render(request=request, csrf_token=csrf, root=ROOT, flashes=flashes,
                                             path=request.url.path, **ctx)
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="lax", path=ROOT)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path=ROOT)
    return response


def redirect(url: str, flash: tuple[str, str] | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(json.dumps([flash])), httponly=True, samesite="lax", path=ROOT)
    return response


def _read_flash(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        return [(str(level), str(text)) for level, text in json.loads(unquote(raw))][:5]
    except (ValueError, TypeError):
        return []


def login_redirect(request: Request) -> Response:
    target = f"{ROOT}/auth/login/?next={quote(request.url.path)}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return redirect(target)


async def check_csrf(request: Request) -> FormData | None:
    """The form of a POST whose CSRF token matches the cookie, or None for a forged one."""
    form = await request.form(max_part_size=1024 * 1024)
    submitted = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), submitted if isinstance(submitted, str) else None):
        return None
    return form


def csrf_failure() -> Response:
    return PlainTextResponse("Forbidden (CSRF verification failed. Request aborted.)", status_code=403)


def set_session(response: Response, data: dict[str, Any]) -> None:
    max_age = max(0, int(data["expires_at"] - time.time()))
    response.set_cookie(SESSION_COOKIE, STATE.sessions.seal(data), max_age=max_age, httponly=True,
                        samesite="lax", path=ROOT)


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=ROOT)


def hx_redirect(request: Request, response: Response) -> Response:
    """An htmx form post (uploads with progress) is answered with HX-Redirect, not a 303 that the
    XHR would follow on its own: the browser then loads the target as a page."""
    if request.headers.get("hx-request") and response.status_code == 303:
        response.status_code = 200
        response.headers["HX-Redirect"] = response.headers["location"]
        del response.headers["location"]
    return response


ViewFn = Callable[[Page], Awaitable[Response]]


def view(fn: ViewFn) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(fn)
    async def endpoint(request: Request) -> Response:
        session = STATE.sessions.open(request.cookies.get(SESSION_COOKIE))
        if session is None:
            response = login_redirect(request)
            clear_session(response)
            return response
        form = None
        if request.method == "POST":
            form = await check_csrf(request)
            if form is None:
                return csrf_failure()
        page = Page(request, session, form)
        try:
            response = await fn(page)
            return hx_redirect(request, response)
        except Refused as refusal:
            if refusal.status == 401:      # the token was revoked or expired under us
                response = login_redirect(request)
                clear_session(response)
                return response
            if request.method == "POST":
                back = form.get("next") if form is not None else None
                target = back if isinstance(back, str) and back.startswith(ROOT + "/") else request.url.path
                return hx_redirect(request, redirect(target, ("error", f"Error: {refusal.message}")))
            return await page.render("error.html", status=refusal.status, message=refusal.message)
    return endpoint

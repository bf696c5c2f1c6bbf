"""Dashboard login, CSRF and session over plain HTTP (httpx), as Tempest's dashboard test does."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Cloud
from tests.dashboard.conftest import password


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _login(c: httpx.Client, user: str, secret: str) -> httpx.Response:
    page = c.get("/dashboard/")
    return c.post("/dashboard/auth/login/", data={"username": user, "password": secret, "region": "RegionOne",
                                                   "domain": "Default", "csrfmiddlewaretoken": _csrf(page.text)})


def test_login_page_has_horizon_fields_and_logs_in(cloud: Cloud) -> None:
    with httpx.Client(base_url=cloud.url, follow_redirects=True, timeout=30) as c:
        page = c.get("/dashboard/")
        assert 'id="id_username"' in page.text and 'name="region" value="RegionOne"' in page.text
        assert 'name="domain"' in page.text and 'id="id_password"' in page.text
        response = _login(c, "demo", password(cloud, "pocketstack"))
        assert response.url.path == "/dashboard/project/" and "Overview" in response.text
        cookie = next(h for h in response.history[0].headers.get_list("set-cookie")
                      if h.startswith("pocketstack_session="))
        assert "HttpOnly" in cookie and "Max-Age=" in cookie and "samesite=lax" in cookie.lower()
        assert "Overview" in c.get("/dashboard/").text          # Tempest's check_home_page


def test_login_failure_shows_the_form_again(cloud: Cloud) -> None:
    with httpx.Client(base_url=cloud.url, follow_redirects=True, timeout=30) as c:
        response = _login(c, "demo", "not-the-password")
        assert response.url.path == "/dashboard/auth/login/"
        assert "Invalid credentials." in response.text and "pocketstack_session" not in c.cookies
        assert c.get("/dashboard/project/").url.path == "/dashboard/auth/login/"


def test_post_without_csrf_token_is_refused(cloud: Cloud) -> None:
    with httpx.Client(base_url=cloud.url, follow_redirects=True, timeout=30) as c:
        page = c.get("/dashboard/")
        refused = c.post("/dashboard/auth/login/", data={"username": "demo", "password": password(cloud, "pocketstack")})
        assert refused.status_code == 403 and "CSRF" in refused.text
        _login(c, "demo", password(cloud, "pocketstack"))
        forged = c.post("/dashboard/project/volumes/", data={"name": "x", "size": "1",
                                                            "csrfmiddlewaretoken": "forged" + _csrf(page.text)})
        assert forged.status_code == 403


def test_forged_session_cookie_is_not_a_session(cloud: Cloud) -> None:
    with httpx.Client(base_url=cloud.url, timeout=30) as c:
        c.cookies.set("pocketstack_session", "gAAAAABforged", path="/dashboard")
        response = c.get("/dashboard/project/")
        assert response.status_code == 303 and "/dashboard/auth/login/" in response.headers["location"]


def test_logout_revokes_the_session(cloud: Cloud) -> None:
    with httpx.Client(base_url=cloud.url, follow_redirects=True, timeout=30) as c:
        home = _login(c, "demo", password(cloud, "pocketstack"))
        stolen = c.cookies.get("pocketstack_session")
        out = c.post("/dashboard/auth/logout/", data={"csrfmiddlewaretoken": _csrf(home.text)})
        assert out.url.path == "/dashboard/auth/login/"
    with httpx.Client(base_url=cloud.url, timeout=30) as c:   # the old cookie's token is revoked
        c.cookies.set("pocketstack_session", stolen, path="/dashboard")
        assert c.get("/dashboard/project/instances/").status_code == 303


def test_reader_persona_over_http(cloud: Cloud, reader_user: tuple[str, str]) -> None:
    with httpx.Client(base_url=cloud.url, follow_redirects=True, timeout=30) as c:
        _login(c, *reader_user)
        page = c.get("/dashboard/project/volumes/")
        assert page.status_code == 200 and "Create Volume" not in page.text
        refused = c.post("/dashboard/project/volumes/", data={"name": "nope", "size": "1",
                                                             "csrfmiddlewaretoken": _csrf(page.text)})
        assert refused.url.path == "/dashboard/project/volumes/"
        assert re.search(r'class="flash error"[^>]*>Error: [^<]+', refused.text), refused.text[-2000:]

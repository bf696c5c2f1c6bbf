"""Dashboard fixtures: headless Debian Chromium driven by Playwright, and users to log in as.

Playwright is pointed at /usr/bin/chromium (`apt-get install chromium`); its own browser
download (`playwright install`) is never used. Without the binary the browser tests skip.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud, unique

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = os.environ.get("POCKETSTACK_SCREENSHOTS")   # e.g. docs/screenshots: keep PNGs of main pages


def password(cloud: Cloud, name: str) -> str:
    return str(cloud.clouds()[name]["auth"]["password"])


@pytest.fixture(scope="session")
def chromium() -> Any:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def browser_page(chromium: Any) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def login(page: Any, cloud: Cloud, username: str, secret: str) -> None:
    page.goto(cloud.url + "/dashboard/")
    page.fill("#id_username", username)
    page.fill("#id_password", secret)
    page.click("#loginBtn")
    page.wait_for_url(re.compile(r".*/dashboard/project/$"))


@pytest.fixture()
def demo_page(browser_page: Any, cloud: Cloud) -> Any:
    login(browser_page, cloud, "demo", password(cloud, "pocketstack"))
    return browser_page


@pytest.fixture(scope="session")
def reader_user(cloud: Cloud, admin_token: str) -> tuple[str, str]:
    """A user with only the reader role on project demo."""
    name, secret = unique("reader"), "reader-pass-" + unique()
    h = {"X-Auth-Token": admin_token}
    with httpx.Client(base_url=cloud.url + "/identity/v3", headers=h, timeout=30) as c:
        user = c.post("/users", json={"user": {"name": name, "password": secret, "domain_id": "default"}})
        user.raise_for_status()
        demo = c.get("/projects", params={"name": "demo"}).json()["projects"][0]
        reader = c.get("/roles", params={"name": "reader"}).json()["roles"][0]
        c.put(f"/projects/{demo['id']}/users/{user.json()['user']['id']}/roles/{reader['id']}").raise_for_status()
    return name, secret


def shot(page: Any, name: str) -> None:
    """Keep a screenshot of a main page for the docs (only when POCKETSTACK_SCREENSHOTS names a dir)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)

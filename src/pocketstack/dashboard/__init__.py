"""The web dashboard at /dashboard: server-rendered pages over the cloud's own REST APIs.

Horizon's shape (login form, project switcher, panels by persona), with Jinja2 templates and
htmx shipped in `static/`. Every page acts with the logged-in user's token through
`core.internal_client`, never the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PREFIX = "/dashboard"


def build(data_dir: Path) -> Any:
    """The dashboard's ASGI app; app.py routes every path under /dashboard to it. Imported and
    built on the first dashboard request, so a cloud that is only used through its APIs never
    pays for Jinja2 and the form parser at start."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from pocketstack.dashboard import web
    from pocketstack.dashboard.pages import admin, auth, compute, network, object_store, orchestration, overview
    from pocketstack.dashboard.pages import storage
    from pocketstack.dashboard.session import Sessions, load_key
    assert web.ROOT == PREFIX
    web.STATE.sessions = Sessions(load_key(data_dir))
    routes = [*auth.ROUTES, *overview.ROUTES, *compute.ROUTES, *storage.ROUTES, *network.ROUTES,
              *object_store.ROUTES, *orchestration.ROUTES, *admin.ROUTES,
              Mount(PREFIX + "/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")]
    return Starlette(routes=routes)


__all__ = ["PREFIX", "build"]

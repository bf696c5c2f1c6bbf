"""Image quotas, as Glance's unified limits (glance/quota/keystone.py): four per-project limits,
checked before the work with oslo.limit's rule (usage + delta > limit is over) and refused with 413.

Where a limit comes from, first match wins:
  1. with `image.use_keystone_limits: true`, keystone's unified limits for the image service
     (a project limit, else the registered default), read with the caller's token, as Glance does;
  2. `image.limits.<name>` in the `image:` section of the config file;
  3. none (-1, unlimited).
Sizes are MiB; usage is computed from the image rows, as Glance's db api does.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, internal_client
from pocketstack.core.context import Context
from pocketstack.core.errors import PayloadTooLarge
from pocketstack.services.image import access
from pocketstack.services.image.tables import image_properties, images

SIZE_TOTAL, STAGE_TOTAL = "image_size_total", "image_stage_total"
COUNT_TOTAL, COUNT_UPLOADING = "image_count_total", "image_count_uploading"
NAMES = (SIZE_TOTAL, STAGE_TOTAL, COUNT_TOTAL, COUNT_UPLOADING)
MIB = 1 << 20
GONE = ("killed", "deleted", "pending_delete")
UPLOADING = ("saving", "uploading", "importing")

_settings: Any = None


def configure(settings: Any) -> None:
    global _settings
    _settings = settings


def _option(name: str, default: Any) -> Any:
    return _settings.option(name, default) if _settings is not None else default


# --- limits --------------------------------------------------------------------------
def _keystone_limits(ctx: Context) -> dict[str, int]:
    """The caller's project limits (else registered defaults) for the image service in keystone."""
    service_ids = {s.get("id") for s in access.service_catalog(ctx) if s.get("type") == "image"}
    found: dict[str, int] = {}
    r = internal_client.call("GET", "/identity/v3/registered_limits", token=ctx.token)
    for lim in (r.json().get("registered_limits", []) if r.status_code == 200 else []):
        if lim.get("service_id") in service_ids and lim.get("resource_name") in NAMES:
            found[lim["resource_name"]] = int(lim["default_limit"])
    if ctx.project_id:
        r = internal_client.call("GET", f"/identity/v3/limits?project_id={ctx.project_id}", token=ctx.token)
        for lim in (r.json().get("limits", []) if r.status_code == 200 else []):
            if lim.get("service_id") in service_ids and lim.get("resource_name") in NAMES and \
                    lim.get("project_id") in (None, ctx.project_id):
                found[lim["resource_name"]] = int(lim["resource_limit"])
    return found


def limits(ctx: Context) -> dict[str, int]:
    out = {n: int(_option(f"image.limits.{n}", -1)) for n in NAMES}
    if _option("image.use_keystone_limits", False):
        out.update(_keystone_limits(ctx))
    return out


# --- usage ---------------------------------------------------------------------------
def _copying(owner: str) -> Any:
    """Images being copied to more stores: os_glance_importing_to_stores is not empty."""
    marked = sa.select(image_properties.c.image_id).where(
        image_properties.c.name == "os_glance_importing_to_stores", image_properties.c.value != "")
    return sa.and_(images.c.owner == owner, images.c.id.in_(marked))


def usage(conn: Connection, owner: str | None, only: tuple[str, ...] = NAMES) -> dict[str, int]:
    out: dict[str, int] = {}
    if owner is None:
        return {n: 0 for n in only}
    mine = images.c.owner == owner
    if SIZE_TOTAL in only:
        total = 0
        for size, where in conn.execute(sa.select(images.c.size, images.c.stores).where(
                mine, images.c.size > 0, images.c.status.not_in(GONE))):
            total += size * len([s for s in (where or "").split(",") if s])
        out[SIZE_TOTAL] = total // MIB
    if STAGE_TOTAL in only:
        staged = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(images.c.size), 0)).where(
            images.c.size > 0, sa.or_(sa.and_(mine, images.c.status.in_(("uploading", "importing"))),
                                      sa.and_(_copying(owner), images.c.status.not_in(("uploading", "importing",
                                                                                       *GONE)))))).scalar()
        out[STAGE_TOTAL] = int(staged) // MIB
    if COUNT_TOTAL in only:
        out[COUNT_TOTAL] = conn.execute(sa.select(sa.func.count()).where(
            mine, images.c.status.not_in(GONE))).scalar() or 0
    if COUNT_UPLOADING in only:
        out[COUNT_UPLOADING] = conn.execute(sa.select(sa.func.count()).where(sa.or_(
            sa.and_(mine, images.c.status.in_(UPLOADING)),
            sa.and_(_copying(owner), images.c.status.not_in((*UPLOADING, *GONE)))))).scalar() or 0
    return out


def report(ctx: Context) -> dict[str, dict[str, int]]:
    """GET /v2/info/usage: limit and usage of each quota for the caller's project."""
    lims = limits(ctx)
    with db.reader() as conn:
        used = usage(conn, ctx.project_id)
    return {n: {"limit": lims[n], "usage": used[n]} for n in NAMES}


# --- enforcement ---------------------------------------------------------------------
def over_limit(project_id: str | None, over: list[tuple[str, int, int, int]]) -> PayloadTooLarge:
    infos = ", ".join(f"Resource {n} is over limit of {lim} due to current usage {u} and delta {d}"
                      for n, lim, u, d in over)
    body = f"Project {project_id} is over a limit for [{infos}]"
    return PayloadTooLarge("The request returned a 413 Request Entity Too Large. This generally means that rate "
                           f"limiting or a quota threshold was breached.\n\nThe response body:\n{body}")


def enforce(ctx: Context, owner: str | None, deltas: dict[str, int], *,
            lims: dict[str, int] | None = None) -> None:
    """413 when usage + delta is over a set limit (a limit of -1 is none)."""
    lims = lims if lims is not None else limits(ctx)
    wanted = tuple(n for n in deltas if lims.get(n, -1) >= 0)
    if not wanted or owner is None:
        return
    with db.reader() as conn:
        used = usage(conn, owner, wanted)
    over = [(n, lims[n], used[n], deltas[n]) for n in wanted if used[n] + deltas[n] > lims[n]]
    if over:
        raise over_limit(owner, over)

"""POST /pocketstack/v1/reset: the running cloud back to its first start (the `bootstrap`
snapshot of core.snapshots), in a fraction of a second, for test suites between tests. Only when
the server was started with --allow-reset, and in one process (other workers would keep caches
of the old rows)."""

from __future__ import annotations

import logging
from typing import Any

from pocketstack.config import Settings
from pocketstack.control import policies as P
from pocketstack.core import jobs, snapshots
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden
from pocketstack.core.routing import ApiRequest, route

LOG = logging.getLogger("pocketstack.reset")
_settings: Settings | None = None


def startup(settings: Settings) -> None:
    global _settings
    _settings = settings


# --- schemas ---------------------------------------------------------------------------------
RESET_BODY = {"type": ["object", "null"], "additionalProperties": False,
              "properties": {"snapshot": {"type": "string", "minLength": 1, "maxLength": 41}}}


# --- logic -----------------------------------------------------------------------------------
def reset(name: str) -> dict[str, Any]:
    assert _settings is not None
    if not _settings.allow_reset:
        raise Forbidden("This cloud was started without --allow-reset.")
    if _settings.workers > 1:
        raise Conflict("A reset needs a cloud of one process (--workers 1).")
    with jobs.paused() as idle:
        if not idle:
            LOG.warning("reset: jobs still running after 10 s; resetting under them")
        try:
            seconds = snapshots.restore(_settings.data_dir, name)
        except snapshots.SnapshotError as exc:
            raise BadRequest(str(exc)) from None
    LOG.warning("reset the cloud to snapshot %s in %.3fs", name, seconds)
    return {"reset": {"snapshot": name, "seconds": round(seconds, 4)}}


# --- routes ----------------------------------------------------------------------------------
def reset_cloud(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return reset((rq.body or {}).get("snapshot") or snapshots.BOOTSTRAP)


ROUTES = [
    route("POST", "/reset", reset_cloud, policy=P.RESET, body=RESET_BODY),
]

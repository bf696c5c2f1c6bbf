"""POST /pocketstack/v1/reset: the running cloud back to its first start (the `bootstrap`
snapshot of core.snapshots), in a fraction of a second, for test suites between tests. Only when
the server was started with --allow-reset. With several workers the restore bumps the cloud's
generation, which every worker checks at each request and job claim, forgetting its caches of the
old rows; no worker claims a job while the reset runs."""

from __future__ import annotations

import logging
import contextlib
import time
from collections.abc import Iterator
from typing import Any

from pocketstack import services
from pocketstack.config import Settings
from pocketstack.control import policies as P
from pocketstack.core import db, jobs, snapshots
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden
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
    services.load_all()     # every table, whose foreign keys give the order rows are put back in
    with jobs.paused() as idle, other_workers_paused(_settings.workers > 1):
        if not idle:
            LOG.warning("reset: jobs still running after 10 s; resetting under them")
        try:
            seconds = snapshots.restore(_settings.data_dir, name)   # bumps the generation other workers check
        except snapshots.SnapshotError as exc:
            raise BadRequest(str(exc)) from None
    LOG.warning("reset the cloud to snapshot %s in %.3fs", name, seconds)
    return {"reset": {"snapshot": name, "seconds": round(seconds, 4)}}


@contextlib.contextmanager
def other_workers_paused(several: bool, timeout: float = 10.0) -> Iterator[None]:
    """With several workers: none claims a job while the reset runs, and the jobs they run finish
    first (up to `timeout`); the pause lapses by itself should this process die meanwhile."""
    if not several:
        yield
        return
    snapshots.pause_claims(timeout + 60)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with db.reader() as conn:
                if not snapshots.running_jobs(conn):
                    break
            time.sleep(0.05)
        else:
            LOG.warning("reset: other workers' jobs still running after %.0f s; resetting under them",
                        timeout)
        yield
    finally:
        snapshots.pause_claims(0)


# --- routes ----------------------------------------------------------------------------------
def reset_cloud(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return reset((rq.body or {}).get("snapshot") or snapshots.BOOTSTRAP)


ROUTES = [
    route("POST", "/reset", reset_cloud, policy=P.RESET, body=RESET_BODY),
]

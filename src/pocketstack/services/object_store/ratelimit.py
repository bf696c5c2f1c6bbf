"""Rate limits on account and container writes (swift/common/middleware/ratelimit.py).

In the proxy pipeline as DevStack leaves it, so /info lists it with its settings; with Swift's
defaults (account_ratelimit 0, no container_ratelimit_N) nothing is limited. Options, named as in
proxy-server.conf's [filter:ratelimit], go in `object_store: {ratelimit: {...}}` (`false` takes it
out of the pipeline). A request over the rate waits, as Swift's does, until the wait would reach
max_sleep_time_seconds: then it gets 498 Rate Limited. The running clocks are this process's own
(Swift keeps them in memcache), so with --workers N each worker limits on its own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.routing import ApiRequest
from pocketstack.services.object_store import state

Limits = list[tuple[int, float]]
WRITES = ("PUT", "DELETE", "POST", "COPY")


@dataclass
class Config:
    enabled: bool = True
    account_ratelimit: float = 0.0
    max_sleep_time_seconds: float = 60.0
    clock_accuracy: int = 1000
    rate_buffer_seconds: int = 5
    container_ratelimits: Limits = field(default_factory=list)
    container_listing_ratelimits: Limits = field(default_factory=list)
    whitelist: list[str] = field(default_factory=list)
    blacklist: list[str] = field(default_factory=list)


CONFIG = Config()
_CLOCKS: dict[str, int] = {}      # key -> the time (in 1/clock_accuracy s) the next request may run
_LOCK = threading.Lock()


def _limits(conf: dict[str, Any], prefix: str) -> Limits:
    return sorted((int(k[len(prefix):]), float(v)) for k, v in conf.items()
                  if k.startswith(prefix) and k[len(prefix):].isdigit())


def _names(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [str(a).strip() for a in items if str(a).strip()]


def configure(conf: Any) -> None:
    """Reads `object_store.ratelimit` (a mapping, or false for off)."""
    global CONFIG
    _CLOCKS.clear()
    if conf is False:
        CONFIG = Config(enabled=False)
        return
    conf = conf if isinstance(conf, dict) else {}
    CONFIG = Config(account_ratelimit=float(conf.get("account_ratelimit", 0)),
                    max_sleep_time_seconds=float(conf.get("max_sleep_time_seconds", 60)),
                    clock_accuracy=int(conf.get("clock_accuracy", 1000)),
                    rate_buffer_seconds=int(conf.get("rate_buffer_seconds", 5)),
                    container_ratelimits=_limits(conf, "container_ratelimit_"),
                    container_listing_ratelimits=_limits(conf, "container_listing_ratelimit_"),
                    whitelist=_names(conf.get("account_whitelist")), blacklist=_names(conf.get("account_blacklist")))


def info() -> dict[str, Any] | None:
    if not CONFIG.enabled:
        return None
    return {"account_ratelimit": CONFIG.account_ratelimit, "max_sleep_time_seconds": CONFIG.max_sleep_time_seconds,
            "container_ratelimits": [list(x) for x in CONFIG.container_ratelimits],
            "container_listing_ratelimits": [list(x) for x in CONFIG.container_listing_ratelimits]}


def max_rate(limits: Limits, size: int) -> float | None:
    """Requests per second for a container of `size` objects: linear between the configured points,
    flat after the last one, none below the first (ratelimit.get_maxrate)."""
    if not size:
        return None
    rate = None
    for i, (at, value) in enumerate(limits):
        if size < at:
            break
        if i + 1 < len(limits):
            nxt_at, nxt_value = limits[i + 1]
            rate = (size - at) * (nxt_value - value) / (nxt_at - at) + value
        else:
            rate = value
    return rate


def _container_size(account: str, container: str) -> int:
    with db.reader() as conn:
        row = state.get_container(conn, account, container)
    return int(row["object_count"]) if row else 0


def keys(method: str, account: str, container: str | None, obj: str | None) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    if CONFIG.account_ratelimit and container and not obj and method in ("PUT", "DELETE"):
        out.append((f"ratelimit/{account}", CONFIG.account_ratelimit))
    if container and obj and method in WRITES and CONFIG.container_ratelimits:
        rate = max_rate(CONFIG.container_ratelimits, _container_size(account, container))
        if rate:
            out.append((f"ratelimit/{account}/{container}", rate))
    if container and not obj and method == "GET" and CONFIG.container_listing_ratelimits:
        rate = max_rate(CONFIG.container_listing_ratelimits, _container_size(account, container))
        if rate:
            out.append((f"ratelimit_listing/{account}/{container}", rate))
    return out


def sleep_time(key: str, rate: float) -> float | None:
    """Seconds to wait before this request may run, or None when the wait reaches the maximum
    (ratelimit._get_sleep_time, with the memcache incr/set/decr on a dict)."""
    acc = CONFIG.clock_accuracy
    now = int(round(time.time() * acc))
    per_request = int(round(acc / rate))
    with _LOCK:
        running = _CLOCKS.get(key, 0) + per_request
        _CLOCKS[key] = running
        need = 0
        if now - running > CONFIG.rate_buffer_seconds * acc:
            _CLOCKS[key] = now + per_request
        else:
            need = max(running - now - per_request, 0)
        if CONFIG.max_sleep_time_seconds * acc - need <= acc * 0.01:
            _CLOCKS[key] -= per_request
            return None
    return need / acc


async def check(rq: ApiRequest) -> Response | None:
    """None to go on (after any wait), else the 497/498 answer."""
    if not CONFIG.enabled or "account" not in rq.params:
        return None
    account, container, obj = rq.params["account"], rq.params.get("container"), rq.params.get("obj")
    if account in CONFIG.whitelist:
        return None
    if account in CONFIG.blacklist:
        await anyio.sleep(1)
        return Response(b"Your account has been blacklisted", status_code=497, media_type="text/plain")
    if CONFIG.container_ratelimits or CONFIG.container_listing_ratelimits:   # they read the container
        pairs = await anyio.to_thread.run_sync(keys, rq.method, account, container, obj)
    else:
        pairs = keys(rq.method, account, container, obj)
    for key, rate in pairs:
        wait = sleep_time(key, rate)
        if wait is None:
            return Response(b"Slow down", status_code=498, media_type="text/plain")
        if wait > 0:
            await anyio.sleep(wait)
    return None

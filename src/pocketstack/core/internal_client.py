"""The in-process REST client services use to call each other, as real OpenStack services do.

Calls go through the whole pipeline (auth, policy, schemas, versions) of the called service,
without a socket. Sync callers (handlers and jobs run in worker threads) use `call()`, which
hops onto the server's event loop.
"""

from __future__ import annotations

from typing import Any

import anyio.from_thread
import httpx

_app: Any = None
_base_url = "http://pocketstack.internal"


def configure(app: Any, base_url: str) -> None:
    global _app, _base_url
    _app, _base_url = app, base_url


def public_base_url() -> str:
    """The cloud's public URL (what links handed to machines outside, like signal URLs, start with)."""
    return _base_url


async def acall(method: str, path: str, *, token: str | None = None, json: Any = None,
                headers: dict[str, str] | None = None, content: bytes | None = None) -> httpx.Response:
    hdrs = dict(headers or {})
    if token:
        hdrs["X-Auth-Token"] = token
    transport = httpx.ASGITransport(app=_app)
    async with httpx.AsyncClient(transport=transport, base_url=_base_url, timeout=300) as client:
        return await client.request(method, path, json=json, headers=hdrs, content=content)


def call(method: str, path: str, **kw: Any) -> httpx.Response:
    """From a worker thread: run the request on the server's event loop and wait for it."""
    try:
        return anyio.from_thread.run(lambda: acall(method, path, **kw))
    except RuntimeError:  # not in a worker thread of the loop: run a loop of our own
        return anyio.run(lambda: acall(method, path, **kw))

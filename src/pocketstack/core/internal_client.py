"""The in-process REST client services use to call each other, as real OpenStack services do.

Calls go through the whole pipeline (auth, policy, schemas, versions) of the called service,
without a socket. Sync callers (handlers and jobs run in worker threads) use `call()`, which
hops onto the server's event loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Union
from urllib.parse import quote

import anyio.from_thread

if TYPE_CHECKING:
    import httpx          # imported on the first call: with its command-line extras, a tenth of a second



class Credentials(Protocol):
    """More than a token: what a job acting for a user sends (core.service_auth.ActingFor)."""
    def headers(self) -> dict[str, str]: ...


Auth = Union[str, Credentials]      # a bare token is sent as X-Auth-Token

_app: Any = None
_base_url = "http://pocketstack.internal"


def configure(app: Any, base_url: str) -> None:
    global _app, _base_url
    _app, _base_url = app, base_url


def public_base_url() -> str:
    """The cloud's public URL (what links handed to machines outside, like signal URLs, start with)."""
    return _base_url


async def acall(method: str, path: str, *, token: Auth | None = None, json: Any = None,
                headers: dict[str, str] | None = None, content: bytes | None = None) -> httpx.Response:
    import httpx
    hdrs: dict[str, str] = {}
    if isinstance(token, str) and token:
        hdrs["X-Auth-Token"] = token
    elif token is not None and not isinstance(token, str):    # may ask identity for tokens: off the loop
        hdrs.update(await anyio.to_thread.run_sync(token.headers))
    hdrs.update(headers or {})
    transport = httpx.ASGITransport(app=_app)
    async with httpx.AsyncClient(transport=transport, base_url=_base_url, timeout=300) as client:
        return await client.request(method, _encode_path(path), json=json, headers=hdrs, content=content)


def _encode_path(path: str) -> str:
    """Ids taken from a caller's URL may hold anything (NUL, spaces, `..`): escape each path
    segment, and dot segments too, so the call reaches the same route with the same id (a 404
    there) instead of failing as an invalid URL or being normalised onto another route."""
    base, sep, query = path.partition("?")
    segments = [s if s not in (".", "..") else s.replace(".", "%2E") for s in
                (quote(s, safe="%:@!$&'()*+,;=-._~") for s in base.split("/"))]
    return "/".join(segments) + sep + query


# What anyio raises when the calling thread is no worker thread of a running loop (anyio >= 4.11
# names it; before, a plain RuntimeError, told apart by _Raised below).
_NOT_IN_WORKER: type[RuntimeError] = getattr(anyio, "NoEventLoopError", RuntimeError)


class _Raised(Exception):
    """Carries an exception raised by the request itself past the "not in a worker thread" check."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def call(method: str, path: str, **kw: Any) -> httpx.Response:
    """From a worker thread: run the request on the server's event loop and wait for it. Only a
    caller outside any loop's worker threads (a CLI tool, a test) runs a loop of its own; an error
    of the request itself, a RuntimeError included, is raised as is and never sent a second time."""
    auth = kw.get("token")
    if auth is not None and not isinstance(auth, str):       # resolved here, in the caller's thread
        kw = {**kw, "token": None, "headers": {**auth.headers(), **(kw.get("headers") or {})}}

    async def guarded() -> httpx.Response:
        try:
            return await acall(method, path, **kw)
        except Exception as err:  # noqa: BLE001 - re-raised unchanged below
            raise _Raised(err) from err
    try:
        return anyio.from_thread.run(guarded)
    except _Raised as raised:
        raise raised.error from None
    except _NOT_IN_WORKER:
        pass
    return anyio.run(lambda: acall(method, path, **kw))

"""The in-process REST client services use to call each other, as real OpenStack services do.

Calls go through the whole pipeline (auth, policy, schemas, versions) of the called service,
without a socket. Sync callers (handlers and jobs run in worker threads) use `call()`, which
hops onto the server's event loop. `content` may be a sync iterator of bytes (read in worker
threads as the called service asks for it); `stream()` hands the response body over piece by
piece, so neither direction ever holds a whole image or volume in memory.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, Union
from urllib.parse import quote

import anyio.from_thread
import anyio.to_thread

if TYPE_CHECKING:
    import httpx


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


Body = bytes | Iterable[bytes] | AsyncIterator[bytes] | None
# set while the app serves a call of this client (the called app runs in the caller's context)
calling: contextvars.ContextVar[bool] = contextvars.ContextVar("pocketstack_internal_call", default=False)


async def acall(method: str, path: str, *, token: Auth | None = None, json: Any = None,
                headers: dict[str, str] | None = None, content: Body = None) -> httpx.Response:
    import httpx      # on the first call, not at start (with its CLI extras, a tenth of a second)
    transport = httpx.ASGITransport(app=_app)
    inside = calling.set(True)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=_base_url, timeout=300) as client:
            return await client.send(await _request(client, method, path, token, json, headers, content))
    finally:
        calling.reset(inside)


async def _request(client: httpx.AsyncClient, method: str, path: str, token: Auth | None, json: Any,
                   headers: dict[str, str] | None, content: Body) -> httpx.Request:
    hdrs: dict[str, str] = {}
    if isinstance(token, str) and token:
        hdrs["X-Auth-Token"] = token
    elif token is not None and not isinstance(token, str):    # may ask identity for tokens: off the loop
        hdrs.update(await anyio.to_thread.run_sync(token.headers))
    hdrs.update(headers or {})
    if content is not None and not isinstance(content, (bytes, AsyncIterator)):
        content = _pulled(iter(content))
    return client.build_request(method, _encode_path(path), json=json, headers=hdrs,
                                content=content)  # type: ignore[arg-type]


async def _pulled(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A blocking iterator (disk reads, compression) pulled off the event loop, piece by piece."""
    done = object()
    while (chunk := await anyio.to_thread.run_sync(next, chunks, done)) is not done:
        yield chunk  # type: ignore[misc]


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
    of the request itself, a RuntimeError included, is raised as is and never sent a second time.
    A call with the user's token from a service's handler also carries that service's token as
    X-Service-Token (core.service_auth.handler_service_token)."""
    if isinstance(kw.get("token"), str) and kw["token"]:      # a handler's call with the user's token
        from pocketstack.core import service_auth
        if service_token := service_auth.handler_service_token():
            kw["headers"] = {"X-Service-Token": service_token, **(kw.get("headers") or {})}

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


class Streamed:
    """A response whose body is read piece by piece from a worker thread (see stream())."""

    def __init__(self, response: httpx.Response, run: Callable[..., Any]) -> None:
        self.response, self._run = response, run
        self.status_code, self.headers = response.status_code, response.headers

    def iter_bytes(self) -> Iterator[bytes]:
        pieces = self.response.aiter_raw()
        while (piece := self._run(_next_piece, pieces)) is not None:
            yield piece

    def read(self) -> bytes:
        """The whole body: only for small bodies (error texts, listings, metadata documents)."""
        return b"".join(self.iter_bytes())

    @property
    def text(self) -> str:
        return self.read().decode("utf-8", "replace")


async def _next_piece(pieces: AsyncIterator[bytes]) -> bytes | None:
    return await anext(pieces, None)


@contextlib.contextmanager
def stream(method: str, path: str, *, token: Auth | None = None, json: Any = None,
           headers: dict[str, str] | None = None, content: Body = None) -> Iterator[Streamed]:
    """call() with the response body streamed: `with stream("GET", url) as r: for piece in
    r.iter_bytes(): ...`. From a worker thread each piece hops over from the server's loop; a
    caller outside any loop (a CLI tool, a test) gets a loop of its own in a helper thread."""
    import httpx

    from pocketstack.core.internal_stream import StreamingASGI
    with _loop_runner() as run:
        client = httpx.AsyncClient(transport=StreamingASGI(_app), base_url=_base_url, timeout=300)

        async def send() -> httpx.Response:
            calling.set(True)           # a task of its own (the runner's): its context only
            request = await _request(client, method, path, token, json, headers, content)
            return await client.send(request, stream=True)
        try:
            response = run(send)
            try:
                yield Streamed(response, run)
            finally:
                run(response.aclose)
        finally:
            run(client.aclose)


@contextlib.contextmanager
def _loop_runner() -> Iterator[Callable[..., Any]]:
    try:
        anyio.from_thread.run_sync(bool)
    except _NOT_IN_WORKER:
        with anyio.from_thread.start_blocking_portal() as portal:
            yield portal.call
        return
    yield anyio.from_thread.run

"""The transport of core.internal_client's stream(): the called application's body handed over
piece by piece (httpx is imported with it, on the first streamed call, not at start)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import httpx


class StreamingASGI(httpx.AsyncBaseTransport):
    """httpx's ASGITransport gathers the whole response body before it returns; this one hands each
    body message over as the application sends it, through a small queue (the application waits
    while the queue is full, so a slow reader slows the writer instead of filling memory)."""

    def __init__(self, app: Any, depth: int = 4) -> None:
        self.app, self.depth = app, depth

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(self.depth)
        loop = asyncio.get_running_loop()
        started: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] = loop.create_future()
        finished = asyncio.Event()
        chunks = request.stream.__aiter__()  # type: ignore[union-attr]
        sent_all = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_all
            if sent_all:
                await finished.wait()
                return {"type": "http.disconnect"}
            try:
                return {"type": "http.request", "body": await chunks.__anext__(), "more_body": True}
            except StopAsyncIteration:
                sent_all = True
                return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result((message["status"], list(message.get("headers", []))))
            elif message["type"] == "http.response.body" and not finished.is_set():
                if message.get("body") and request.method != "HEAD":
                    await body.put(message["body"])
                if not message.get("more_body", False):
                    await body.put(None)    # before the disconnect it lets receive() report
                    finished.set()

        async def run() -> None:
            try:
                await self.app(_scope(request), receive, send)
            except Exception as exc:  # noqa: BLE001 - handed to the reader
                if not started.done():
                    started.set_exception(exc)
                elif not finished.is_set():
                    await body.put(exc)
                    finished.set()
            if not started.done():
                started.set_exception(RuntimeError("the application sent no response"))
            elif not finished.is_set():     # an application that ends without its last message
                await body.put(None)
                finished.set()
        task = asyncio.create_task(run())
        status, headers = await started
        return httpx.Response(status, headers=headers, stream=_QueuedBody(body, task))


class _QueuedBody(httpx.AsyncByteStream):
    def __init__(self, queue: asyncio.Queue[bytes | BaseException | None], task: asyncio.Task[None]) -> None:
        self.queue, self.task = queue, task

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (item := await self.queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def aclose(self) -> None:
        if not self.task.done():        # a reader that stops early: the application stops too
            self.task.cancel()
            with contextlib.suppress(BaseException):
                await self.task


def _scope(request: httpx.Request) -> dict[str, Any]:
    raw_path = request.url.raw_path.split(b"?")[0]
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw], "scheme": request.url.scheme,
            "path": unquote(raw_path.decode("ascii")), "raw_path": raw_path,
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port), "client": ("127.0.0.1", 123), "root_path": ""}

"""A service's own port beside the main one, as DevStack runs Swift's proxy on 8080: the same
application, with the service's prefix put in front of every path, so `http://host:8080/v1/AUTH_x`
is `http://host:5000/object-store/v1/AUTH_x` (and `/info`, `/healthcheck`, `/crossdomain.xml` at
that port's root are the service's own).

`bind()` takes the port before the cloud starts, so a port in use is reported in one line and the
service stays reachable at its prefix only; `serve()` runs the listener in the main server's event
loop, started and stopped by the application's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Listener:
    service_type: str
    prefix: str                 # the service's path prefix on the main port, e.g. "/object-store"
    sock: socket.socket


def bind(host: str, port: int) -> tuple[socket.socket | None, str | None]:
    """A listening socket on host:port, or None and why not (one line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn binds: TIME_WAIT is no obstacle
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            return None, f"{host}:{port} is in use"
        return None, f"{host}:{port}: {err.strerror or err}"
    sock.setblocking(False)
    return sock, None


class PrefixedApp:
    """ASGI: every request to the listener is the application's request at prefix + path."""

    def __init__(self, app: Any, prefix: str) -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        scope = {**scope, "path": self.prefix + scope["path"], "raw_path": self.prefix.encode() + raw,
                 "pocketstack.listener": self.prefix}
        await self.app(scope, receive, send)


def _server(app: Any, listener: Listener, ssl: dict[str, str]) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """The main server owns the process's signals; this one stops when the lifespan says so."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:      # uvicorn releases before capture_signals
            pass

    config = uvicorn.Config(PrefixedApp(app, listener.prefix), lifespan="off", ws="none", log_level="warning",
                            log_config=None, access_log=False, timeout_graceful_shutdown=10, **ssl)
    return Server(config)


class Running:
    """The listeners started by `start`, stopped together by `stop`."""

    def __init__(self) -> None:
        self.servers: list[tuple[Any, asyncio.Task[None]]] = []

    def start(self, app: Any, listeners: list[Listener], ssl: dict[str, str]) -> None:
        """`ssl`: uvicorn's ssl_certfile/ssl_keyfile, the main port's, so every port speaks HTTPS."""
        for listener in listeners:
            server = _server(app, listener, ssl)
            self.servers.append((server, asyncio.create_task(server.serve(sockets=[listener.sock]))))

    async def stop(self) -> None:
        for server, _ in self.servers:
            server.should_exit = True
        for _, task in self.servers:
            with contextlib.suppress(Exception):
                await task
        self.servers.clear()

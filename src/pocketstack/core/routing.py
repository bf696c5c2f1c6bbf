"""Routes and services: a route row is complete (method, path, handler, policy, schemas, status)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, MethodNotAllowed, NotFound
from pocketstack.core.policy import InHandler, NoRule
from pocketstack.core.versions import APIVersion, Microversions

Handler = Callable[..., Any]
Target = Callable[[Context, "ApiRequest"], dict[str, Any]]


class ApiRequest:
    """What a handler sees of the HTTP request: path params, query, headers, parsed body."""

    def __init__(self, request: Request, params: dict[str, str], service_prefix: str) -> None:
        self.raw = request
        self.method = request.method
        self.params = params
        self.query = request.query_params
        self.headers = request.headers
        self.body: Any = None
        self.body_bytes: bytes | None = None   # read on the event loop, parsed after authentication
        self.service_prefix = service_prefix
        self.target_cache: dict[str, Any] | None = None

    @property
    def url(self) -> str:
        return str(self.raw.url)

    @property
    def path(self) -> str:
        return self.raw.url.path

    @property
    def client_prefix(self) -> str:
        """The service's prefix as the client wrote it: empty on the service's own port (core.listeners),
        where `http://host:8080/v1/...` is this app's `/object-store/v1/...`."""
        return "" if self.raw.scope.get("pocketstack.listener") else self.service_prefix

    @property
    def client_path(self) -> str:
        """The path as the client requested it, for Location and Content-Location headers."""
        path = self.path
        if self.raw.scope.get("pocketstack.listener") and path.startswith(self.service_prefix):
            return path[len(self.service_prefix):]
        return path

    def stream(self) -> Any:
        return self.raw.stream()

    def query_list(self, key: str) -> list[str]:
        return self.query.getlist(key)


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    policy: str | InHandler | NoRule | None    # None is refused by tests/contract/test_policy.py
    body: dict[str, Any] | None = None
    query: dict[str, Any] | None = None   # a schema, or {since version: schema} where it changed by version
    status: int | dict[APIVersion, int] = 200
    target: Target | None = None
    auth: bool | str = True              # True: token required; False: public; "optional"
    min_version: APIVersion | None = None
    max_version: APIVersion | None = None
    raw_body: bool = False               # the handler reads the stream itself

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """Compiled on the route's first match (some 1,500 routes: a fifth of a second at each start)."""
        pattern = re.sub(r"\{(\w+):path\}", r"(?P<\1>.+)", self.path)
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        return re.compile("^" + pattern + "/?$" if self.path != "/" else "^/?$")

    def status_for(self, version: APIVersion | None) -> int:
        if isinstance(self.status, int):
            return self.status
        chosen = 200
        for since, code in sorted(self.status.items()):
            if version is None or version >= since:
                chosen = code
        return chosen

    def query_for(self, version: APIVersion | None) -> dict[str, Any] | None:
        """The query schema at `version`: the route's own, or the newest of its versioned ones at or before it."""
        if self.query is None or "type" in self.query:
            return self.query
        chosen = None
        for since, schema in sorted(self.query.items()):
            if version is not None and version >= since:
                chosen = schema
        return chosen

    def accepts(self, version: APIVersion | None) -> bool:
        if version is None:
            return True
        if self.min_version is not None and version < self.min_version:
            return False
        return not (self.max_version is not None and version > self.max_version)


def route(method: str, path: str, handler: Handler, *, policy: str | InHandler | NoRule | None,
          **kw: Any) -> Route:
    return Route(method, path, handler, policy, **kw)


@dataclass
class Service:
    """Everything app.py needs to know about one catalog service."""

    type: str
    prefixes: list[str]
    routes: list[Route]
    render_error: Callable[[ApiError, ApiRequest | None], Response]
    policies: list[Any] = field(default_factory=list)
    microversions: Microversions | None = None
    bootstrap: Callable[..., None] | None = None     # first start: create default resources
    startup: Callable[..., None] | None = None       # every start: register job kinds, etc.
    catalog: list[tuple[str, str, str]] = field(default_factory=list)  # (type, name, url path)
    # the prefix a listener of the service's own serves at its port's root (core.listeners), e.g.
    # "/object-store" for Swift's proxy port; its catalog URLs then point there while it runs
    listener_prefix: str | None = None
    policy: Any = None                                # core.policy.Policy, built by app.py
    # oslo.middleware's sizelimit (max_request_body_size, 114688 bytes) on JSON bodies; None: no limit.
    # Streamed bodies (raw_body routes: image data, objects) are never held in memory and are not limited.
    max_body: int | None = 114688
    # response headers that repeat the request id besides x-openstack-request-id (Ironic's historical
    # openstack-request-id)
    request_id_headers: tuple[str, ...] = ()

    def match(self, method: str, path: str, version: APIVersion | None) -> tuple[Route, dict[str, str]]:
        allowed = False
        for r in self.routes:
            m = r.regex.match(path)
            if not m:
                continue
            allowed = True
            if "\x00" in path and not r.raw_body:   # no id holds a NUL (PostgreSQL cannot even compare
                # one); Swift answers its own 412 for names with one
                raise NotFound("The resource could not be found.")
            if (r.method == method or (method == "HEAD" and r.method == "GET")) and r.accepts(version):
                if method == "HEAD" and r.method == "GET" and any(
                        x.method == "HEAD" and x.regex.match(path) for x in self.routes):
                    continue
                return r, m.groupdict()
        if allowed:
            raise MethodNotAllowed("The method is not allowed for the requested URL.")
        raise NotFound("The resource could not be found.")


def parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Malformed request body", kind="malformed_json") from None

"""build_app(): the request pipeline and the mounted services, on one screen.

request id -> route to service by prefix -> authenticate -> negotiate version -> match route
-> body -> policy -> schema -> handler -> view -> errors rendered in the owning service's format
-> access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import threading
import time
from typing import Any

import anyio
from sqlalchemy import exc as sa_exc
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from pocketstack import bootstrap, dashboard, services
from pocketstack.config import Settings
from pocketstack.core import (
    blobs, db, faults, hosts, internal_client, jobs, metrics, notifications, schemas, service_auth, snapshots)
from pocketstack.core.listeners import Listener, Running
from pocketstack.core.auth import TokenValidator, authenticate, unauthorized
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, InternalError, PayloadTooLarge
from pocketstack.core.http import base_url, dumps, empty, json_response
from pocketstack.core.ids import global_request_id, new_request_id
from pocketstack.core.policy import Policy, operator_file
from pocketstack.core.routing import ApiRequest, Route, Service, parse_json

ACCESS = logging.getLogger("pocketstack.access")
LOG = logging.getLogger("pocketstack")


def prepare(settings: Settings, *, migrate: bool = True, first_start: bool = True, defer: bool = False) -> bool:
    """Open the database and blob store; apply migrations; bootstrap an empty cloud (then True).
    `defer`: bootstrap identity only; the app finishes the other services' (bootstrap.finish)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db.configure(settings.db_url)
    blobs.configure(settings.data_dir / "blobs", settings).sweep()
    if db.at_head(settings.db_url):
        pass                                            # nothing to migrate, nothing to check
    elif migrate and db.is_empty(settings.db_url):      # a first start: the schema from the models
        if first_start:
            bootstrap.start_hashing(settings)           # the admin password's hash meanwhile
        db.create_schema(settings.db_url, services.load_all)   # (their DDL as written in the package)
    elif migrate:
        db.upgrade(settings.db_url)                     # refuses a newer or unknown revision
    else:
        db.check_revision(settings.db_url)
    return first_start and bootstrap.run(settings, services.ENTRIES, defer=defer)



TOO_LARGE = "Request is too large."
# eventlet.wsgi's max_header_line (the server every upstream API ran under) per header line, and a
# total for all of them, so no request's headers hold more than 64 KiB of the server's memory
MAX_HEADER_LINE = 16384
MAX_HEADERS_TOTAL = 65536


def headers_too_large(scope: dict[str, Any]) -> bool:
    total = 0
    for name, value in scope.get("headers", ()):
        line = len(name) + len(value) + 4           # "name: value\r\n"
        total += line
        if line > MAX_HEADER_LINE or total > MAX_HEADERS_TOTAL:
            return True
    return False


async def read_limited(request: Request, limit: int | None) -> bytes:
    """The whole body, refused with 413 past `limit` bytes (oslo.middleware sizelimit: by Content-Length
    when given, else while reading a chunked body)."""
    if limit is None:
        return await request.body()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(TOO_LARGE)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)

# the services no request has used yet load in the background once the server has answered its first
# request and then had no request for WARM_UP_IDLE seconds, or WARM_UP_AFTER seconds after the start,
# whichever comes first: a client's first requests (a token, then the catalog's services) get the CPU.
# A first start completes the same way: the other services' bootstraps, every service, the snapshot.
WARM_UP_IDLE = 0.2
WARM_UP_AFTER = 5.0


class Mount:
    """A service as the app mounts it: its prefixes known from the start (services.Entry), its
    modules imported, its policy built and its startup hook run on its first use: a request under
    one of its prefixes, or the warm-up that follows the first request."""

    def __init__(self, entry: services.Entry | Service) -> None:
        self.entry = entry
        self.type, self.prefixes = entry.type, entry.prefixes
        self.service: Service | None = entry if isinstance(entry, Service) else None
        self.ready = False
        self.lock = threading.Lock()


class Pocketstack:
    def __init__(self, settings: Settings, mounted: list[services.Entry | Service], validate_token: TokenValidator,
                 listeners: list[Listener] | None = None) -> None:
        self.settings = settings
        self.listeners = listeners or []          # services' own ports (Swift's 8080), bound by the CLI
        self._running = Running()
        self.mounts = [Mount(m) for m in mounted]
        self.by_prefix = sorted(((p, m) for m in self.mounts for p in m.prefixes), key=lambda x: -len(x[0]))
        self.validate_token = validate_token
        self.policy_dir = settings.data_dir / "policy"
        self._first_answer = asyncio.Event()
        self._needed = asyncio.Event()         # a request waits for the start's completion: begin it now
        self._pending_bootstrap = False        # a first start left other services' bootstraps (bootstrap.finish)
        self._completing = False               # ... and the `bootstrap` snapshot, taken once all are loaded
        self._complete = asyncio.Event()       # cleared by the lifespan while a first start completes
        self._complete.set()
        self._in_flight, self._last_request = 0, 0.0
        self._warm_up: asyncio.Task[None] | None = None
        self._workers: asyncio.Task[None] | None = None
        self._dashboard: Any = None            # built on its first request (dashboard.build)
        self.first_start = False               # set by `serve` when prepare() bootstrapped the cloud

    # --- ASGI ----------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await self.lifespan(receive, send)
        if scope["type"] != "http":
            return
        if headers_too_large(scope):      # 431 before anything reads them, in plain text as eventlet's 400
            return await self.refuse_headers(scope, receive, send)
        if scope["path"] == dashboard.PREFIX or scope["path"].startswith(dashboard.PREFIX + "/"):
            await self.completed()                                   # (see early())
            return await self.serve_dashboard(scope, receive, send)  # the web UI, before any service
        request = Request(scope, receive)
        started, request_id = time.perf_counter(), new_request_id()
        request.state.request_id = request_id     # for error bodies that carry it (placement)
        self._in_flight += 1
        try:
            response = await self.respond(request, request_id)
            response.headers["x-openstack-request-id"] = request_id
            elapsed = time.perf_counter() - started
            await response(scope, receive, send)
        finally:
            self._in_flight -= 1
            self._last_request = time.monotonic()
            self._first_answer.set()
        metrics.observe(getattr(request.state, "service", "none"), getattr(request.state, "route", "unmatched"),
                        request.method, response.status_code, elapsed)
        log_request(scope, response.status_code, response.headers.get("content-length"),
                    time.perf_counter() - started, request_id)

    async def refuse_headers(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request_id = new_request_id()
        response = PlainTextResponse("Request Header Fields Too Large", status_code=431,
                                     headers={"x-openstack-request-id": request_id, "connection": "close"})
        await response(scope, receive, send)
        metrics.observe("none", "unmatched", scope["method"], 431, 0.0)
        log_request(scope, 431, response.headers.get("content-length"), 0.0, request_id)

    async def serve_dashboard(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started, status = time.perf_counter(), [500]

        async def send_and_count(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)
        if self._dashboard is None:
            self._dashboard = dashboard.build(self.settings.data_dir)
        await self._dashboard(scope, receive, send_and_count)
        route = getattr(scope.get("route"), "path", "unmatched")
        metrics.observe("dashboard", route, scope["method"], status[0], time.perf_counter() - started)
        log_request(scope, status[0], None, time.perf_counter() - started, "-")

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                internal_client.configure(self, self.settings.base_url)
                hosts.configure(self.settings)
                notifications.configure(self.settings.notifications_url,
                                        host=self.settings.option("notifications.host"),
                                        opt_out=self.settings.option("notifications.opt_out"))
                jobs.START_DELAY = float(self.settings.option("jobs.start_delay", 0) or 0)
                self._pending_bootstrap = bool(await anyio.to_thread.run_sync(bootstrap.pending))
                self.first_start = self.first_start or self._pending_bootstrap   # (one that stopped early)
                snapshot, workers = self.snapshot_due(), self.settings.workers > 1
                for mount in self.mounts:
                    if (snapshot and workers) or self.load_at_start(mount):
                        self.load(mount)
                if workers:       # several workers: each loads every service, the first one snapshots
                    await anyio.to_thread.run_sync(self.snapshot_first_start)
                # one process: identity answers now; the rest of a first start follows in warm_up()
                self._completing = not workers and snapshot
                if self._completing:
                    self._complete.clear()
                self._workers = asyncio.create_task(jobs.worker_loop())    # claims the kinds loaded services registered
                self._warm_up = asyncio.create_task(self.warm_up())
                hosts.start_heartbeat()
                self._running.start(self, self.listeners, self.settings.ssl_options())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._completing and not self._complete.is_set():
                    LOG.info("finishing the first start (bootstraps, startup hooks, snapshot) before stopping")
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self.completed(), timeout=120)
                await self._running.stop()
                hosts.stop_heartbeat()
                for task in (self._warm_up, self._workers):
                    if task:
                        task.cancel()
                await anyio.to_thread.run_sync(notifications.shutdown)   # what is queued goes out first
                await send({"type": "lifespan.shutdown.complete"})
                return

    def load_at_start(self, mount: Mount) -> bool:
        """Identity (every request's token) and pocketstack's own API load at start, and so does a
        service the operator gave a policy file (a broken one stops the start, as it always did)."""
        return mount.type in ("identity", services.CONTROL.type) or \
            operator_file(self.policy_dir, mount.type).exists()

    def load(self, mount: Mount) -> Service:
        """Import the service, build its policy, run its startup hook: once, in whichever thread
        asks first (the others wait for it)."""
        if mount.ready:
            assert mount.service is not None
            return mount.service
        if self._pending_bootstrap and mount.type not in ("identity", services.CONTROL.type):
            self.finish_bootstrap()           # a first start's other services: bootstrapped before any loads
        with mount.lock:
            if not mount.ready:
                service = mount.service or mount.entry.load()
                service.policy = Policy(service.type, service.policies, self.policy_dir)
                if service.startup:
                    service.startup(self.settings)
                mount.service, mount.ready = service, True
        assert mount.service is not None
        return mount.service

    def finish_bootstrap(self) -> None:
        bootstrap.finish(self.settings, services.ENTRIES)    # once; other threads wait for it
        self._pending_bootstrap = False

    async def loaded(self, mount: Mount) -> Service:
        if mount.ready:
            assert mount.service is not None
            return mount.service
        return await anyio.to_thread.run_sync(self.load, mount)

    async def warm_up(self) -> None:
        """Once the start's first requests are answered (WARM_UP_IDLE, WARM_UP_AFTER), or at once when a
        request waits for it: load every service no request has used yet, one at a time (their startup
        hooks run: recovery of interrupted work, periodic tasks; their job kinds become claimable), and
        prometheus_client. On a first start this completes it, whatever the config says: the other
        services' bootstraps (before any of them loads: load()), every service, then the snapshot."""
        if not self._completing and self.settings.option("startup.warm_up", True) is False:
            return            # the config's `startup: {warm_up: false}`: each service loads on its first request only
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WARM_UP_AFTER
        answered = asyncio.ensure_future(self._first_answer.wait())
        needed = asyncio.ensure_future(self._needed.wait())
        await asyncio.wait((answered, needed), timeout=WARM_UP_AFTER, return_when=asyncio.FIRST_COMPLETED)
        answered.cancel()
        needed.cancel()
        while not self._needed.is_set() and loop.time() < deadline and (
                self._in_flight or time.monotonic() - self._last_request < WARM_UP_IDLE):
            await asyncio.sleep(0.05)
        failed = False
        for mount in self.mounts:
            if not mount.ready:
                try:
                    await self.loaded(mount)
                except Exception:  # noqa: BLE001 - its first request will try again, and say why
                    LOG.exception("loading the %s service failed", mount.type)
                    failed = True
        await anyio.to_thread.run_sync(metrics.load)
        if self._completing:
            try:
                if failed:
                    LOG.error("no `bootstrap` snapshot on this start: a service failed to load")
                else:
                    await anyio.to_thread.run_sync(self.snapshot_first_start)
            finally:
                self._complete.set()

    def early(self, mount: Mount, request: Request) -> bool:
        """What a first start serves before it is complete: identity's tokens and reads (identity is
        bootstrapped and loaded before the server listens), and the calls the completion's own startup
        hooks make. Anything else waits for the completion, so the `bootstrap` snapshot a reset
        returns to holds no client's changes (but the last_active_at of a user issued a token)."""
        if internal_client.calling.get():
            return True
        if mount.type != "identity":
            return False
        return request.method in ("GET", "HEAD") or (
            request.method == "POST" and request.url.path.endswith("/v3/auth/tokens"))

    async def completed(self) -> None:
        """Wait for the first start's completion (the snapshot a reset returns to), starting it now."""
        if not self._complete.is_set():
            self._needed.set()
            await self._complete.wait()

    def snapshot_due(self) -> bool:
        """Whether this start takes the `bootstrap` snapshot (below): then every service loads first,
        as their startup hooks write rows the snapshot must hold."""
        if self.settings.workers > 1:
            return self.settings.allow_reset
        return self.first_start or (self.settings.allow_reset
                                    and not snapshots.exists(self.settings.data_dir, snapshots.BOOTSTRAP))

    def snapshot_first_start(self) -> None:
        """The `bootstrap` snapshot a reset returns to: the cloud once every service has started
        (startup hooks add the service users), taken on the first start, or on the first start
        with --allow-reset when there is none yet; with several workers, by the first of them
        to get there (the others find it taken)."""
        if self.settings.workers > 1:
            snapshots.watch_generations = True
            if not self.settings.allow_reset:
                return
            (self.settings.data_dir / "snapshots").mkdir(parents=True, exist_ok=True)
            with open(self.settings.data_dir / "snapshots" / ".bootstrap.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not snapshots.exists(self.settings.data_dir, snapshots.BOOTSTRAP):
                    snapshots.save(self.settings.data_dir, snapshots.BOOTSTRAP)
            return
        missing = not snapshots.exists(self.settings.data_dir, snapshots.BOOTSTRAP)
        if self.first_start or (self.settings.allow_reset and missing):
            snapshots.save(self.settings.data_dir, snapshots.BOOTSTRAP)

    # --- pipeline ------------------------------------------------------------
    def find_service(self, path: str) -> tuple[Mount | None, str]:
        for prefix, mount in self.by_prefix:
            if path == prefix or path.startswith(prefix + "/") or prefix == "":
                return mount, prefix
        return None, ""

    async def respond(self, request: Request, request_id: str) -> Response:
        path = request.url.path
        if path == "/healthcheck":
            return PlainTextResponse("OK")
        if path == "/metrics":
            body, content_type = await anyio.to_thread.run_sync(metrics.exposition)
            return Response(body, media_type=content_type)
        mount, prefix = self.find_service(path)
        if mount is None:
            return PlainTextResponse("Not Found", status_code=404)
        if not self._complete.is_set() and not self.early(mount, request):
            await self.completed()
        service = await self.loaded(mount)
        inbound = request.headers.get("x-openstack-request-id")
        request.state.service = service.type
        ctx = Context(request_id=request_id, base_url=base_url(request, self.settings.public_url),
                      service_type=service.type, global_request_id=global_request_id(inbound))
        if inbound and ctx.global_request_id is None:
            LOG.warning("%s: ignored an invalid global request id %r", request_id, inbound[:80])
        rq: ApiRequest | None = None
        try:
            route, rq = await self.route(request, service, prefix, ctx)
            response = await self.run(route, rq, service, ctx)
        except ApiError as err:
            response = service.render_error(err, rq)
            response.headers.update(err.headers)
        except ClientDisconnect:      # the client went away mid-body: nobody reads the answer
            LOG.info("%s: the client disconnected during %s %s", request_id, request.method, path)
            return Response(b"", status_code=499)
        except sa_exc.DataError:      # a value the database refuses (a NUL on PostgreSQL): the client's
            LOG.info("%s: the database refused a value of %s %s", request_id, request.method, path)
            response = service.render_error(BadRequest("Invalid input: a value the database cannot store."), rq)
        except Exception:  # noqa: BLE001 - one place turns a bug into the service's 500 body
            LOG.exception("unhandled error in %s %s", request.method, path)
            response = service.render_error(InternalError("An unexpected error prevented the server "
                                                          "from fulfilling your request."), rq)
        if service.microversions is not None:
            for k, v in service.microversions.response_headers(ctx.version).items():
                response.headers.setdefault(k, v)
        for name in service.request_id_headers:
            response.headers.setdefault(name, request_id)
        return response

    async def route(self, request: Request, service: Service, prefix: str,
                    ctx: Context) -> tuple[Route, ApiRequest]:
        """Version and route match on the event loop (no I/O); the JSON body is read here and
        parsed later, after authentication, so an anonymous caller gets 401, not 400."""
        version_error: ApiError | None = None
        if service.microversions is not None:
            try:
                ctx.version = service.microversions.negotiate(request.headers)
            except ApiError as err:
                version_error = err
        try:
            route, params = service.match(request.method, request.url.path[len(prefix):] or "/", ctx.version)
        except ApiError:
            if version_error is not None:       # an unusable version is refused before any path is looked up
                raise version_error from None
            raise
        request.state.route = route.path
        rq = ApiRequest(request, params, prefix)
        if version_error is not None and route.auth is not False:
            raise version_error
        if request.method in ("POST", "PUT", "PATCH") and not route.raw_body:
            rq.body_bytes = await read_limited(request, service.max_body)
        return route, rq

    def admit(self, route: Route, rq: ApiRequest, service: Service, ctx: Context) -> None:
        """The blocking steps before a handler, in one worker-thread hop: authenticate, parse the
        body, query schema, policy, body schema."""
        snapshots.check_generation()          # with several workers: another one may have reset the cloud
        try:
            authenticate(self.validate_token, ctx, rq.headers.get("x-auth-token"),
                         rq.headers.get("x-service-token"))
        except ApiError:
            if route.auth is True:
                raise
        if route.auth is True and not ctx.authenticated:
            raise unauthorized(ctx.base_url)
        if rq.body_bytes is not None:
            rq.body = parse_json(rq.body_bytes)
        query = route.query_for(ctx.version)
        if query is not None:
            schemas.validate(query, dict(rq.query))
        if isinstance(route.policy, str):     # in_handler / PUBLIC / ANY_USER: see core.policy
            target = route.target(ctx, rq) if route.target else {"project_id": ctx.project_id}
            service.policy.enforce(route.policy, target, ctx)
        if route.body is not None:
            schemas.validate(route.body, rq.body)
        faults.on_request(service.type, rq.method, rq.path, ctx)   # none unless an admin added one

    async def run(self, route: Route, rq: ApiRequest, service: Service, ctx: Context) -> Response:
        admit = functools.partial(self.admit, route, rq, service, ctx)
        if asyncio.iscoroutinefunction(route.handler):
            await anyio.to_thread.run_sync(admit)
            result = await route.handler(ctx, rq)
        else:
            result = await anyio.to_thread.run_sync(functools.partial(_sync, admit, route.handler, ctx, rq))
        status = route.status_for(ctx.version)
        if isinstance(result, Response):
            response = result
        elif result is None:
            response = empty(status)
        else:
            response = json_response(status, result)
        if rq.method == "HEAD":
            length = response.headers.get("content-length")
            response = Response(b"", status_code=response.status_code, headers=dict(response.headers))
            if length:
                response.headers["content-length"] = length
        return response


def log_request(scope: dict[str, Any], status: int, size: str | None, seconds: float, request_id: str) -> None:
    """The request log (`--log-requests`): method, path and query, status, seconds, bytes, request id."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    query = scope.get("query_string", b"").decode("latin-1")
    ACCESS.info("%s %s%s %d %.3fs %s %s", scope["method"], scope["path"], "?" + query if query else "", status,
                seconds, size + "B" if size else "-", request_id)


def _sync(admit: Any, handler: Any, ctx: Context, rq: ApiRequest) -> Any:
    admit()
    serving = service_auth.serving.set(ctx.service_type)     # its calls carry its service token
    try:
        return handler(ctx, rq)
    finally:
        service_auth.serving.reset(serving)


def build_app(settings: Settings, listeners: list[Listener] | None = None) -> Pocketstack:
    from pocketstack.services.identity import token_minter, token_validator
    service_auth.configure(token_minter)       # jobs acting for users get their tokens from identity
    return Pocketstack(settings, [*services.ENTRIES, services.CONTROL], token_validator, listeners)


def worker_app() -> Pocketstack:
    """Factory for `--workers N`: each worker process builds the app from the environment."""
    from pocketstack.cli import configure_logging
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_requests)
    prepare(settings, migrate=False, first_start=False)
    return build_app(settings)


__all__ = ["build_app", "prepare", "worker_app", "dumps"]

"""The /v1 URL table: account, container and object paths, each method sent to its handler.

Query parameters pick a middleware on the same path, as Swift's pipeline does: ?bulk-delete,
?extract-archive, ?multipart-manifest. Every route is public at this layer (auth=False): TempURL
and public-read ACLs need no token, so keystoneauth runs in acl.py instead.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import anyio
from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.object_store import (
    accounts, bulk, containers, cors, object_read, object_versioning, objects, ratelimit, request, staticweb,
    tempauth, version_listing)


async def _sync(handler: Any, ctx: Context, rq: ApiRequest) -> Response:
    result: Response = await anyio.to_thread.run_sync(handler, ctx, rq)
    return result


async def get_container(ctx: Context, rq: ApiRequest) -> Response:
    if "versions" in rq.query and rq.method == "GET":
        return await _sync(version_listing.list_versions, ctx, rq)
    if staticweb.applies(ctx, rq):
        resp: Response | None = await _sync(staticweb.container_get, ctx, rq)
        if resp is not None:
            return resp
    return await _sync(containers.show_container, ctx, rq)


async def get_object(ctx: Context, rq: ApiRequest) -> Response:
    if rq.query.get("version-id"):
        return await _sync(object_versioning.show_version, ctx, rq)
    if staticweb.applies(ctx, rq):
        resp: Response | None = await _sync(staticweb.object_get, ctx, rq)
        if resp is not None:
            return resp
    return await _sync(object_read.show_object, ctx, rq)


async def post_account(ctx: Context, rq: ApiRequest) -> Response:
    if "bulk-delete" in rq.query:
        return await bulk.bulk_delete(ctx, rq)
    return await _sync(accounts.update_account_metadata, ctx, rq)


async def put_account(ctx: Context, rq: ApiRequest) -> Response:
    if "extract-archive" in rq.query:
        return await bulk.extract_archive(ctx, rq, request.target(rq))
    return await _sync(accounts.account_not_allowed, ctx, rq)


async def delete_account(ctx: Context, rq: ApiRequest) -> Response:
    if "bulk-delete" in rq.query:
        return await bulk.bulk_delete(ctx, rq)
    return await _sync(accounts.account_not_allowed, ctx, rq)


async def put_container(ctx: Context, rq: ApiRequest) -> Response:
    if "extract-archive" in rq.query:
        return await bulk.extract_archive(ctx, rq, request.target(rq))
    return await _sync(containers.create_container, ctx, rq)


async def post_container(ctx: Context, rq: ApiRequest) -> Response:
    from pocketstack.services.object_store import formpost
    if formpost.is_formpost(rq):
        return await formpost.form_post(ctx, rq)
    return await _sync(containers.update_container_metadata, ctx, rq)


async def put_object(ctx: Context, rq: ApiRequest) -> Response:
    if not rq.query.get("version-id") or rq.headers.get("x-copy-from"):
        return await objects.create_object(ctx, rq)
    has_body = object_versioning.check_put_length(rq)
    if has_body is None:
        has_body = any([chunk async for chunk in rq.stream()])
    return await anyio.to_thread.run_sync(object_versioning.restore_version, ctx, rq, has_body)


async def delete_object(ctx: Context, rq: ApiRequest) -> Response:
    if rq.query.get("version-id"):
        return await _sync(object_versioning.delete_version, ctx, rq)
    return await _sync(objects.delete_object, ctx, rq)


async def post_object(ctx: Context, rq: ApiRequest) -> Response:
    from pocketstack.services.object_store import formpost
    if rq.query.get("version-id"):
        return await _sync(object_versioning.reject_post, ctx, rq)
    if formpost.is_formpost(rq):
        return await formpost.form_post(ctx, rq)
    return await _sync(objects.update_object_metadata, ctx, rq)


def _with_cors(handler: Any) -> Any:
    """Adds Access-Control-* headers to answers, errors included, for requests that carry an Origin
    (cors.py), as Swift's cors_validation wraps every controller method."""
    if asyncio.iscoroutinefunction(handler):
        @functools.wraps(handler)
        async def wrapped_async(ctx: Context, rq: ApiRequest) -> Response:
            if not rq.headers.get("origin"):
                return await handler(ctx, rq)
            try:
                resp: Response = await handler(ctx, rq)
            except ApiError as err:
                resp = cors.error_response(err, rq)
            return await anyio.to_thread.run_sync(cors.decorate, rq, resp)
        return wrapped_async

    @functools.wraps(handler)
    def wrapped(ctx: Context, rq: ApiRequest) -> Response:
        if not rq.headers.get("origin"):
            return handler(ctx, rq)
        try:
            resp = handler(ctx, rq)
        except ApiError as err:
            resp = cors.error_response(err, rq)
        return cors.decorate(rq, resp)
    return wrapped


def _pipeline(handler: Any) -> Any:
    """ratelimit, then tempauth (when on), then the handler: their places in Swift's proxy pipeline."""
    @functools.wraps(handler)
    async def wrapped(ctx: Context, rq: ApiRequest) -> Response:
        limited = await ratelimit.check(rq)
        if limited is not None:
            return limited
        tempauth.identify(ctx, rq)
        if asyncio.iscoroutinefunction(handler):
            resp: Response = await handler(ctx, rq)
            return resp
        return await _sync(handler, ctx, rq)
    return wrapped


def _r(method: str, path: str, handler: Any) -> Any:
    return route(method, path, _pipeline(_with_cors(handler)), policy=PUBLIC, auth=False, raw_body=True)


ACCOUNT, CONTAINER, OBJECT = "/v1/{account}", "/v1/{account}/{container}", "/v1/{account}/{container}/{obj:path}"
ROUTES = [
    _r("GET", ACCOUNT, accounts.show_account),
    _r("POST", ACCOUNT, post_account),
    _r("PUT", ACCOUNT, put_account),
    _r("DELETE", ACCOUNT, delete_account),
    _r("GET", CONTAINER, get_container),
    _r("PUT", CONTAINER, put_container),
    _r("POST", CONTAINER, post_container),
    _r("DELETE", CONTAINER, containers.remove_container),
    _r("GET", OBJECT, get_object),
    _r("PUT", OBJECT, put_object),
    _r("POST", OBJECT, post_object),
    _r("DELETE", OBJECT, delete_object),
    _r("COPY", OBJECT, objects.copy_object),
    *(route("OPTIONS", p, cors.preflight, policy=PUBLIC, auth=False, raw_body=True)
      for p in (ACCOUNT, CONTAINER, OBJECT)),
]

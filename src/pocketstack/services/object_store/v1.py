"""The /v1 URL table: account, container and object paths, each method sent to its handler.

Query parameters pick a middleware on the same path, as Swift's pipeline does: ?bulk-delete,
?extract-archive, ?multipart-manifest. Every route is public at this layer (auth=False): TempURL
and public-read ACLs need no token, so keystoneauth runs in acl.py instead.
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.object_store import accounts, bulk, containers, object_read, objects, request


async def _sync(handler: Any, ctx: Context, rq: ApiRequest) -> Response:
    result: Response = await anyio.to_thread.run_sync(handler, ctx, rq)
    return result


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


async def post_object(ctx: Context, rq: ApiRequest) -> Response:
    from pocketstack.services.object_store import formpost
    if formpost.is_formpost(rq):
        return await formpost.form_post(ctx, rq)
    return await _sync(objects.update_object_metadata, ctx, rq)


def _r(method: str, path: str, handler: Any) -> Any:
    return route(method, path, handler, policy=None, auth=False, raw_body=True)


ACCOUNT, CONTAINER, OBJECT = "/v1/{account}", "/v1/{account}/{container}", "/v1/{account}/{container}/{obj:path}"
ROUTES = [
    _r("GET", ACCOUNT, accounts.show_account),
    _r("POST", ACCOUNT, post_account),
    _r("PUT", ACCOUNT, put_account),
    _r("DELETE", ACCOUNT, delete_account),
    _r("GET", CONTAINER, containers.show_container),
    _r("PUT", CONTAINER, put_container),
    _r("POST", CONTAINER, post_container),
    _r("DELETE", CONTAINER, containers.remove_container),
    _r("GET", OBJECT, object_read.show_object),
    _r("PUT", OBJECT, objects.create_object),
    _r("POST", OBJECT, post_object),
    _r("DELETE", OBJECT, objects.delete_object),
    _r("COPY", OBJECT, objects.copy_object),
]

"""FormPost: browser uploads to a container with an HMAC-signed HTML form
(swift/common/middleware/formpost.py). Not implemented yet: never advertised in /info."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest


def is_formpost(rq: ApiRequest) -> bool:
    return False


async def form_post(ctx: Context, rq: ApiRequest) -> Response:
    raise NotImplementedError

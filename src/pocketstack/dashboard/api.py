"""The cloud's REST APIs as the dashboard calls them: in-process, with the user's own token.

Horizon talks to each service through its client library with the token of the logged-in user;
this is the same, through `core.internal_client`, so policy, validation and quotas are the API's
own and a refusal is the API's own message. The paths are the catalog's (see DESIGN.md).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from pocketstack.core import internal_client

PATHS = {
    "identity": "/identity/v3",
    "compute": "/compute/v2.1",
    "image": "/image/v2",
    "network": "/networking/v2.0",
    "volume": "/volume/v3/{project_id}",
    "object-store": "/object-store/v1/AUTH_{project_id}",
    "orchestration": "/heat-api/v1/{project_id}",
}
VERSION_HEADERS = {"compute": {"OpenStack-API-Version": "compute 2.79"},
                   "volume": {"OpenStack-API-Version": "volume 3.60"}}


class Refused(Exception):
    """The API said no: its status and its own message, shown to the user as they are."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_message(resp: httpx.Response) -> str:
    """The human part of any service's error body (nova, neutron, keystone, cinder, heat...)."""
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return text[:500] or f"HTTP {resp.status_code}"
    return find_message(body) or f"HTTP {resp.status_code}"


def find_message(body: Any) -> str | None:
    if isinstance(body, dict):
        for key in ("message", "faultstring", "explanation", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
        if isinstance(body.get("error_message"), str):
            try:
                return find_message(json.loads(body["error_message"])) or body["error_message"]
            except ValueError:
                return body["error_message"]
        for key in ("errors",):
            if isinstance(body.get(key), list) and body[key]:
                return find_message(body[key][0])
        for value in body.values():
            found = find_message(value)
            if found:
                return found
    return None


class Api:
    """One user's view of the cloud: `await api.get("compute", "/servers/detail")`."""

    def __init__(self, token: str, project_id: str) -> None:
        self.token = token
        self.project_id = project_id

    def url(self, service: str, path: str) -> str:
        return PATHS[service].format(project_id=self.project_id) + path

    async def request(self, method: str, service: str, path: str, *, json: Any = None,
                      content: bytes | AsyncIterator[bytes] | None = None,
                      headers: dict[str, str] | None = None, ok: tuple[int, ...] = ()) -> httpx.Response:
        hdrs = {**VERSION_HEADERS.get(service, {}), **(headers or {})}
        resp = await internal_client.acall(method, self.url(service, path), token=self.token, json=json,
                                           content=content, headers=hdrs)  # type: ignore[arg-type]
        if resp.status_code >= 400 and resp.status_code not in ok:
            raise Refused(resp.status_code, error_message(resp))
        return resp

    async def get(self, service: str, path: str, **kw: Any) -> Any:
        resp = await self.request("GET", service, path, **kw)
        return resp.json() if resp.content else {}

    async def post(self, service: str, path: str, body: Any = None, **kw: Any) -> Any:
        resp = await self.request("POST", service, path, json=body, **kw)
        try:
            return resp.json() if resp.content else {}
        except ValueError:
            return {}

    async def put(self, service: str, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.request("PUT", service, path, json=body, **kw)

    async def delete(self, service: str, path: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", service, path, **kw)

    async def try_get(self, service: str, path: str, default: Any = None) -> Any:
        """A read whose refusal leaves a blank on the page instead of an error (e.g. a quota)."""
        try:
            return await self.get(service, path)
        except Refused:
            return default


async def anonymous(method: str, path: str, body: Any) -> httpx.Response:
    return await internal_client.acall(method, path, json=body)

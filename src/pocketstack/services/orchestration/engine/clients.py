"""Heat's clients: the other services' REST APIs through core's internal client, with the stack
owner's delegated token (a trust-scoped token, as Heat's deferred auth with trusts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from pocketstack.core import internal_client

# where each catalog service lives in this cloud, and the microversion Heat's plugins ask for
BASES = {
    "compute": ("/compute/v2.1", {"OpenStack-API-Version": "compute 2.79",
                                  "X-OpenStack-Nova-API-Version": "2.79"}),
    "network": ("/networking/v2.0", {}),
    "volumev3": ("/volume/v3/{project_id}", {"OpenStack-API-Version": "volume 3.59"}),
    "image": ("/image/v2", {}),
    "object-store": ("/object-store/v1/AUTH_{project_id}", {}),
    "identity": ("/identity/v3", {}),
    "baremetal": ("/baremetal/v1", {"X-OpenStack-Ironic-API-Version": "1.58"}),
    "accelerator": ("/accelerator/v2", {"OpenStack-API-Version": "accelerator 2.0"}),
    "orchestration": ("/heat-api/v1/{project_id}", {}),
}

STATUS_NAMES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
                413: "OverLimit", 500: "InternalServerError", 503: "ServiceUnavailable"}


class ClientError(Exception):
    """A call another service refused. `type_name` is what Heat prints before the message
    (the client library's exception class name: BadRequest, NotFound, Conflict ...)."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        self.status, self.message, self.body = status, message, body
        self.type_name = STATUS_NAMES.get(status, "ClientException" if status < 500 else "InternalServerError")
        super().__init__(message)


def is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and exc.status == 404


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and exc.status == 409


def _message(body: Any, text: str) -> str:
    """The human message out of any service's error body."""
    if isinstance(body, dict):
        if "NeutronError" in body and isinstance(body["NeutronError"], dict):
            return str(body["NeutronError"].get("message", text))
        if "error" in body and isinstance(body["error"], dict):
            return str(body["error"].get("message", text))
        if "error_message" in body:
            return str(body["error_message"])
        for value in body.values():          # nova/cinder: {"badRequest": {"message": ...}}
            if isinstance(value, dict) and "message" in value:
                return str(value["message"])
        if "message" in body:
            return str(body["message"])
    return text.strip() or "Unknown error"


class ApiClient:
    """One service's REST API. Paths are relative to the service's versioned base."""

    def __init__(self, service: str, token_source: Callable[[], str], project_id: str) -> None:
        base, headers = BASES[service]
        self.service, self.base, self.headers = service, base.format(project_id=project_id), headers
        self.token_source = token_source

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, content: bytes | None = None,
                ok: tuple[int, ...] = ()) -> Any:
        url = self.base + path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(
                [(k, x) for k, v in params.items() if v is not None for x in (v if isinstance(v, list) else [v])])
        r = internal_client.call(method, url, token=self.token_source(), json=json, content=content,
                                 headers={**self.headers, **(headers or {})})
        if r.status_code >= 400 and r.status_code not in ok:
            try:
                body = r.json()
            except ValueError:
                body = None
            raise ClientError(r.status_code, _message(body, r.text), body)
        if not r.content:
            return None
        try:
            return r.json()
        except ValueError:
            return r.content

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        """DELETE that treats 404 as done (deletes must be idempotent for resumed operations)."""
        try:
            return self.request("DELETE", path, **kw)
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise

    def find(self, collection: str, name_or_id: str, key: str | None = None, *,
             name_filter: bool = True) -> dict[str, Any]:
        """A resource by id, else by unique name (Heat's client plugins' find_resourceid_by_name_or_id).
        Raises ClientError 404 'Unable to find <kind> with name or id '<x>'' or 409 when the name is ambiguous.
        `name_filter` False: the whole list is read and matched here (nova's flavors take no `name`
        filter before 2.102 and refuse unknown ones from 2.75, so novaclient's find lists them all)."""
        key = key or collection.rstrip("s").replace("-", "_")
        try:
            return self.get(f"/{collection}/{quote(str(name_or_id), safe='')}")[key]
        except ClientError as exc:
            if exc.status not in (400, 404):
                raise
        listed = self.get(f"/{collection}", params={"name": name_or_id} if name_filter else None) or {}
        items = next((v for v in listed.values() if isinstance(v, list)), []) if isinstance(listed, dict) else listed
        items = [i for i in items if i.get("name") == name_or_id]
        kind = key.replace("_", " ")
        if not items:
            raise ClientError(404, f"Unable to find {kind} with name or id '{name_or_id}'")
        if len(items) > 1:
            raise ClientError(409, f"Multiple {kind} matches found for name '{name_or_id}', use an ID to be "
                                   "more specific.")
        return items[0]


class Clients:
    """The clients one stack operation uses, all with the same delegated token."""

    def __init__(self, token_source: Callable[[], str], project_id: str) -> None:
        self.token_source, self.project_id = token_source, project_id
        self._cache: dict[str, ApiClient] = {}

    def __call__(self, service: str) -> ApiClient:
        if service not in self._cache:
            self._cache[service] = ApiClient(service, self.token_source, self.project_id)
        return self._cache[service]


def constraint(find: Callable[[Clients, Any], Any]) -> Callable[[Clients, Any], str | None]:
    """A custom constraint (nova.flavor, cinder.volume, ...) from a lookup: the lookup's refusal is
    the constraint's message, as Heat's BaseCustomConstraint reports its client's error."""
    def check(clients: Clients, value: Any) -> str | None:
        try:
            find(clients, value)
        except ClientError as exc:
            return exc.message
        return None
    return check

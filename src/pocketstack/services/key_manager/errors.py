"""Barbican's error body: {"code", "title", "description"} (barbican/api/hooks.py JSONErrorHook), the
description `<Operation> issue seen - <reason>.` for its own exceptions and `<Operation> attempt not allowed
- please review your user/project privileges` for a policy refusal (barbican/api/__init__.py);
keystonemiddleware answers 401 in keystone's format."""

from __future__ import annotations

from starlette.responses import Response

from pocketstack.core.errors import ApiError
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest

# the operation name each guarded controller method passes to handle_exceptions, by policy rule
OPERATIONS = {
    "secrets:get": "Secret(s) retrieval", "secrets:post": "Secret creation", "secret:get": "Secret retrieval",
    "secret:decrypt": "Secret payload retrieval", "secret:put": "Secret update", "secret:delete": "Secret deletion",
    "secret_meta:get": "Secret metadata retrieval", "secret_meta:put": "Secret metadata creation",
    "secret_meta:post": "Secret metadatum creation", "secret_meta:delete": "Secret metadatum removal",
    "containers:get": "Containers(s) retrieval", "containers:post": "Container creation",
    "container:get": "Container retrieval", "container:delete": "Container deletion",
    "container_secret:post": "Container Secret creation", "container_secret:delete": "Container Secret deletion",
    "container_consumers:get": "ContainerConsumers(s) retrieval",
    "container_consumers:post": "ContainerConsumer creation",
    "container_consumers:delete": "ContainerConsumer deletion",
    "secret_consumers:get": "SecretConsumers(s) retrieval", "secret_consumers:post": "SecretConsumer creation",
    "secret_consumers:delete": "SecretConsumer deletion",
    "orders:get": "Order(s) retrieval", "orders:post": "Order creation", "order:get": "Order retrieval",
    "order:delete": "Order deletion", "orders:put": "Order update",
    "secret_acls:get": "SecretACL(s) retrieval", "secret_acls:put_patch": "SecretACL(s) Update",
    "secret_acls:delete": "SecretACL(s) deletion", "container_acls:get": "ContainerACL(s) retrieval",
    "container_acls:put_patch": "ContainerACL(s) Update", "container_acls:delete": "ContainerACL(s) deletion",
    "quotas:get": "Quotas", "project_quotas:get": "Project Quotas", "project_quotas:put": "Project Quotas",
    "project_quotas:delete": "Project Quotas", "transport_keys:get": "Transport Key(s) retrieval",
    "transport_keys:post": "Transport Key Creation", "transport_key:get": "Transport Key retrieval",
    "transport_key:delete": "Transport Key deletion",
}


def render(err: ApiError, rq: ApiRequest | None = None) -> Response:
    if err.status == 401:
        return json_response(401, {"error": {"code": 401, "title": "Unauthorized", "message": err.message}})
    message = err.message
    if err.status == 403 and "rule" in err.extra:
        operation = OPERATIONS.get(err.extra["rule"], "System")
        message = f"{operation} attempt not allowed - please review your user/project privileges"
    elif err.kind == "malformed_json":
        message = "Malformed JSON"
    return json_response(err.status, {"code": err.status, "title": err.title, "description": message},
                         headers=err.headers or None)

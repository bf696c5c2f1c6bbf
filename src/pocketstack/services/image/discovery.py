"""Discovery: versions at /image/, /v2/schemas/*, /v2/info/* (api-ref: image, Versions; Schemas;
Image Service Info (Discovery))."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound
from pocketstack.core.http import json_response
from pocketstack.core.policy import ANY_USER, PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import images, metadef_schemas, quotas, stores

# glance/api/versions.py with enabled_backends set and no image cache
VERSIONS = [("2.15", "SUPPORTED"), ("2.13", "SUPPORTED"), ("2.12", "SUPPORTED"), ("2.11", "SUPPORTED"),
            ("2.10", "SUPPORTED"), ("2.9", "SUPPORTED"), ("2.8", "SUPPORTED"), ("2.17", "CURRENT"),
            *[(f"2.{n}", "SUPPORTED") for n in range(7, -1, -1)]]


# --- views ---------------------------------------------------------------------------
def versions_body(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    href = f"{ctx.base_url}{rq.service_prefix}/v2/"
    return {"versions": [{"id": f"v{v}", "status": s, "links": [{"rel": "self", "href": href}]}
                         for v, s in VERSIONS]}


def _collection(name: str, item: dict[str, Any], extra_links: list[dict[str, str]]) -> dict[str, Any]:
    return {"name": name, "properties": {name: {"type": "array", "items": item},
                                         "schema": {"type": "string"}, "first": {"type": "string"},
                                         "next": {"type": "string"}},
            "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                      {"rel": "describedby", "href": "{schema}"}, *extra_links]}


MEMBER_SCHEMA = {"name": "member", "properties": {
    "created_at": {"type": "string", "description": "Date and time of image member creation"},
    "image_id": {"type": "string", "description": "An identifier for the image", "pattern": images.UUID_PATTERN},
    "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
    "status": {"type": "string", "description": "The status of this image member",
               "enum": ["pending", "accepted", "rejected"]},
    "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
    "schema": {"readOnly": True, "type": "string"}}}
TASK_SCHEMA = {"name": "task", "properties": {
    "id": {"type": "string", "description": "An identifier for the task", "pattern": images.UUID_PATTERN},
    "type": {"type": "string", "description": "The type of task represented by this content",
             "enum": ["import", "api_image_import", "location_import"]},
    "status": {"type": "string", "description": "The current status of this task",
               "enum": ["pending", "processing", "success", "failure"]},
    "input": {"type": ["null", "object"], "description": "The parameters required by task, JSON blob"},
    "result": {"type": ["null", "object"], "description": "The result of current task, JSON blob"},
    "owner": {"type": "string", "description": "An identifier for the owner of this task"},
    "message": {"type": "string", "description": "Human-readable informative message only included when "
                "appropriate (usually on failure)"},
    "image_id": {"type": "string", "description": "Image associated with the task", "readOnly": True},
    "request_id": {"type": "string", "description": "Human-readable informative request-id", "readOnly": True},
    "user_id": {"type": "string", "description": "User associated with the task", "readOnly": True},
    "expires_at": {"type": ["null", "string"], "description": "Datetime when this resource would be subject "
                   "to removal"},
    "created_at": {"type": "string", "description": "Datetime when this resource was created"},
    "updated_at": {"type": "string", "description": "Datetime when this resource was updated"},
    "self": {"type": "string"}, "schema": {"type": "string"}}}
SCHEMAS = {
    "image": images.IMAGE_SCHEMA,
    "images": _collection("images", {"name": "image", "properties": images.BASE_PROPERTIES,
                                     "additionalProperties": {"type": "string"},
                                     "links": images.IMAGE_SCHEMA["links"]}, []),
    "member": MEMBER_SCHEMA,
    "members": {"name": "members", "properties": {"members": {"type": "array", "items": MEMBER_SCHEMA},
                                                  "schema": {"type": "string"}},
                "links": [{"rel": "describedby", "href": "{schema}"}]},
    "task": TASK_SCHEMA,
    "tasks": _collection("tasks", {"name": "task", "properties": {
        k: v for k, v in TASK_SCHEMA["properties"].items() if k not in ("input", "result", "message")}}, []),
}


# --- routes --------------------------------------------------------------------------
def list_versions(ctx: Context, rq: ApiRequest) -> Any:
    return json_response(300, versions_body(ctx, rq))


def show_versions(ctx: Context, rq: ApiRequest) -> Any:
    return versions_body(ctx, rq)


def show_schema(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    name = rq.params["name"]
    if name not in SCHEMAS:
        raise NotFound("The resource could not be found.")
    return SCHEMAS[name]


def show_metadef_schema(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    name = rq.params["name"]
    if name not in metadef_schemas.SCHEMAS:
        raise NotFound("The resource could not be found.")
    return metadef_schemas.SCHEMAS[name]


def import_info(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"import-methods": {"description": "Import methods available.", "type": "array",
                               "value": stores.IMPORT_METHODS}}


def stores_info(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"stores": [dict(s) for s in stores.STORES]}


def stores_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"stores": [{**{k: v for k, v in s.items() if k != "weight"}, "type": "file",
                        "weight": s.get("weight", 0),
                        "properties": {"data_dir": f"image/{s['id']}", "chunk_size": 65536,
                                       "thin_provisioning": False}} for s in stores.STORES]}


def usage_info(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"usage": quotas.report(ctx)}


ROUTES = [
    route("GET", "/", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/versions", show_versions, policy=PUBLIC, auth=False),
    route("GET", "/v2", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/v2/schemas/{name}", show_schema, policy=ANY_USER),
    route("GET", "/v2/schemas/metadefs/{name}", show_metadef_schema, policy=ANY_USER),
    route("GET", "/v2/info/import", import_info, policy=ANY_USER),
    route("GET", "/v2/info/stores", stores_info, policy=ANY_USER),
    route("GET", "/v2/info/stores/detail", stores_detail, policy="stores_info_detail"),
    route("GET", "/v2/info/usage", usage_info, policy=ANY_USER),
]


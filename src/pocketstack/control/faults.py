"""Injected faults: /pocketstack/v1/faults (list, add, show, remove one, remove all). The machinery
is core.faults; this module is its REST face."""

from __future__ import annotations

import re
from typing import Any

from pocketstack.control import policies as P
from pocketstack.core import faults
from pocketstack.core.clock import isotime
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route

# --- schemas ---------------------------------------------------------------------------------
_TEXT = {"type": "string", "minLength": 1, "maxLength": 1024}
CREATE_BODY = {
    "type": "object", "required": ["fault"], "additionalProperties": False,
    "properties": {"fault": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "service": {"type": "string", "minLength": 1, "maxLength": 64},
            "method": {"type": "string", "enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "COPY",
                                                  "get", "head", "post", "put", "patch", "delete", "copy"]},
            "path": _TEXT, "path_regex": _TEXT,
            "project": {"type": "string", "minLength": 1, "maxLength": 255},
            "job": {"type": "string", "minLength": 1, "maxLength": 128},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "message": {"type": "string", "maxLength": 4096},
            "delay": {"type": "number", "exclusiveMinimum": 0, "maximum": 600},
            "retry": {"type": "boolean"},
            "probability": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "count": {"type": "integer", "minimum": 1},
            "expires_in": {"type": "number", "exclusiveMinimum": 0},
        },
    }},
}
REQUEST_ONLY = ("service", "method", "path", "path_regex", "status", "delay")


# --- views -----------------------------------------------------------------------------------
def render_fault(row: dict[str, Any]) -> dict[str, Any]:
    body = {k: row[k] for k in ("id", "service", "method", "path", "path_regex", "project", "job", "status",
                                "message", "delay", "retry", "probability", "hits")}
    body["kind"] = "job" if row["job"] else "request"
    body["remaining"] = row["remaining"]
    body["expires_at"] = isotime(row["expires_at"]) if row["expires_at"] else None
    body["created_at"] = isotime(row["created_at"])
    return body


# --- logic -----------------------------------------------------------------------------------
def check(spec: dict[str, Any]) -> None:
    """What the schema cannot say: one kind of fault, with an effect, and a regex that compiles."""
    if spec.get("job"):
        mixed = [k for k in REQUEST_ONLY if k in spec]
        if mixed:
            raise BadRequest(f"a job fault (job) cannot also have {', '.join(mixed)}")
    else:
        if "retry" in spec:
            raise BadRequest("retry is for job faults (job)")
        if "status" not in spec and "delay" not in spec:
            raise BadRequest("a request fault needs a status, a delay, or both")
    if "path" in spec and "path_regex" in spec:
        raise BadRequest("give path (a glob) or path_regex, not both")
    if spec.get("path_regex"):
        try:
            re.compile(spec["path_regex"])
        except re.error as exc:
            raise BadRequest(f"path_regex is not a valid regular expression: {exc}") from None


# --- routes ----------------------------------------------------------------------------------
def list_faults(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    spent = rq.query.get("all", "").lower() in ("1", "true", "yes")
    return {"faults": [render_fault(r) for r in faults.listing(include_spent=spent)]}


def create_fault(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    check(rq.body["fault"])
    return {"fault": render_fault(faults.add(rq.body["fault"]))}


def show_fault(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    for row in faults.listing(include_spent=True):
        if row["id"] == rq.params["fault_id"]:
            return {"fault": render_fault(row)}
    raise NotFound(resource="fault", id=rq.params["fault_id"])


def delete_fault(ctx: Context, rq: ApiRequest) -> None:
    if faults.remove(rq.params["fault_id"]) == 0:
        raise NotFound(resource="fault", id=rq.params["fault_id"])


def delete_faults(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"removed": faults.remove()}


ROUTES = [
    route("GET", "/faults", list_faults, policy=P.LIST_FAULTS),
    route("POST", "/faults", create_fault, policy=P.CREATE_FAULT, body=CREATE_BODY, status=201),
    route("DELETE", "/faults", delete_faults, policy=P.DELETE_FAULT),
    route("GET", "/faults/{fault_id}", show_fault, policy=P.LIST_FAULTS),
    route("DELETE", "/faults/{fault_id}", delete_fault, policy=P.DELETE_FAULT, status=204),
]

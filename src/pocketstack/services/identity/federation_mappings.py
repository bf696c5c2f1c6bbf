"""OS-FEDERATION mappings: /v3/OS-FEDERATION/mappings (api-ref: identity v3-ext, OS-FEDERATION Mappings)."""

from __future__ import annotations

from typing import Any

import jsonschema
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.identity import links
from pocketstack.services.identity.tables import generic

MAPPING = "federation_mapping"
DEFAULT_SCHEMA_VERSION = "1.0"

# --- schemas -------------------------------------------------------------------
BODY = schemas.obj({"mapping": {"type": "object"}})  # the rules are checked per schema_version below

_string = {"type": "string"}
_DOMAIN = {"type": "object", "properties": {"id": _string, "name": _string}, "additionalProperties": False}
_ROLES = {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": _string},
                                     "additionalProperties": False}}


def _projects(with_domain: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"name": _string, "roles": _ROLES}
    if with_domain:
        props["domain"] = _DOMAIN
    return {"type": "array", "items": {"type": "object", "required": ["name", "roles"],
                                       "additionalProperties": False, "properties": props}}


def _remote_rule(key: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["type", key],
            "properties": {"type": _string, key: {"type": "array"}, "regex": {"type": "boolean"}}}


def _rules_schema(version: str) -> dict[str, Any]:
    """keystone's IDP_ATTRIBUTE_MAPPING_SCHEMA_<version>: 2.0 adds project domains, 3.0 projects_json."""
    local: dict[str, Any] = {
        "user": {"type": "object", "additionalProperties": False, "properties": {
            "id": _string, "name": _string, "email": _string, "domain": _DOMAIN,
            "type": {"type": "string", "enum": ["ephemeral", "local"]}}},
        "projects": _projects(with_domain=version != "1.0"),
        "group": {"type": "object", "oneOf": [
            {"type": "object", "properties": {"id": _string}, "additionalProperties": False, "required": ["id"]},
            {"type": "object", "properties": {"name": _string, "domain": _DOMAIN}, "additionalProperties": False,
             "required": ["name", "domain"]}]},
        "groups": _string, "group_ids": _string, "domain": _DOMAIN}
    if version == "3.0":
        local["projects_json"] = _string
    remote = {"type": "object", "oneOf": [
        {"type": "object", "required": ["type"], "properties": {"type": _string}, "additionalProperties": False},
        *(_remote_rule(k) for k in ("any_one_of", "not_any_of", "blacklist", "whitelist"))]}
    rule = {"type": "object", "required": ["local", "remote"], "additionalProperties": False, "properties": {
        "local": {"type": "array", "items": {"type": "object", "additionalProperties": False, "properties": local}},
        "remote": {"minItems": 1, "type": "array", "items": remote}}}
    return {"type": "object", "required": ["rules"], "properties": {
        "rules": {"minItems": 1, "type": "array", "items": rule}, "schema_version": _string}}


RULE_SCHEMAS = {v: jsonschema.Draft4Validator(_rules_schema(v)) for v in ("1.0", "2.0", "3.0")}


# --- views -----------------------------------------------------------------------
def render_mapping(ctx: Context, mapping_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"id": mapping_id, "rules": body["rules"], "schema_version": body["schema_version"],
            "links": links.entity(ctx, f"OS-FEDERATION/mappings/{mapping_id}")}


# --- logic ------------------------------------------------------------------------
def validate_mapping(spec: dict[str, Any]) -> dict[str, Any]:
    spec = {**spec, "schema_version": spec.get("schema_version") or DEFAULT_SCHEMA_VERSION}
    validator = RULE_SCHEMAS.get(spec["schema_version"])
    if validator is None:
        raise BadRequest(f"Invalid schema_version: {spec['schema_version']}. Supported versions are "
                         f"{', '.join(RULE_SCHEMAS)}.")
    messages = "".join(e.message + "\n" for e in sorted(validator.iter_errors(spec), key=str))
    if messages:
        raise BadRequest(messages)
    return {"rules": spec["rules"], "schema_version": spec["schema_version"]}


def get_mapping(conn: Connection, mapping_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(generic.c.body).where(generic.c.kind == MAPPING, generic.c.id == mapping_id)).first()
    if row is None:
        raise NotFound(f"Could not find mapping: {mapping_id}.")
    return dict(row.body)


# --- routes ----------------------------------------------------------------------------
def list_mappings(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = conn.execute(sa.select(generic.c.id, generic.c.body).where(generic.c.kind == MAPPING)
                            .order_by(generic.c.id)).all()
    return {"mappings": [render_mapping(ctx, r.id, r.body) for r in rows],
            "links": links.collection(ctx, "OS-FEDERATION/mappings")}


def show_mapping(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"mapping": render_mapping(ctx, rq.params["mapping_id"], get_mapping(conn, rq.params["mapping_id"]))}


def create_mapping(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    mapping_id, body = rq.params["mapping_id"], validate_mapping(rq.body.get("mapping") or {})
    with db.session() as conn:
        if conn.execute(sa.select(generic.c.id).where(generic.c.kind == MAPPING, generic.c.id == mapping_id)).first():
            raise Conflict(f"Conflict occurred attempting to store mapping - Duplicate entry: {mapping_id}.")
        conn.execute(generic.insert().values(kind=MAPPING, id=mapping_id, body=body, created_at=utcnow()))
    return {"mapping": render_mapping(ctx, mapping_id, body)}


def update_mapping(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    mapping_id, body = rq.params["mapping_id"], validate_mapping(rq.body.get("mapping") or {})
    with db.session() as conn:
        get_mapping(conn, mapping_id)
        conn.execute(generic.update().where(generic.c.kind == MAPPING, generic.c.id == mapping_id)
                     .values(body=body, updated_at=utcnow()))
    return {"mapping": render_mapping(ctx, mapping_id, body)}


def delete_mapping(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        get_mapping(conn, rq.params["mapping_id"])
        conn.execute(generic.delete().where(generic.c.kind == MAPPING, generic.c.id == rq.params["mapping_id"]))


M = "/v3/OS-FEDERATION/mappings"
ROUTES = [
    route("GET", M, list_mappings, policy="identity:list_mappings"),
    route("GET", M + "/{mapping_id}", show_mapping, policy="identity:get_mapping"),
    route("PUT", M + "/{mapping_id}", create_mapping, policy="identity:create_mapping", body=BODY, status=201),
    route("PATCH", M + "/{mapping_id}", update_mapping, policy="identity:update_mapping", body=BODY),
    route("DELETE", M + "/{mapping_id}", delete_mapping, policy="identity:delete_mapping", status=204),
]

"""Inspection rules: /v1/inspection_rules (api-ref: baremetal, Inspection Rules;
ironic/api/controllers/v1/inspection_rule.py). New in 1.96: conditions and actions that the
agent-based inspection runs against what it found. The rules are kept and validated as ironic does;
a fake-hardware node's inspection finds nothing for them to act on."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db, schemas
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.listing import Listing
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.baremetal import common
from pocketstack.services.baremetal import versions as v
from pocketstack.services.baremetal.tables import inspection_rules

# ironic/common/inspection_rules/actions.py ACTIONS and operators.py OPERATORS
ACTIONS = ("fail", "log", "set-attribute", "extend-attribute", "del-attribute", "set-capability",
           "unset-capability", "add-trait", "remove-trait", "set-plugin-data", "extend-plugin-data",
           "unset-plugin-data", "set-port-attribute", "extend-port-attribute", "del-port-attribute", "api-call")
OPERATORS = ("eq", "lt", "gt", "is-empty", "in-net", "matches", "contains", "one-of", "is-none", "is-true",
             "is-false")
PHASES = ("main",)
_ARGS = {"type": ["array", "object"]}
SCHEMA = schemas.obj({
    "actions": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["op", "args"], "additionalProperties": True,
        "properties": {"op": {"enum": list(ACTIONS)}, "args": _ARGS, "loop": _ARGS}}},
    "conditions": {"type": "array", "minItems": 0, "items": {
        "type": "object", "required": ["op", "args"], "additionalProperties": True,
        "properties": {"op": {"enum": [*OPERATORS, *(f"!{o}" for o in OPERATORS)]}, "args": _ARGS,
                       "multiple": {"enum": ["any", "all", "first", "last"]}, "loop": _ARGS}}},
    "description": {"type": ["string", "null"], "maxLength": 255},
    "phase": {"type": ["string", "null"], "maxLength": 16},
    "priority": {"type": "integer", "minimum": 0},
    "sensitive": {"type": ["boolean", "null"]},
    "uuid": {"type": ["string", "null"]}}, ["actions"], additional=False)
FIELDS = ("uuid", "created_at", "updated_at", "description", "priority", "sensitive", "phase", "conditions",
          "actions")
PATCH_ALLOWED = ["description", "priority", "sensitive", "phase", "conditions", "actions"]
RULES = Listing(inspection_rules, sort_keys={"uuid", "created_at", "updated_at", "priority", "phase",
                                             "description", "sensitive"},
                default_sort=[("created_at", "asc")], id_key="uuid")
T = common.system_target


# --- views -------------------------------------------------------------------
def _steps(items: list[dict[str, Any]], conditions: bool) -> list[dict[str, Any]]:
    """convert_actions / convert_conditions: op and args, and loop (with multiple) only when looping."""
    out = []
    for item in items or []:
        one = {"op": item["op"], "args": item["args"]}
        if item.get("loop"):
            one["loop"] = item["loop"]
            if conditions:
                one["multiple"] = item.get("multiple", "any")
        out.append(one)
    return out


def render(ctx: Context, rq: ApiRequest, row: Any, fields: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for f in FIELDS:
        if fields is None or f in fields:
            body[f] = common.iso(row[f]) if f.endswith("_at") else row[f]
    if "actions" in body:
        body["actions"] = _steps(row["actions"], False)
    if "conditions" in body:
        body["conditions"] = _steps(row["conditions"], True)
    if row["sensitive"]:                         # rules_sanitize
        for key in ("conditions", "actions"):
            if key in body:
                body[key] = None
    # quirk: ironic builds a rule's links with the resource name 'inspection'
    body["links"] = common.links(common.public_url(ctx, rq), "inspection", row["uuid"])
    return body


# --- logic -------------------------------------------------------------------
def _gate(ctx: Context, rq: ApiRequest) -> None:
    """validation.api_version: reads are 404 below 1.96, writes 405."""
    common.gate(ctx, rq, v.INSPECTION_RULES, "The API version does not allow inspection rules")


def _validate(body: Any) -> dict[str, Any]:
    """ironic.common.inspection_rules.validation.validate_rule, less the per-plugin argument checks."""
    try:
        schemas.validate(SCHEMA, body)
    except ValidationFailed as exc:
        raise BadRequest(f"Validation failed for inspection rule: {exc.detail}") from None
    errors = []
    phase = body.get("phase") or "main"
    if phase not in PHASES:
        errors.append(f"Invalid phase: {phase}. Valid phases are: {', '.join(PHASES)}")
    if body.get("priority", 0) > 9999:
        errors.append("Priority must be between 0 and 9999 for user-defined rules.")
    if errors:
        raise BadRequest(errors[0] if len(errors) == 1 else
                         f"Multiple validation errors occurred: {'; '.join(errors)}")
    if body.get("uuid") is not None and not common.is_uuid(body["uuid"]):
        raise BadRequest(f"Expected a UUID for uuid: {body['uuid']}")
    return {**body, "phase": phase}


def _find(conn: Any, ident: str) -> Any:
    if not common.is_uuid(ident):
        raise BadRequest(f"Invalid input for field/attribute inspection_rule_uuid. Value: '{ident}'. "
                         f"'{ident}' is not a 'uuid'")
    row = conn.execute(sa.select(inspection_rules).where(inspection_rules.c.uuid == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Rule {ident} could not be found.")
    return row


def _values(body: dict[str, Any]) -> dict[str, Any]:
    return {"description": body.get("description"), "priority": body.get("priority", 0), "phase": body["phase"],
            "sensitive": bool(body.get("sensitive")), "conditions": body.get("conditions") or [],
            "actions": body["actions"]}


# --- routes ------------------------------------------------------------------
def list_rules(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _gate(ctx, rq)
    q = common.parse_list(ctx, rq, RULES, invalid_sort={"actions", "conditions"})
    fields = common.list_fields(rq, q, FIELDS, ("uuid", "priority", "phase", "description"))
    stmt = sa.select(inspection_rules)
    if rq.query.get("phase"):
        stmt = stmt.where(inspection_rules.c.phase == rq.query["phase"])
    with db.reader() as conn:
        rows, more = common.page(conn, RULES, stmt, q, lambda m: NotFound(f"Rule {m} could not be found."))
    return common.collection(ctx, rq, "inspection_rules", [render(ctx, rq, r, fields) for r in rows], more, q,
                             path="inspection_rules")


def show_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _gate(ctx, rq)
    raw = rq.query.get("fields")
    fields = [f for f in raw.split(",") if f] if raw else None
    if fields and [f for f in fields if f not in FIELDS]:
        raise BadRequest(f'Field(s) "{", ".join(f for f in fields if f not in FIELDS)}" are not valid')
    with db.reader() as conn:
        return render(ctx, rq, _find(conn, rq.params["rule_uuid"]), fields)


def create_rule(ctx: Context, rq: ApiRequest) -> Response:
    _gate(ctx, rq)
    body = _validate(rq.body)
    uid = body.get("uuid") or new_uuid()
    with db.session() as conn:
        if conn.execute(sa.select(inspection_rules.c.uuid).where(inspection_rules.c.uuid == uid)).scalar():
            raise Conflict(f"A rule with UUID {uid} already exists.")
        conn.execute(inspection_rules.insert().values(uuid=uid, created_at=utcnow(), **_values(body)))
        row = _find(conn, uid)
    out = render(ctx, rq, row, None)
    headers = {"Location": common.build_url(common.public_url(ctx, rq), "inspection_rules", uid)}
    return json_response(201, out, headers=headers)


def update_rule(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    _gate(ctx, rq)
    patch = common.check_patch(rq.body)
    with db.session() as conn:
        row = _find(conn, rq.params["rule_uuid"])
        common.allowed_paths(patch, PATCH_ALLOWED)
        unset = [p for p in patch if p["path"] == "/sensitive" and p["op"] != "remove" and not p.get("value")]
        if unset and row["sensitive"]:
            raise BadRequest(f"Couldn't apply patch '{patch}'. Reason: Inspection rules cannot have the sensitive "
                             "flag unset.")
        new = common.apply_patch({k: row[k] for k in PATCH_ALLOWED}, patch)
        new = _validate({k: val for k, val in new.items() if val is not None})
        conn.execute(inspection_rules.update().where(inspection_rules.c.uuid == row["uuid"]).values(
            updated_at=utcnow(), **_values(new)))
        row = _find(conn, row["uuid"])
    return render(ctx, rq, row, None)


def delete_rule(ctx: Context, rq: ApiRequest) -> None:
    _gate(ctx, rq)
    with db.session() as conn:
        row = _find(conn, rq.params["rule_uuid"])
        conn.execute(inspection_rules.delete().where(inspection_rules.c.uuid == row["uuid"]))


IR = "/v1/inspection_rules/{rule_uuid}"
ROUTES = [
    route("GET", "/v1/inspection_rules", list_rules, policy="baremetal:inspection_rule:get", target=T),
    route("POST", "/v1/inspection_rules", create_rule, policy="baremetal:inspection_rule:create", target=T,
          status=201),
    route("GET", IR, show_rule, policy="baremetal:inspection_rule:get", target=T),
    route("PATCH", IR, update_rule, policy="baremetal:inspection_rule:update", target=T),
    route("DELETE", IR, delete_rule, policy="baremetal:inspection_rule:delete", target=T, status=204),
]

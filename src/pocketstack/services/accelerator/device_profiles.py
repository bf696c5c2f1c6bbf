"""Device profiles: /v2/device_profiles (api-ref: accelerator, Device Profiles;
cyborg/api/controllers/v2/device_profiles.py)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import UTC, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import ApiError, BadRequest, Conflict, InternalError, NotAcceptable, NotFound
from pocketstack.core.http import json_response
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.accelerator import common
from pocketstack.services.accelerator import versions as v
from pocketstack.services.accelerator.tables import arqs, device_profiles

NAME_RE = re.compile(r"^[a-zA-Z0-9-_]+$")
GROUP_KEYS = "^(resources:|trait:|accel:)"
SUPPORT_RESOURCES = ("FPGA", "GPU", "VGPU", "PGPU", "QAT", "NIC", "SSD")


# --- views -------------------------------------------------------------------
def render(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    return {"uuid": row["uuid"], "name": row["name"], "description": row["description"], "groups": row["groups"],
            "created_at": common.iso(row["created_at"]), "updated_at": common.iso(row["updated_at"]),
            "links": common.links(ctx, rq, "device_profiles", row["uuid"])}


def render_one(ctx: Context, rq: ApiRequest, row: Any) -> dict[str, Any]:
    """get_one's own view: timestamps through str(), so a missing one reads "None"."""
    def text(value: Any) -> str:
        return str(value.replace(tzinfo=UTC)) if value is not None else "None"   # quirk: upstream str()
    return {"name": row["name"], "description": row["description"], "uuid": row["uuid"], "groups": row["groups"],
            "created_at": text(row["created_at"]), "updated_at": text(row["updated_at"]),
            "links": common.links(ctx, rq, "device_profiles", row["uuid"])}


# --- logic -------------------------------------------------------------------
def server_error(message: str) -> ApiError:
    """quirk: CyborgException's default code is 500, and several validations raise it."""
    return InternalError(message)


def _check_group(group: Any) -> dict[str, str]:
    if not isinstance(group, dict):
        raise BadRequest("Device profile groups must be a list of objects")
    out: dict[str, str] = {}
    for key, value in group.items():
        if not re.match(GROUP_KEYS, key):
            raise BadRequest(f"Device profile group keys must be of the form {GROUP_KEYS}")
        if key.startswith("trait:"):
            trait = ":".join(key.split(":")[1:]).strip(" ")
            if not trait.startswith("CUSTOM_"):
                raise BadRequest(f"Unsupported trait name format {trait}, should start with CUSTOM_")
            if value not in ("required", "forbidden"):
                raise BadRequest(f"Unsupported trait value {value}, the value must be one among "
                                 "['required', 'forbidden']")
            key = "trait:" + trait
        elif key.startswith("resources:"):
            rc = ":".join(key.split(":")[1:]).strip(" ")
            if rc not in SUPPORT_RESOURCES and not rc.startswith("CUSTOM_"):
                raise BadRequest(f"Unsupported resource class {rc}")
            try:
                int(value)
            except (TypeError, ValueError):
                raise BadRequest(f"Resources number {value} is invalid") from None
            key = "resources:" + rc
        out[key] = value
    return out


def _validate(req: Any) -> dict[str, Any]:
    if not isinstance(req, dict):
        raise BadRequest("Invalid input: a device profile is an object")
    name = req.get("name")
    if not name:
        raise server_error("DeviceProfile name needed.")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BadRequest(f"Device profile name must be of the form {NAME_RE.pattern}")
    if len(name) > 255:
        raise server_error("An unknown exception occurred.")          # the column is 255 wide
    if not req.get("groups"):
        raise server_error("DeviceProfile needs groups field.")
    if not isinstance(req["groups"], list):
        raise BadRequest("Device profile groups must be a list")
    return {"name": name, "groups": [_check_group(g) for g in req["groups"]],
            "description": req.get("description"), "uuid": req.get("uuid")}


def find(conn: Any, ctx: Context, ident: str, *, by_name: bool = False) -> Any:
    if common.is_uuid(ident) and not by_name:
        row = conn.execute(sa.select(device_profiles).where(device_profiles.c.uuid == ident)).mappings().first()
    else:
        row = conn.execute(sa.select(device_profiles).where(device_profiles.c.name == ident)).mappings().first()
    if row is None:
        raise NotFound(f"Device profile not found with {ident}" if not by_name else
                       f"Device Profile not found with name={ident}")
    return row


def _delete(conn: Any, row: Any) -> None:
    if conn.execute(sa.select(arqs.c.id).where(arqs.c.device_profile_id == row["id"])).first():
        raise Conflict(f"Device profile {row['name']} is in use by accelerator requests.")
    conn.execute(device_profiles.delete().where(device_profiles.c.id == row["id"]))


# --- routes ------------------------------------------------------------------
def create_device_profile(ctx: Context, rq: ApiRequest) -> Response:
    body = rq.body
    if not isinstance(body, list) or len(body) != 1:
        raise BadRequest("Only one device profile allowed per POST request for now.")
    values = _validate(body[0])
    with db.session() as conn:
        if conn.execute(sa.select(device_profiles.c.id).where(device_profiles.c.name == values["name"])).scalar():
            raise Conflict(f"A device_profile with name {values['name']} already exists.")
        uid = values.pop("uuid") or new_uuid()
        if conn.execute(sa.select(device_profiles.c.id).where(device_profiles.c.uuid == uid)).scalar():
            raise server_error(f"A device_profile with uuid {uid} already exists.")
        conn.execute(device_profiles.insert().values(uuid=uid, created_at=utcnow(), **values))
        row = find(conn, ctx, uid)
    return json_response(201, render(ctx, rq, row))


def list_device_profiles(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    stmt = sa.select(device_profiles).order_by(device_profiles.c.id)
    if rq.query.get("name"):
        stmt = stmt.where(device_profiles.c.name.in_(rq.query["name"].split(",")))
    with db.reader() as conn:
        rows = conn.execute(stmt).mappings().all()
    return {"device_profiles": [render(ctx, rq, r) for r in rows]}


def show_device_profile(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    ident = rq.params["ident"]
    if not common.is_uuid(ident) and ctx.version < v.DP_BY_NAME:
        raise NotAcceptable(f"Request not acceptable. The minimal required API version should be {v.DP_BY_NAME}")
    with db.reader() as conn:
        return {"device_profile": render_one(ctx, rq, find(conn, ctx, ident))}


def delete_device_profile(ctx: Context, rq: ApiRequest) -> None:
    value = rq.params.get("ident") or rq.query.get("value")
    if not value:
        raise BadRequest("Missing argument: \"value\"")
    with db.session() as conn:
        if common.is_uuid(value):
            _delete(conn, find(conn, ctx, value))
            return
        for name in value.split(","):
            _delete(conn, find(conn, ctx, name, by_name=True))


T = common.target
DP = "/v2/device_profiles"
ROUTES = [
    route("GET", DP, list_device_profiles, policy="cyborg:device_profile:get_all", target=T),
    route("POST", DP, create_device_profile, policy="cyborg:device_profile:create", target=T, status=201),
    route("DELETE", DP, delete_device_profile, policy="cyborg:device_profile:delete", target=T, status=204),
    route("GET", DP + "/{ident}", show_device_profile, policy="cyborg:device_profile:get_one", target=T),
    route("DELETE", DP + "/{ident}", delete_device_profile, policy="cyborg:device_profile:delete", target=T,
          status=204),
]

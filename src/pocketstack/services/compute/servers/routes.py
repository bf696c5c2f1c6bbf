"""Servers: /servers, /servers/detail, /servers/{id} (api-ref: compute, Servers (servers))."""

from __future__ import annotations

import secrets
from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import common
from pocketstack.services.compute.servers import listing, logic, schemas, views

P = "os_compute_api:servers:"
SV = "/v2.1/servers"
ONE = SV + "/{server_id}"


def list_servers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return listing.list_servers(ctx, rq, detail=False)


def list_servers_detail(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return listing.list_servers(ctx, rq, detail=True)


def show_server(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"server": views.show_body(ctx, rq, rq.params["server_id"])}


def create_server(ctx: Context, rq: ApiRequest) -> Any:
    body = rq.body["server"]
    hints = rq.body.get("os:scheduler_hints") or rq.body.get("OS-SCH-HNT:scheduler_hints") or {}
    rows, reservation = logic.create_servers(ctx, body, hints)
    if common.to_bool(body.get("return_reservation_id", False), "return_reservation_id"):
        return json_response(202, {"reservation_id": reservation})
    row = rows[0]
    server = {"id": row["id"], "links": common.links(ctx, rq, "servers", row["id"]),
              "OS-DCF:diskConfig": row["disk_config"],
              "security_groups": [{"name": g} for g in row["security_groups"]]}
    server["adminPass"] = body.get("adminPass") or secrets.token_urlsafe(9)
    location = server["links"][0]["href"]
    return json_response(202, {"server": server}, headers={"Location": location})


def update_server(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    logic.update_server(ctx, rq.params["server_id"], rq.body["server"])
    return {"server": views.show_body(ctx, rq, rq.params["server_id"], changed="update")}


def delete_server(ctx: Context, rq: ApiRequest) -> None:
    logic.delete_server(ctx, rq.params["server_id"])


def _create_target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


ROUTES = [
    route("GET", SV, list_servers, policy=P + "index"),
    route("GET", SV + "/detail", list_servers_detail, policy=P + "detail"),
    route("POST", SV, create_server, policy=P + "create", body=schemas.CREATE, target=_create_target, status=202),
    route("GET", ONE, show_server, policy=P + "show", target=common.server_target),
    route("PUT", ONE, update_server, policy=P + "update", body=schemas.UPDATE, target=common.server_target),
    route("DELETE", ONE, delete_server, policy=P + "delete", target=common.server_target, status=204),
]

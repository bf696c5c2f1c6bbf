"""Availability zones: GET /v2.0/availability_zones (api-ref: network, Availability Zones;
availability_zone_filter)."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest, route

ZONES = [{"name": "nova", "resource": "network", "state": "available"},
         {"name": "nova", "resource": "router", "state": "available"}]
FILTERS = ("name", "resource", "state")


def list_availability_zones(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    zones = list(ZONES)
    for key in rq.query:
        if key not in (*FILTERS, "fields"):
            raise BadRequest(f"['{key}'] is invalid attribute for filtering")
        if key in FILTERS:
            zones = [z for z in zones if z[key] in rq.query.getlist(key)]
    fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
    return {"availability_zones": [{k: v for k, v in z.items() if not fields or k in fields} for z in zones]}


ROUTES = [route("GET", "/v2.0/availability_zones", list_availability_zones, policy="get_availability_zone")]

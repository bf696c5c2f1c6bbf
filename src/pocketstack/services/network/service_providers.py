"""Service providers: GET /v2.0/service-providers (api-ref: network, Service providers; service-type).
The providers neutron's L3 plugin loads on its own (single_node, ha, dvr, dvrha): pocketstack runs
no advanced services, so these are what a DevStack node lists."""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.network import common

L3 = "L3_ROUTER_NAT"
_PATH = "neutron.services.l3_router.service_providers."
# (service_type, name, driver, default)
PROVIDERS = [(L3, "dvrha", _PATH + "dvrha.DvrHaDriver", False), (L3, "dvr", _PATH + "dvr.DvrDriver", False),
             (L3, "ha", _PATH + "ha.HaDriver", False),
             (L3, "single_node", _PATH + "single_node.SingleNodeDriver", False)]
SERVICE_TYPES = {p[0] for p in PROVIDERS}
DRIVERS = {p[2] for p in PROVIDERS}
ATTRIBUTES = {"service_type", "name", "default"}


def list_service_providers(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    items = [{"service_type": s, "name": n, "default": d} for s, n, _driver, d in PROVIDERS]
    for key in rq.query:
        if key in common.RESERVED:
            continue
        if key not in ATTRIBUTES:
            raise BadRequest(f"['{key}'] is invalid attribute for filtering")
        wanted = [w.lower() for w in rq.query.getlist(key)]
        items = [i for i in items if str(i[key]).lower() in wanted]
    fields = [f for v in rq.query.getlist("fields") for f in v.split(",") if f]
    return {"service_providers": [common.select_fields(i, fields) for i in items]}


ROUTES = [route("GET", "/v2.0/service-providers", list_service_providers, policy="get_service_provider")]

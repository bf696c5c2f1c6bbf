"""OS::Neutron::Router, RouterInterface and ExtraRouteSet (heat/engine/resources/openstack/neutron/router.py,
extrarouteset.py)."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.properties import Custom, Prop, ValidationError
from pocketstack.services.orchestration.engine.resource import Attr
from pocketstack.services.orchestration.engine.resources.neutron.base import (
    HeatError, NeutronResource, conflict, unspecified)
from pocketstack.services.orchestration.engine.resources.neutron.net import hidden, tags, value_specs

GATEWAY = {
    "network": Prop("string", "ID or name of the external network for the gateway.", required=True,
                    update_allowed=True),
    "enable_snat": Prop("boolean", "Enables Source NAT on the router gateway. NOTE: The default policy setting in "
                        "Neutron restricts usage of this property to administrative users only.",
                        update_allowed=True),
    "external_fixed_ips": Prop("list", "External fixed IP addresses for the gateway.", update_allowed=True,
                               schema=Prop("map", schema={
                                   "ip_address": Prop("string", "External fixed IP address.",
                                                      constraints=[Custom(name="ip_addr")]),
                                   "subnet": Prop("string", "Subnet of external fixed IP address.",
                                                  constraints=[Custom(name="neutron.subnet")])})),
}
ADMIN_ONLY = ("NOTE: The default policy setting in Neutron restricts usage of this property to administrative users "
              "only.")


class Router(NeutronResource):
    type_name = "OS::Neutron::Router"
    description = "A resource that implements Neutron router."
    collection, body_key, has_status = "routers", "router", True
    properties_schema = {
        "name": Prop("string", "The name of the router.", update_allowed=True),
        "external_gateway_info": Prop("map", "External network gateway configuration for a router.",
                                      update_allowed=True, schema=GATEWAY),
        "value_specs": value_specs("Extra parameters to include in the creation request."),
        "admin_state_up": Prop("boolean", "The administrative state of the router.", default=True,
                               update_allowed=True),
        "l3_agent_id": Prop("string", f"ID of the L3 agent. {ADMIN_ONLY}", update_allowed=True,
                            support_status="HIDDEN"),
        "l3_agent_ids": Prop("list", "ID list of the L3 agent. User can specify multi-agents for highly available "
                             f"router. {ADMIN_ONLY}", update_allowed=True, schema=Prop("string")),
        "distributed": Prop("boolean", "Indicates whether or not to create a distributed router. NOTE: The default "
                            "policy setting in Neutron restricts usage of this property to administrative users "
                            "only. This property can not be used in conjunction with the L3 agent ID."),
        "ha": Prop("boolean", "Indicates whether or not to create a highly available router. NOTE: The default "
                   "policy setting in Neutron restricts usage of this property to administrative users only. And "
                   "now neutron do not support distributed and ha at the same time."),
        "availability_zone_hints": Prop("list", "Availability zone candidates for the router. It requires the "
                                        "availability_zone extension to be available.", update_allowed=True),
        "tags": tags("router"),
        "tenant_id": Prop("string", "The ID of the tenant which will own the router. Only administrative users can "
                          "set the tenant identifier; this cannot be changed using authorization policies."),
    }
    attributes_schema = {
        "status": Attr("The status of the router.", "string"),
        "external_gateway_info": Attr("Gateway network for the router.", "map"),
        "name": Attr("Friendly name of the router.", "string"),
        "admin_state_up": Attr("Administrative state of the router.", "string"),
        "tenant_id": Attr("Tenant owning the router.", "string"),
    }

    def translate(self, props: dict[str, Any]) -> dict[str, Any]:
        agent = props.pop("l3_agent_id", None)       # Heat's ADD rule: the old single id joins the list
        if agent:
            props["l3_agent_ids"] = [*(props.get("l3_agent_ids") or []), agent]
        return super().translate(props)

    def validate(self) -> None:
        distributed, ha, agents = (self.properties.get(k) for k in ("distributed", "ha", "l3_agent_ids"))
        if distributed and agents:
            raise conflict("distributed", "l3_agent_id/l3_agent_ids")
        if ha and distributed:
            raise conflict("distributed", "ha")
        if not ha and agents and len(agents) > 1:
            raise ValidationError("Non HA routers can only have one L3 agent.")

    def gateway(self, gw: dict[str, Any] | None) -> dict[str, Any] | None:
        if not gw:
            return gw
        out: dict[str, Any] = {"network_id": self.find_id("network", gw["network"])}
        if gw.get("enable_snat") is not None:
            out["enable_snat"] = gw["enable_snat"]
        if gw.get("external_fixed_ips") is not None:
            out["external_fixed_ips"] = [self.fixed_ip(ip) for ip in gw["external_fixed_ips"]]
        return out

    def fixed_ip(self, ip: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in ip.items() if v is not None}
        if "subnet" in out:
            out["subnet_id"] = self.find_id("subnet", out.pop("subnet"))
        return out

    def handle_create(self) -> None:
        body = self.prepare()
        if "external_gateway_info" in body:
            body["external_gateway_info"] = self.gateway(body["external_gateway_info"])
        agents, tag_list = body.pop("l3_agent_ids", None), body.pop("tags", None)
        self.create(body)
        if agents:
            self.replace_agents(agents)
        if tag_list:
            self.set_tags(tag_list)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        diff = self.prepare_update(prop_diff)
        if "external_gateway_info" in diff:
            diff["external_gateway_info"] = self.gateway(diff["external_gateway_info"])
        if "l3_agent_ids" in diff or "l3_agent_id" in diff:
            diff.pop("l3_agent_id", None)
            diff.pop("l3_agent_ids", None)
            self.replace_agents(self.properties.get("l3_agent_ids") or [])
        if "tags" in diff:
            self.set_tags(diff.pop("tags"))
        self.update(diff)

    def replace_agents(self, agents: list[str]) -> None:
        for agent in self.neutron.get(f"/routers/{self.resource_id}/l3-agents")["agents"]:
            self.neutron.delete(f"/agents/{agent['id']}/l3-routers/{self.resource_id}")
        for agent_id in agents:
            self.neutron.post(f"/agents/{agent_id}/l3-routers", json={"router_id": self.resource_id})


class Attachment(NeutronResource):
    """A plugin whose physical id names a relation, not an item of a collection: no show, delete is
    finished when its call returns."""

    def show(self) -> Any:
        return None

    def handle_check(self) -> None:
        """Nothing of its own to look at."""

    def check_delete_complete(self) -> bool:
        return True


class RouterInterface(Attachment):
    type_name = "OS::Neutron::RouterInterface"
    description = "A resource for managing Neutron router interfaces."
    aliases = {"router_id": "router", "subnet_id": "subnet", "port_id": "port"}
    properties_schema = {
        "router": Prop("string", "The router.", required=True, constraints=[Custom(name="neutron.router")]),
        "router_id": hidden("neutron.router"),
        "subnet_id": hidden("neutron.subnet"),
        "subnet": Prop("string", "The subnet, either subnet or port should be specified.",
                       constraints=[Custom(name="neutron.subnet")]),
        "port_id": hidden("neutron.port"),
        "port": Prop("string", "The port, either subnet or port should be specified.",
                     constraints=[Custom(name="neutron.port")]),
    }

    def validate(self) -> None:
        subnet, port = self.properties.get("subnet") is not None, self.properties.get("port") is not None
        if subnet and port:
            raise conflict("subnet", "port")
        if not subnet and not port:
            raise unspecified("subnet", "port")

    def handle_create(self) -> None:
        router_id = self.find_id("router", self.properties["router"])
        if self.properties.get("subnet"):
            key, value = "subnet_id", self.find_id("subnet", self.properties["subnet"])
        else:
            key, value = "port_id", self.find_id("port", self.properties["port"])
        self.neutron.put(f"/routers/{router_id}/add_router_interface", json={key: value})
        self.resource_id_set(f"{router_id}:{key}={value}")

    def handle_delete(self) -> None:
        if not self.resource_id:
            return
        tokens = self.resource_id.replace("=", ":").split(":")
        if len(tokens) == 2:                  # ids written by old Heat: router:subnet
            tokens.insert(1, "subnet_id")
        router_id, key, value = tokens
        try:
            self.neutron.put(f"/routers/{router_id}/remove_router_interface", json={key: value})
        except ClientError as exc:
            if exc.status != 404:
                raise


def route_set(routes: list[dict[str, Any]] | None) -> set[tuple[str, str]]:
    return {(r["destination"], r["nexthop"]) for r in routes or []}


def route_list(routes: set[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"destination": d, "nexthop": n} for d, n in sorted(routes)]


class ExtraRouteSet(Attachment):
    type_name = "OS::Neutron::ExtraRouteSet"
    description = "Resource for specifying extra routes for a Neutron router."
    properties_schema = {
        "router": Prop("string", "The router id.", required=True, constraints=[Custom(name="neutron.router")]),
        "routes": Prop("list", "A set of route dictionaries for the router.", default=[], update_allowed=True,
                       schema=Prop("map", schema={
                           "destination": Prop("string", "The destination network in CIDR notation.",
                                               required=True, constraints=[Custom(name="net_cidr")]),
                           "nexthop": Prop("string", "The next hop for the destination.", required=True,
                                           constraints=[Custom(name="ip_addr")])})),
    }

    def handle_create(self) -> None:
        router_id = self.find_id("router", self.properties["router"])
        self.resource_id_set(router_id)
        self.apply(set(), route_set(self.properties.get("routes")))

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        """Only the difference moves: re-creating would drop the routes both sides share."""
        old = route_set(self.data.get("routes", []))
        self.apply(old, route_set(self.properties.get("routes")))

    def apply(self, old: set[tuple[str, str]], new: set[tuple[str, str]]) -> None:
        path = f"/routers/{self.resource_id}"
        existing = route_set(self.neutron.get(path)["router"].get("routes"))
        for route in sorted(new - old):
            if route in existing:
                name = ",".join([str(self.properties["router"]), "%s=%s" % route])
                raise HeatError("PhysicalResourceExists", f"The physical resource for ({name}) exists.")
        if old - new:
            self.neutron.put(f"{path}/remove_extraroutes", json={"router": {"routes": route_list(old - new)}})
        if new - old:
            self.neutron.put(f"{path}/add_extraroutes", json={"router": {"routes": route_list(new - old)}})
        self.data["routes"] = route_list(new)

    def handle_delete(self) -> None:
        if not self.resource_id:
            return
        routes = self.data.get("routes", self.properties.get("routes") or [])
        try:
            self.neutron.put(f"/routers/{self.resource_id}/remove_extraroutes",
                             json={"router": {"routes": routes}})
        except ClientError as exc:
            if exc.status != 404:
                raise

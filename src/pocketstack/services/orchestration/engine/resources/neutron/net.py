"""OS::Neutron::Net, ProviderNet and Subnet (heat/engine/resources/openstack/neutron/net.py,
provider_net.py, subnet.py)."""

from __future__ import annotations

import ipaddress
from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop, Range, ValidationError
from pocketstack.services.orchestration.engine.resource import Attr
from pocketstack.services.orchestration.engine.resources.neutron.base import (
    HeatError, NeutronResource, conflict, unspecified)


def value_specs(description: str = "Extra parameters to include in the request. Parameters are often specific "
                                   "to installed hardware or extensions.", update: bool = True) -> Prop:
    return Prop("map", description, default={}, update_allowed=update)


def tags(kind: str) -> Prop:
    return Prop("list", f"The tags to be added to the {kind}.", update_allowed=True, schema=Prop("string"))


def hidden(constraint: str) -> Prop:
    """A deprecated property name kept for old templates (Heat's HIDDEN support status)."""
    return Prop("string", constraints=[Custom(name=constraint)], support_status="HIDDEN")


NET_ATTRS = {
    "status": Attr("The status of the network.", "string"),
    "name": Attr("The name of the network.", "string"),
    "subnets": Attr("Subnets of this network.", "list"),
    "admin_state_up": Attr("The administrative status of the network.", "string"),
    "tenant_id": Attr("The tenant owning this network.", "string"),
    "port_security_enabled": Attr("Port security enabled of the network.", "boolean"),
    "mtu": Attr("The maximum transmission unit size(in bytes) for the network.", "integer"),
    "qos_policy_id": Attr("The QoS policy ID attached to this network.", "string"),
    "l2_adjacency": Attr("A boolean value for L2 adjacency, True means that you can expect L2 connectivity "
                         "throughout the Network.", "boolean"),
    "segments": Attr("The segments of this network.", "list"),
}


class Net(NeutronResource):
    type_name = "OS::Neutron::Net"
    description = "A resource for managing Neutron net."
    collection, body_key, has_status, check_value_specs = "networks", "network", True, True
    properties_schema = {
        "name": Prop("string", "A string specifying a symbolic name for the network, which is not required to "
                     "be unique.", update_allowed=True),
        "value_specs": value_specs(),
        "admin_state_up": Prop("boolean", "A boolean value specifying the administrative status of the network.",
                               default=True, update_allowed=True),
        "tenant_id": Prop("string", "The ID of the tenant which will own the network. Only administrative users "
                          "can set the tenant identifier; this cannot be changed using authorization policies."),
        "shared": Prop("boolean", "Whether this network should be shared across all tenants. Note that the "
                       "default policy setting restricts usage of this attribute to administrative users only.",
                       default=False, update_allowed=True),
        "dhcp_agent_ids": Prop("list", "The IDs of the DHCP agent to schedule the network. Note that the default "
                               "policy setting in Neutron restricts usage of this property to administrative "
                               "users only.", update_allowed=True),
        "port_security_enabled": Prop("boolean", "Flag to enable/disable port security on the network. It "
                                      "provides the default value for the attribute of the ports created on "
                                      "this network.", update_allowed=True),
        "qos_policy": Prop("string", "The name or ID of QoS policy to attach to this network.",
                           update_allowed=True, constraints=[Custom(name="neutron.qos_policy")]),
        "dns_domain": Prop("string", "DNS domain associated with this network.", update_allowed=True,
                           constraints=[Custom(name="dns_domain")]),
        "availability_zone_hints": Prop("list", "Availability zone candidates for the network. It requires the "
                                        "availability_zone extension to be available."),
        "tags": tags("network"),
    }
    attributes_schema = NET_ATTRS

    def net_body(self, body: dict[str, Any]) -> dict[str, Any]:
        if "qos_policy" in body:
            body["qos_policy_id"] = self.find_id("policy", body.pop("qos_policy"))
        return body

    def handle_create(self) -> None:
        body = self.net_body(self.prepare())
        agents, tag_list = body.pop("dhcp_agent_ids", None), body.pop("tags", None)
        self.create(body)
        if agents:
            self.replace_dhcp_agents(agents)
        if tag_list:
            self.set_tags(tag_list)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        diff = self.net_body(self.prepare_update(prop_diff))
        if "dhcp_agent_ids" in diff:
            self.replace_dhcp_agents(diff.pop("dhcp_agent_ids") or [])
        if "tags" in diff:
            self.set_tags(diff.pop("tags"))
        self.update(diff)

    def replace_dhcp_agents(self, wanted: list[str]) -> None:
        hosting = self.neutron.get(f"/networks/{self.resource_id}/dhcp-agents")["agents"]
        old, new = {a["id"] for a in hosting}, set(wanted)
        for agent in new - old:
            try:
                self.neutron.post(f"/agents/{agent}/dhcp-networks", json={"network_id": self.resource_id})
            except ClientError as exc:
                if exc.status != 409:          # already hosted there
                    raise
        for agent in old - new:
            try:
                self.neutron.delete(f"/agents/{agent}/dhcp-networks/{self.resource_id}")
            except ClientError as exc:
                if exc.status != 409:
                    raise

    def resolve_attribute(self, name: str) -> Any:
        if name == "segments" and self.resource_id is not None:
            return self.segments()
        return super().resolve_attribute(name)

    def segments(self) -> list[dict[str, Any]]:
        try:
            found = self.neutron.get("/segments", params={"network_id": self.resource_id})["segments"]
        except ClientError as exc:
            if exc.status != 404:
                raise
            # this cloud has no segments API: a multi-provider network lists its own segments
            found = (self.show() or {}).get("segments") or []
        # Heat sorts the unnamed segments first (bug 1894920)
        return sorted(found, key=lambda s: s.get("name") is not None)


class ProviderNet(Net):
    type_name = "OS::Neutron::ProviderNet"
    description = "A resource for managing Neutron provider networks."
    check_value_specs = False
    NETWORK_TYPES = ["local", "vlan", "vxlan", "gre", "geneve", "flat"]
    PROVIDER_KEYS = {"network_type": "provider:network_type", "physical_network": "provider:physical_network",
                     "segmentation_id": "provider:segmentation_id", "router_external": "router:external"}
    properties_schema = {
        "name": Net.properties_schema["name"],
        "network_type": Prop("string", "A string specifying the provider network type for the network.",
                             required=True, update_allowed=True, constraints=[AllowedValues(allowed=NETWORK_TYPES)]),
        "physical_network": Prop("string", "A string specifying physical network mapping for the network.",
                                 update_allowed=True),
        "segmentation_id": Prop("string", "A string specifying the segmentation id for the network.",
                                update_allowed=True),
        "admin_state_up": Net.properties_schema["admin_state_up"],
        "shared": Prop("boolean", "Whether this network should be shared across all tenants.", default=True,
                       update_allowed=True),
        "port_security_enabled": Net.properties_schema["port_security_enabled"],
        "router_external": Prop("boolean", "Whether the network contains an external router.", default=False,
                                update_allowed=True),
        "dns_domain": Net.properties_schema["dns_domain"],
        "availability_zone_hints": Prop("list", "Availability zone candidates for the network. It requires the "
                                        "availability_zone extension to be available.", update_allowed=True),
        "tags": tags("provider network"),
        "tenant_id": Prop("string", "The ID of the tenant which will own the provider network. Only "
                          "administrative users can set the tenant identifier; this cannot be changed using "
                          "authorization policies."),
    }
    attributes_schema = {k: NET_ATTRS[k] for k in ("status", "subnets", "segments")}

    def validate(self) -> None:
        kind = self.properties.get("network_type")
        if self.properties.get("segmentation_id") and kind in ("local", "flat"):
            raise ValidationError("segmentation_id not allowed for network types: local, flat")
        if self.properties.get("physical_network") and kind in ("vxlan", "gre", "geneve", "local"):
            # quirk: the message says flat where the check means local, as upstream
            raise ValidationError("physical_network not allowed for network types: vxlan, gre, geneve, flat")

    def net_body(self, body: dict[str, Any]) -> dict[str, Any]:
        for key, api_key in self.PROVIDER_KEYS.items():
            if key in body:
                body[api_key] = body.pop(key)
        return body


IPV6_MODES = ["dhcpv6-stateful", "dhcpv6-stateless", "slaac"]
SEGMENT_UPDATE = ("Updating the subnet segment assciation only allowed when the current segment_id is None. The "
                  "subnet is currently associated with segment. In this state update is not supported for resource.")


class Subnet(NeutronResource):
    type_name = "OS::Neutron::Subnet"
    description = "A resource for managing Neutron subnets."
    collection, body_key = "subnets", "subnet"
    aliases = {"network_id": "network"}
    properties_schema = {
        "network_id": hidden("neutron.network"),
        "network": Prop("string", "The ID of the attached network.", required=True,
                        constraints=[Custom(name="neutron.network")]),
        "subnetpool": Prop("string", "The name or ID of the subnet pool.",
                           constraints=[Custom(name="neutron.subnetpool")]),
        "prefixlen": Prop("integer", "Prefix length for subnet allocation from subnet pool.",
                          constraints=[Range(min=0)]),
        "cidr": Prop("string", "The CIDR.", constraints=[Custom(name="net_cidr")]),
        "value_specs": value_specs("Extra parameters to include in the request."),
        "name": Prop("string", "The name of the subnet.", update_allowed=True),
        "ip_version": Prop("integer", "The IP version, which is 4 or 6.", default=4,
                           constraints=[AllowedValues(allowed=[4, 6])]),
        "dns_nameservers": Prop("list", "A specified set of DNS name servers to be used.", default=[],
                                update_allowed=True),
        "gateway_ip": Prop("string", 'The gateway IP address. Set to any of [ null | ~ | "" ] to create/update a '
                           "subnet without a gateway. If omitted when creation, neutron will assign the first "
                           "free IP address within the subnet to the gateway automatically. If remove this from "
                           "template when update, the old gateway IP address will be detached.",
                           update_allowed=True),
        "enable_dhcp": Prop("boolean", "Set to true if DHCP is enabled and false if DHCP is disabled.",
                            default=True, update_allowed=True),
        "allocation_pools": Prop("list", "The start and end addresses for the allocation pools.",
                                 update_allowed=True, schema=Prop("map", schema={
                                     "start": Prop("string", "Start address for the allocation pool.",
                                                   required=True, constraints=[Custom(name="ip_addr")]),
                                     "end": Prop("string", "End address for the allocation pool.", required=True,
                                                 constraints=[Custom(name="ip_addr")])})),
        "tenant_id": Prop("string", "The ID of the tenant who owns the network. Only administrative users can "
                          "specify a tenant ID other than their own."),
        "host_routes": Prop("list", "A list of host route dictionaries for the subnet.", update_allowed=True,
                            schema=Prop("map", schema={
                                "destination": Prop("string", "The destination for static route.", required=True,
                                                    constraints=[Custom(name="net_cidr")]),
                                "nexthop": Prop("string", "The next hop for the destination.", required=True,
                                                constraints=[Custom(name="ip_addr")])})),
        "ipv6_ra_mode": Prop("string", "IPv6 RA (Router Advertisement) mode.",
                             constraints=[AllowedValues(allowed=IPV6_MODES)]),
        "ipv6_address_mode": Prop("string", "IPv6 address mode.", constraints=[AllowedValues(allowed=IPV6_MODES)]),
        "segment": Prop("string", "The name/ID of the segment to associate.", update_allowed=True,
                        constraints=[Custom(name="neutron.segment")]),
        "tags": tags("subnet"),
    }
    attributes_schema = {
        "name": Attr("Friendly name of the subnet.", "string"),
        "network_id": Attr("Parent network of the subnet.", "string"),
        "tenant_id": Attr("Tenant owning the subnet.", "string"),
        "allocation_pools": Attr("Ip allocation pools and their ranges.", "list"),
        "gateway_ip": Attr("Ip of the subnet's gateway.", "string"),
        "host_routes": Attr("Additional routes for this subnet.", "list"),
        "ip_version": Attr("Ip version for the subnet.", "string"),
        "cidr": Attr("CIDR block notation for this subnet.", "string"),
        "dns_nameservers": Attr("List of dns nameservers.", "list"),
        "enable_dhcp": Attr("'true' if DHCP is enabled for this subnet; 'false' otherwise.", "string"),
    }

    def validate(self) -> None:
        p = self.properties
        if p.get("subnetpool") is not None and p.get("cidr"):
            raise conflict("subnetpool", "cidr")
        if p.get("subnetpool") is None and not p.get("cidr"):
            raise unspecified("subnetpool", "cidr")
        if p.get("prefixlen") and p.get("cidr"):
            raise conflict("prefixlen", "cidr")
        ra, address = p.get("ipv6_ra_mode"), p.get("ipv6_address_mode")
        if p.get("ip_version") == 4 and (ra or address):
            raise ValidationError("ipv6_ra_mode and ipv6_address_mode are not supported for ipv4.")
        if ra and address and ra != address:
            raise ValidationError("When both ipv6_ra_mode and ipv6_address_mode are set, they must be equal.")
        gateway = p.get("gateway_ip")
        if gateway and gateway not in ("~", ""):
            try:
                ipaddress.ip_address(gateway)
            except ValueError:
                # quirk: upstream builds a tuple here, so the message prints as one
                raise ValidationError(str(('Gateway IP address "%(gateway)s" is in invalid format.', gateway)))

    @staticmethod
    def null_gateway(body: dict[str, Any]) -> None:
        # an explicit null gateway reaches plugins as "": neutron wants null for "no gateway" (bug 1226666)
        if body.get("gateway_ip") in ("", "~"):
            body["gateway_ip"] = None

    def handle_create(self) -> None:
        body = self.prepare()
        body["network_id"] = self.find_id("network", body.pop("network"))
        if body.get("segment"):
            body["segment_id"] = self.find_id("segment", body.pop("segment"))
        if body.get("subnetpool"):
            body["subnetpool_id"] = self.find_id("subnetpool", body.pop("subnetpool"))
        tag_list = body.pop("tags", None)
        self.null_gateway(body)
        self.create(body)
        if tag_list:
            self.set_tags(tag_list)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        diff = self.prepare_update(prop_diff)
        if "allocation_pools" in diff and diff["allocation_pools"] is None:
            diff["allocation_pools"] = []
        segment = diff.pop("segment", None)
        if segment:
            if self.live().get("segment_id") is not None:
                raise HeatError("ResourceActionNotSupported", SEGMENT_UPDATE)
            diff["segment_id"] = self.find_id("segment", segment)
        self.null_gateway(diff)
        if "tags" in diff:
            self.set_tags(diff.pop("tags"))
        self.update(diff)


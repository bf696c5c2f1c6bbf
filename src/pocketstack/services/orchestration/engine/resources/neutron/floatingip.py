"""OS::Neutron::FloatingIP and FloatingIPAssociation (heat/engine/resources/openstack/neutron/floatingip.py)."""

from __future__ import annotations

import uuid
from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.properties import Custom, Prop, ValidationError
from pocketstack.services.orchestration.engine.resource import Attr
from pocketstack.services.orchestration.engine.resources.neutron.base import NeutronResource
from pocketstack.services.orchestration.engine.resources.neutron.net import hidden, value_specs
from pocketstack.services.orchestration.engine.resources.neutron.router import Attachment

PORT_ID = "ID of an existing port with at least one IP address to associate with this floating IP."
FIXED_IP = "IP address to use if the port has multiple addresses."


class FloatingIP(NeutronResource):
    type_name = "OS::Neutron::FloatingIP"
    description = "A resource for managing Neutron floating ips."
    collection, body_key = "floatingips", "floatingip"
    aliases = {"floating_network_id": "floating_network"}
    properties_schema = {
        "floating_network_id": hidden("neutron.network"),
        "floating_network": Prop("string", "Network to allocate floating IP from.", required=True,
                                 constraints=[Custom(name="neutron.network")]),
        "floating_subnet": Prop("string", "Subnet to allocate floating IP from.",
                                constraints=[Custom(name="neutron.subnet")]),
        "value_specs": value_specs('Extra parameters to include in the "floatingip" object in the creation '
                                   "request. Parameters are often specific to installed hardware or extensions.",
                                   update=False),
        "port_id": Prop("string", PORT_ID, update_allowed=True, constraints=[Custom(name="neutron.port")]),
        "fixed_ip_address": Prop("string", FIXED_IP, update_allowed=True, constraints=[Custom(name="ip_addr")]),
        "floating_ip_address": Prop("string", "IP address of the floating IP. NOTE: The default policy setting in "
                                    "Neutron restricts usage of this property to administrative users only.",
                                    constraints=[Custom(name="ip_addr")]),
        "dns_name": Prop("string", "DNS name associated with floating ip.", update_allowed=True,
                         constraints=[Custom(name="rel_dns_name")]),
        "dns_domain": Prop("string", "DNS domain associated with floating ip.", update_allowed=True,
                           constraints=[Custom(name="dns_domain")]),
    }
    attributes_schema = {
        "router_id": Attr("ID of the router used as gateway, set when associated with a port.", "string"),
        "tenant_id": Attr("The tenant owning this floating IP.", "string"),
        "floating_network_id": Attr("ID of the network in which this IP is allocated.", "string"),
        "fixed_ip_address": Attr("IP address of the associated port, if specified.", "string"),
        "floating_ip_address": Attr("The allocated address of this IP.", "string"),
        "port_id": Attr("ID of the port associated with this IP.", "string"),
    }

    def validate(self) -> None:
        if self.properties.get("port_id") is None and self.properties.get("fixed_ip_address") is not None:
            raise ValidationError("fixed_ip_address cannot be specified without port_id.")

    def handle_create(self) -> None:
        body = self.prepare()
        body["floating_network_id"] = self.find_id("network", body.pop("floating_network"))
        if "floating_subnet" in body:
            body["subnet_id"] = self.find_id("subnet", body.pop("floating_subnet"))
        if "port_id" in body:
            body["port_id"] = self.find_id("port", body["port_id"])
        self.create(body)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        # quirk: only the association moves; dns_name/dns_domain changes are accepted and not sent
        self.update({"port_id": self.find_id("port", self.properties.get("port_id")),
                     "fixed_ip_address": self.properties.get("fixed_ip_address")})


class FloatingIPAssociation(Attachment):
    type_name = "OS::Neutron::FloatingIPAssociation"
    description = "A resource for associating floating ips and ports."
    properties_schema = {
        "floatingip_id": Prop("string", "ID of the floating IP to associate.", required=True, update_allowed=True),
        "port_id": Prop("string", PORT_ID, required=True, update_allowed=True,
                        constraints=[Custom(name="neutron.port")]),
        "fixed_ip_address": Prop("string", FIXED_IP, update_allowed=True, constraints=[Custom(name="ip_addr")]),
    }

    def associate(self) -> None:
        fip = self.properties["floatingip_id"]
        body: dict[str, Any] = {"port_id": self.find_id("port", self.properties["port_id"])}
        if self.properties.get("fixed_ip_address") is not None:
            body["fixed_ip_address"] = self.properties["fixed_ip_address"]
        self.neutron.put(f"/floatingips/{fip}", json={"floatingip": body})
        self.data["floatingip_id"] = fip
        # quirk: Heat's physical id here is its own database id for the resource; ours is as opaque
        self.resource_id_set(uuid.uuid5(uuid.NAMESPACE_URL, f"heat:{self.stack.id}/{self.name}"))

    def disassociate(self, fip: str | None) -> None:
        if not fip:
            return
        try:
            self.neutron.put(f"/floatingips/{fip}", json={"floatingip": {"port_id": None}})
        except ClientError as exc:
            if exc.status != 404:
                raise

    def handle_create(self) -> None:
        self.associate()

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        old = self.data.get("floatingip_id")
        if "floatingip_id" in prop_diff and old != self.properties["floatingip_id"]:
            self.disassociate(old)
        self.associate()

    def handle_delete(self) -> None:
        if self.resource_id:
            self.disassociate(self.data.get("floatingip_id") or self.properties.get("floatingip_id"))

"""OS::Neutron::Port and OS::Neutron::Trunk (heat/engine/resources/openstack/neutron/port.py, trunk.py)."""

from __future__ import annotations

import uuid
from typing import Any

from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop, Range
from pocketstack.services.orchestration.engine.resource import Attr, UpdateReplace
from pocketstack.services.orchestration.engine.resources.neutron.base import HeatError, NeutronResource, conflict
from pocketstack.services.orchestration.engine.resources.neutron.net import hidden, tags, value_specs

VNIC_TYPES = ["normal", "direct", "macvtap", "direct-physical", "baremetal", "virtio-forwarder", "smart-nic"]


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class Port(NeutronResource):
    type_name = "OS::Neutron::Port"
    description = "A resource for managing Neutron ports."
    collection, body_key, has_status = "ports", "port", True
    aliases = {"network_id": "network"}
    properties_schema = {
        "name": Prop("string", "A symbolic name for this port.", update_allowed=True),
        "network_id": hidden("neutron.network"),
        "network": Prop("string", "Network this port belongs to. If you plan to use current port to assign "
                        "Floating IP, you should specify fixed_ips with subnet. Note if this changes to a different "
                        "network update, the port will be replaced.", required=True,
                        constraints=[Custom(name="neutron.network")]),
        "device_id": Prop("string", "Device ID of this port.", default="", update_allowed=True),
        "device_owner": Prop("string", "Name of the network owning the port. The value is typically "
                             "network:floatingip or network:router_interface or network:dhcp.", default="",
                             update_allowed=True),
        "fixed_ips": Prop("list", "Desired IPs for this port.", update_allowed=True, schema=Prop("map", schema={
            "subnet_id": hidden("neutron.subnet"),
            "subnet": Prop("string", "Subnet in which to allocate the IP address for this port.",
                           constraints=[Custom(name="neutron.subnet")]),
            "ip_address": Prop("string", "IP address desired in the subnet for this port.",
                               constraints=[Custom(name="ip_addr")])})),
        "security_groups": Prop("list", "Security group IDs to associate with this port.", update_allowed=True),
        "replacement_policy": Prop("string", "Policy on how to respond to a stack-update for this resource. "
                                   "REPLACE_ALWAYS will replace the port regardless of any property changes. AUTO "
                                   "will update the existing port for any changed update-allowed property.",
                                   default="AUTO", update_allowed=True, support_status="HIDDEN",
                                   constraints=[AllowedValues(allowed=["REPLACE_ALWAYS", "AUTO"])]),
        "dns_name": Prop("string", "DNS name associated with the port.", update_allowed=True,
                         constraints=[Custom(name="dns_name")]),
        "tags": tags("port"),
        "value_specs": value_specs("Extra parameters to include in the request."),
        "admin_state_up": Prop("boolean", "The administrative state of this port.", default=True,
                               update_allowed=True),
        "mac_address": Prop("string", "MAC address to give to this port. The default update policy of this "
                            "property in neutron is that allow admin role only.",
                            constraints=[Custom(name="mac_addr")]),
        "allowed_address_pairs": Prop("list", "Additional MAC/IP address pairs allowed to pass through the port.",
                                      update_allowed=True, schema=Prop("map", schema={
                                          "mac_address": Prop("string", "MAC address to allow through this port.",
                                                              constraints=[Custom(name="mac_addr")]),
                                          "ip_address": Prop("string", "IP address to allow through this port.",
                                                             required=True,
                                                             constraints=[Custom(name="ip_or_cidr")])})),
        "binding:vnic_type": Prop("string", "The vnic type to be bound on the neutron port. To support SR-IOV PCI "
                                  "passthrough networking, you can request that the neutron port to be realized as "
                                  "normal (virtual nic), direct (pci passthrough), or macvtap (virtual interface "
                                  "with a tap-like software interface). Note that this only works for Neutron "
                                  "deployments that support the bindings extension.", default="normal",
                                  update_allowed=True, constraints=[AllowedValues(allowed=VNIC_TYPES)]),
        "port_security_enabled": Prop("boolean", "Flag to enable/disable port security on the port. When disable "
                                      "this feature(set it to False), there will be no packages filtering, like "
                                      "security-group and address-pairs.", update_allowed=True),
        "qos_policy": Prop("string", "The name or ID of QoS policy to attach to this port.", update_allowed=True,
                           constraints=[Custom(name="neutron.qos_policy")]),
        "propagate_uplink_status": Prop("boolean", "Flag to enable/disable propagate uplink status on the port.",
                                        update_allowed=True),
        "no_fixed_ips": Prop("boolean", "Flag to disable all fixed ips on the port.", default=False,
                             update_allowed=True),
    }
    attributes_schema = {
        "admin_state_up": Attr("The administrative state of this port.", "string"),
        "device_id": Attr("Unique identifier for the device.", "string"),
        "device_owner": Attr("Name of the network owning the port.", "string"),
        "fixed_ips": Attr("Fixed IP addresses.", "list"),
        "mac_address": Attr("MAC address of the port.", "string"),
        "name": Attr("Friendly name of the port.", "string"),
        "network_id": Attr("Unique identifier for the network owning the port.", "string"),
        "security_groups": Attr("A list of security groups for the port.", "list"),
        "status": Attr("The status of the port.", "string"),
        "tenant_id": Attr("Tenant owning the port.", "string"),
        "allowed_address_pairs": Attr("Additional MAC/IP address pairs allowed to pass through a port.", "list"),
        "subnets": Attr("A list of all subnet attributes for the port.", "list"),
        "port_security_enabled": Attr("Port security enabled of the port.", "boolean"),
        "qos_policy_id": Attr("The QoS policy ID attached to this port.", "string"),
        "dns_assignment": Attr("The DNS assigned to this port.", "map"),
        "network": Attr("The attributes of the network owning the port.", "map"),
        "propagate_uplink_status": Attr("Enable/Disable propagate uplink status for the port.", "boolean"),
    }

    def validate(self) -> None:
        if self.properties.get("fixed_ips") and self.properties.get("no_fixed_ips"):
            raise conflict("fixed_ips", "no_fixed_ips")

    def handle_create(self) -> None:
        body = self.port_body(self.prepare(), update=False)
        body["network_id"] = self.find_id("network", body.pop("network"))
        tag_list = body.pop("tags", None)
        self.create(body)
        if tag_list:
            self.set_tags(tag_list)

    def prepare_for_replace(self) -> None:
        """Free the old port's fixed IPs, so its replacement can take the same addresses (Heat's
        Port.prepare_for_replace)."""
        if self.resource_id is not None:
            try:
                self.client("network").put(f"/ports/{self.resource_id}", json={"port": {"fixed_ips": []}})
            except Exception:  # noqa: BLE001 - a port already gone has nothing to free
                pass

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        # Heat's needs_replace(): the hidden replacement_policy forces a new port on every update
        if self.properties.get("replacement_policy") == "REPLACE_ALWAYS":
            raise UpdateReplace(self.name)
        diff = self.prepare_update(prop_diff)
        if "tags" in diff:
            self.set_tags(diff.pop("tags"))
        self.update(self.port_body(diff, update=True))

    def port_body(self, body: dict[str, Any], *, update: bool) -> dict[str, Any]:
        """Heat's _prepare_port_properties, plus its translation of names to ids."""
        if body.pop("no_fixed_ips", False):
            body["fixed_ips"] = []
        elif "fixed_ips" in body:
            if body["fixed_ips"]:
                body["fixed_ips"] = [self.fixed_ip(ip) for ip in body["fixed_ips"]]
            else:
                del body["fixed_ips"]       # quirk: dropping fixed_ips on update keeps the port's addresses
        if "allowed_address_pairs" in body:
            body["allowed_address_pairs"] = [{k: v for k, v in pair.items() if v is not None}
                                             for pair in body["allowed_address_pairs"] or []]
        if "security_groups" in body:
            groups = body["security_groups"]
            if groups is not None:
                body["security_groups"] = self.secgroup_ids(groups)
            elif update:
                body["security_groups"] = self.secgroup_ids(["default"])
        body.pop("replacement_policy", None)
        if "qos_policy" in body:
            body["qos_policy_id"] = self.find_id("policy", body.pop("qos_policy"))
        return body

    def fixed_ip(self, ip: dict[str, Any]) -> dict[str, Any]:
        ip = {k: v for k, v in ip.items() if v is not None}
        subnet = ip.pop("subnet", None) or ip.pop("subnet_id", None)
        ip.pop("subnet_id", None)
        if subnet:
            ip["subnet_id"] = self.find_id("subnet", subnet)
        return ip

    def secgroup_ids(self, groups: list[str]) -> list[str]:
        """Heat's get_secgroup_uuids: ids pass; names are looked up in the stack's own project."""
        out: list[str] = []
        listed: list[dict[str, Any]] | None = None
        for group in groups:
            if is_uuid(group):
                out.append(group)
                continue
            if listed is None:
                listed = self.neutron.get("/security-groups",
                                          params={"project_id": self.stack.project_id})["security_groups"]
            ids = [g["id"] for g in listed if g["name"] == group]
            if not ids:
                raise HeatError("EntityNotFound", f"The Resource ({group}) could not be found.")
            if len(ids) > 1:
                raise HeatError("PhysicalResourceNameAmbiguity",
                                f"Multiple physical resources were found with name ({group}).")
            out.append(ids[0])
        return out

    def resolve_attribute(self, name: str) -> Any:
        if name not in ("subnets", "network"):
            return super().resolve_attribute(name)
        port = self.show()
        if port is None:
            return None
        if name == "network":
            return self.neutron.get(f"/networks/{port['network_id']}")["network"]
        return [self.neutron.get(f"/subnets/{ip['subnet_id']}")["subnet"]
                for ip in port.get("fixed_ips") or [] if ip.get("subnet_id")]


SUBPORT = {
    "port": Prop("string", "ID or name of a port to be used as a subport.", required=True,
                 constraints=[Custom(name="neutron.port")]),
    "segmentation_type": Prop("string", "Segmentation type to be used on the subport.", required=True,
                              constraints=[AllowedValues(allowed=["vlan"])]),
    "segmentation_id": Prop("integer", "The segmentation ID on which the subport network is presented to the "
                            "instance.", required=True, constraints=[Range(min=1, max=4094)]),
}


class Trunk(NeutronResource):
    type_name = "OS::Neutron::Trunk"
    description = "A resource for managing Neutron trunks."
    collection, body_key, has_status = "trunks", "trunk", True
    properties_schema = {
        "name": Prop("string", "A string specifying a symbolic name for the trunk, which is not required to be "
                     "uniqe.", update_allowed=True),
        "port": Prop("string", "ID or name of a port to be used as a parent port.", required=True, immutable=True,
                     constraints=[Custom(name="neutron.port")]),
        "sub_ports": Prop("list", "List with 0 or more map elements containing subport details.",
                          update_allowed=True, schema=Prop("map", schema=SUBPORT)),
        "description": Prop("string", "Description for the trunk.", update_allowed=True),
        "admin_state_up": Prop("boolean", "Enable/disable subport addition, removal and trunk delete.",
                               update_allowed=True),
    }
    attributes_schema = {"port_id": Attr("ID or name of a port used as a parent port.", "string")}

    def subports(self, items: list[dict[str, Any]] | None) -> set[tuple[str, str, int]]:
        return {(self.find_id("port", sp["port"]) or "", sp["segmentation_type"], int(sp["segmentation_id"]))
                for sp in items or []}

    def handle_create(self) -> None:
        body = self.prepare()
        body["port_id"] = self.find_id("port", body.pop("port"))
        if body.get("sub_ports"):
            body["sub_ports"] = [{"port_id": p, "segmentation_type": t, "segmentation_id": i}
                                 for p, t, i in sorted(self.subports(body["sub_ports"]))]
        self.create(body)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        """At most three calls: the trunk's own fields, then remove_subports before add_subports (a port
        cannot be two subports at once)."""
        diff = self.prepare_update(prop_diff)
        changed_subports = "sub_ports" in diff
        diff.pop("sub_ports", None)
        self.update(diff)
        if not changed_subports:
            return
        live = {(sp["port_id"], sp["segmentation_type"], int(sp["segmentation_id"]))
                for sp in self.live().get("sub_ports") or []}
        wanted = self.subports(self.properties.get("sub_ports"))
        if live - wanted:
            self.neutron.put(f"{self.item_path()}/remove_subports",
                             json={"sub_ports": [{"port_id": p} for p, _t, _i in sorted(live - wanted)]})
        if wanted - live:
            self.neutron.put(f"{self.item_path()}/add_subports", json={"sub_ports": [
                {"port_id": p, "segmentation_type": t, "segmentation_id": i} for p, t, i in sorted(wanted - live)]})

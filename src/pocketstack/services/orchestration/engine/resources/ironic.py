"""Ironic resource type: OS::Ironic::Port and the ironic.node / ironic.portgroup constraints
(heat/engine/resources/openstack/ironic/port.py, engine/clients/os/ironic.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pocketstack.services.orchestration.engine.clients import ClientError, Clients, constraint
from pocketstack.services.orchestration.engine.properties import Custom, Prop
from pocketstack.services.orchestration.engine.resource import Attr, Resource


def _finder(collection: str, entity: str) -> Any:
    def find(clients: Clients, name_or_uuid: str) -> str:
        """Ironic looks nodes and portgroups up by name or uuid on the same path."""
        try:
            return str(clients("baremetal").get(f"/{collection}/{quote(name_or_uuid, safe='')}")["uuid"])
        except ClientError as exc:
            if exc.status in (400, 404):
                raise ClientError(404, f"The {entity} ({name_or_uuid}) could not be found.") from None
            raise
    return find


node_id = _finder("nodes", "Node")
portgroup_id = _finder("portgroups", "Portgroup")


_check = constraint


CONSTRAINTS = {"ironic.node": _check(node_id), "ironic.portgroup": _check(portgroup_id)}


class Port(Resource):
    type_name = "OS::Ironic::Port"
    description = "A resource that creates a ironic port."
    properties_schema = {
        "node": Prop("string", "UUID or name of the Node this resource belongs to.", required=True,
                     update_allowed=True, constraints=[Custom(name="ironic.node")]),
        "address": Prop("string", "Physical hardware address of this network Port, typically the hardware MAC "
                        "address.", required=True, update_allowed=True),
        "portgroup": Prop("string", "UUID or name of the Portgroup this resource belongs to.", update_allowed=True,
                          constraints=[Custom(name="ironic.portgroup")]),
        "local_link_connection": Prop("map", "The Port binding profile. If specified, must contain switch_id "
                                      "(only a MAC address or an OpenFlow based datapath_id of the switch are "
                                      "accepted in this field) and port_id (identifier of the physical port on "
                                      "the switch to which node's port is connected to) fields. switch_info is "
                                      "an optional string field to be used to store vendor specific "
                                      "information.", update_allowed=True),
        "pxe_enabled": Prop("boolean", "Indicates whether PXE is enabled or disabled on the Port.",
                            update_allowed=True),
        "physical_network": Prop("string", "The name of the physical network to which a port is connected. May "
                                 "be empty.", update_allowed=True),
        "extra": Prop("map", "A set of one or more arbitrary metadata key and value pairs.", update_allowed=True),
        "is_smartnic": Prop("boolean", "Indicates whether the Port is a Smart NIC port.", update_allowed=True),
    }
    attributes_schema = {
        "address": Attr("Physical hardware address of this network Port, typically the hardware MAC address.",
                        "string"),
        "node_uuid": Attr("UUID of the Node this resource belongs to.", "string"),
        "portgroup_uuid": Attr("UUID of the Portgroup this resource belongs to.", "string"),
        "local_link_connection": Attr("The Port binding profile.", "map"),
        "pxe_enabled": Attr("Indicates whether PXE is enabled or disabled on the Port.", "boolean"),
        "physical_network": Attr("The name of the physical network to which a port is connected.", "string"),
        "internal_info": Attr("Internal metadata set and stored by the Port.", "map"),
        "extra": Attr("A set of one or more arbitrary metadata key and value pairs.", "map"),
        "is_smartnic": Attr("Indicates whether the Port is a Smart NIC port.", "boolean"),
    }
    entity = ("baremetal", "/ports/{id}", "port")

    def _api_fields(self, props: dict[str, Any]) -> dict[str, Any]:
        """Property names to the API's: node -> node_uuid, portgroup -> portgroup_uuid (resolved)."""
        out = {k: v for k, v in props.items() if k not in ("node", "portgroup")}
        if "node" in props:
            out["node_uuid"] = node_id(self.stack.clients, props["node"])
        if "portgroup" in props:
            out["portgroup_uuid"] = portgroup_id(self.stack.clients, props["portgroup"]) if props["portgroup"] \
                else None
        return out

    def handle_create(self) -> None:
        body = {k: v for k, v in self._api_fields(self.properties).items() if v is not None}
        self.resource_id_set(self.client("baremetal").post("/ports", json=body)["uuid"])

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        fields = self._api_fields({k: self.properties[k] for k in prop_diff})
        patch = [{"op": "replace", "path": f"/{k}", "value": v} if v is not None else {"op": "remove", "path": f"/{k}"}
                 for k, v in fields.items()]
        if patch:
            self.client("baremetal").patch(f"/ports/{self.resource_id}", json=patch)

    def resolve_attribute(self, name: str) -> Any:
        if self.resource_id is None:
            return None
        return (self.show() or {}).get(name)


TYPES: list[type[Resource]] = [Port]

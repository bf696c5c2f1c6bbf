"""What the Nova resource types share: lookups by name or id, constraints, property schemas
(heat/engine/clients/os/nova.py, resources/openstack/nova/server.py)."""

from __future__ import annotations

import json
from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError, Clients, constraint
from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop

# --- name resolution and constraints ----------------------------------------------------


def flavor_id(clients: Clients, name_or_id: str) -> str:
    try:
        return str(clients("compute").find("flavors", name_or_id, "flavor", name_filter=False)["id"])
    except ClientError as exc:
        if exc.status == 404:
            raise ClientError(404, f"The Flavor ({name_or_id}) could not be found.") from None
        raise


_check = constraint


def _keypair(clients: Clients, name: str) -> dict[str, Any]:
    try:
        return dict(clients("compute").get(f"/os-keypairs/{name}")["keypair"])
    except ClientError as exc:
        if exc.status == 404:
            raise ClientError(404, f"The Key ({name}) could not be found.") from None
        raise


def _server(clients: Clients, name_or_id: str) -> dict[str, Any]:
    try:
        return clients("compute").find("servers", name_or_id, "server")
    except ClientError as exc:
        if exc.status == 404:
            raise ClientError(404, f"No server with a name or ID of '{name_or_id}' exists.") from None
        raise


CONSTRAINTS = {"nova.flavor": _check(flavor_id), "nova.keypair": _check(_keypair), "nova.server": _check(_server)}


def _network_id(clients: Clients, name_or_id: str) -> str:
    return str(clients("network").find("networks", name_or_id, "network")["id"])


def _meta_serialize(meta: dict[str, Any] | None) -> dict[str, str]:
    """Nova metadata values are strings: Heat JSON-encodes the others (nova plugin meta_serialize)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in (meta or {}).items()}


# --- OS::Nova::Server ----------------------------------------------------------------


def _enum(*values: str) -> list[Any]:
    return [AllowedValues(allowed=list(values))]


_NETWORK_SCHEMA = {
    "uuid": Prop("string", "ID of network to create a port on.", support_status="HIDDEN",
                 constraints=[Custom(name="neutron.network")]),
    "network": Prop("string", "Name or ID of network to create a port on.",
                    constraints=[Custom(name="neutron.network")]),
    "allocate_network": Prop("string", "The special string values of network: auto or none.",
                             constraints=[AllowedValues(allowed=["none", "auto"])]),
    "fixed_ip": Prop("string", "Fixed IP address to specify for the port created on the requested network.",
                     constraints=[Custom(name="ip_addr")]),
    "port": Prop("string", "ID of an existing port to associate with this server.",
                 constraints=[Custom(name="neutron.port")]),
    "port_extra_properties": Prop("map", "Extra properties of the port Heat creates (no port given)."),
    "subnet": Prop("string", "Subnet in which to allocate the IP address for port.",
                   constraints=[Custom(name="neutron.subnet")]),
    "floating_ip": Prop("string", "The ID of the floating IP to associate.",
                        constraints=[Custom(name="neutron.floating_ip")]),
    "tag": Prop("string", "Port tag. Heat ignores any update on this property as nova does not support it."),
}
_BDM_SCHEMA = {
    "device_name": Prop("string", "A device name where the volume will be attached in the system at /dev/device_name."),
    "volume_id": Prop("string", "The ID or name of the volume used as the boot source.",
                      constraints=[Custom(name="cinder.volume")]),
    "snapshot_id": Prop("string", "The ID of the snapshot to create a volume from.",
                        constraints=[Custom(name="cinder.snapshot")]),
    "volume_size": Prop("integer", "The size of the volume, in GB."),
    "delete_on_termination": Prop("boolean", "Indicate whether the volume should be deleted when the server "
                                  "is terminated."),
}
_BDM_V2_SCHEMA = {
    **_BDM_SCHEMA,
    "image_id": Prop("string", "The ID of the image to create a volume from.", support_status="HIDDEN",
                     constraints=[Custom(name="glance.image")]),
    "image": Prop("string", "The ID or name of the image to create a volume from.",
                  constraints=[Custom(name="glance.image")]),
    "swap_size": Prop("integer", "The size of the swap, in MB."),
    "ephemeral_size": Prop("integer", "The size of the local ephemeral block device, in GB."),
    "ephemeral_format": Prop("string", "The format of the local ephemeral block device.",
                             constraints=_enum("ext2", "ext3", "ext4", "xfs", "ntfs")),
    "device_type": Prop("string", "Device type: disk or cdrom.", constraints=_enum("cdrom", "disk")),
    "disk_bus": Prop("string", "Bus of the device: hypervisor driver chooses a suitable default if omitted.",
                     constraints=_enum("ide", "lame_bus", "scsi", "usb", "virtio")),
    "boot_index": Prop("integer", "Integer used for ordering the boot disks."),
}

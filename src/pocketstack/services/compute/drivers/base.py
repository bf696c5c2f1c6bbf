"""The compute driver seam: what the compute manager and the API ask of a hypervisor (nova.virt.driver's
ComputeDriver, cut down to what pocketstack's one host needs). The API, the database and the jobs never
know which driver runs; `drivers.current()` is the one the `compute:` config section selects."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from pocketstack.core.clock import utcnow
from pocketstack.core.errors import BadRequest, Conflict, NotImplementedYet
from pocketstack.core.internal_client import Auth

Server = dict[str, Any]  # a row of compute's servers table


class ConsoleTypeUnavailable(BadRequest):
    """Nova's ConsoleTypeUnavailable: the API answers 400 with this message (from another host too)."""

    def __init__(self, console_type: str) -> None:
        super().__init__(f"Unavailable console type {console_type}.")


class ConsoleTypeInvalid(BadRequest):
    """Nova's ConsoleTypeInvalid (a type the protocol has no more, e.g. xvpvnc): 400 with this message."""

    def __init__(self, console_type: str) -> None:
        super().__init__(f"Invalid console type {console_type}")


class GuestAgentNotEnabled(Conflict):
    """Nova's QemuGuestAgentNotEnabled (an InstanceAgentNotEnabled): changePassword answers 409."""

    def __init__(self) -> None:
        super().__init__("QEMU guest agent is not enabled")


class SetPasswordNotImplemented(NotImplementedYet):
    """The driver or guest cannot set a password (nova's NotImplementedError): changePassword answers 501."""

    def __init__(self) -> None:
        super().__init__("Unable to set password on instance")


class RemoteConsole(TypedDict):
    """A console the driver opened: the URL the user gets, the token in it, and the connection behind it
    (nova's ConsoleAuthToken fields, shown by /os-console-auth-tokens/{token}). A plain dict: it comes back
    from another host as JSON."""
    url: str
    token: str
    host: str | None
    port: int
    internal_access_path: str | None
    tls_port: int | None


# the console types each protocol has (nova's compute manager: any other type for the protocol is
# ConsoleTypeInvalid; xvpvnc is gone since Ussuri, spice-direct needs 2.99, past our newest version)
CONSOLE_TYPES = {"vnc": ("novnc",), "spice": ("spice-html5", "spice-direct"), "serial": ("serial",), "rdp": ("rdp-html5",),
                 "mks": ("webmks",)}


def check_console_type(protocol: str, console_type: str) -> None:
    """Nova's ConsoleTypeInvalid, raised once the protocol's console is known to be enabled."""
    if console_type not in CONSOLE_TYPES.get(protocol, ()):
        raise ConsoleTypeInvalid(console_type)


@dataclass
class HostResources:
    """What the resource tracker reports for the host (nova's get_available_resource), before
    allocation ratios and reservations, which are the operator's (config) and Placement's business."""
    vcpus: int
    memory_mb: int
    local_gb: int
    hypervisor_type: str
    hypervisor_version: int
    cpu_info: dict[str, Any] = field(default_factory=dict)


def machine_uptime() -> str | None:
    """What `uptime` prints for this machine (without the user count), from /proc/uptime and the load
    average; None when /proc cannot be read."""
    try:
        with open("/proc/uptime") as f:
            seconds = int(float(f.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return None
    days, rest = divmod(seconds, 86400)
    hours, minutes = divmod(rest // 60, 60)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    up = (f"{days} day{'s' if days != 1 else ''}, " if days else "") + f"{hours:2d}:{minutes:02d}"
    return f" {utcnow():%H:%M:%S} up {up},  load average: {load}"


class ComputeDriver(Protocol):
    name: str
    moves_guests: bool          # guests can move between hosts (cold, live migration, evacuation)
    swaps_volumes: bool         # swap_volume works (nova's driver capability; the API refuses it otherwise)
    rescues_volume_backed: bool  # stable device rescue of a volume-backed server (nova's COMPUTE_RESCUE_BFV)

    # --- lifecycle ------------------------------------------------------------------------
    def spawn(self, server: Server, token: Auth | None) -> None: ...
    def destroy(self, server: Server, token: Auth | None) -> None: ...
    def power_off(self, server: Server) -> None: ...
    def power_on(self, server: Server) -> None: ...
    def reboot(self, server: Server, hard: bool) -> None: ...
    def pause(self, server: Server) -> None: ...
    def unpause(self, server: Server) -> None: ...
    def suspend(self, server: Server) -> None: ...
    def resume(self, server: Server) -> None: ...
    def rescue(self, server: Server, token: Auth | None, image_id: str | None = None) -> None:
        """Boot the rescue image (`image_id`, else the server's own) with the server's disks kept attached."""

    def unrescue(self, server: Server) -> None: ...
    def resize(self, server: Server, flavor: dict[str, Any]) -> None: ...
    def confirm_resize(self, server: Server) -> None: ...
    def revert_resize(self, server: Server) -> None: ...
    def rebuild(self, server: Server, image_id: str | None, token: Auth | None,
                reimage: Callable[[], None] | None = None) -> None:
        """The guest again from `image_id`; a volume-backed server has none (None): its root volume is
        rewritten by `reimage`, which the driver calls while the guest is down (nova 2.93)."""

    def trigger_crash_dump(self, server: Server) -> None:
        """An NMI to the guest (nova's libvirt inject_nmi)."""

    def snapshot(self, server: Server, image_id: str, token: Auth | None) -> None:
        """Upload the server's root disk into the (queued) image `image_id`."""

    # --- devices --------------------------------------------------------------------------
    def attach_volume(self, server: Server, volume_id: str, device: str, *, shareable: bool = False) -> None:
        """Plug the volume into the guest; `shareable`: a multiattach volume other guests may hold too."""
    def detach_volume(self, server: Server, volume_id: str, device: str) -> None: ...

    def swap_volume(self, server: Server, old: dict[str, Any], new: dict[str, Any], device: str) -> None:
        """The guest's disk at `device` copied from the old volume's connection (Cinder's connection info
        data) to the new one's, and the guest switched to it (nova's libvirt swap_volume: a block copy,
        then the pivot)."""
    def attach_interface(self, server: Server, port: dict[str, Any]) -> None: ...
    def detach_interface(self, server: Server, port_id: str) -> None: ...

    # --- consoles -------------------------------------------------------------------------
    def console_output(self, server: Server) -> list[str]:
        """The guest's serial console log, one string per line, oldest first."""

    def remote_console(self, server: Server, protocol: str, console_type: str, base_url: str) -> RemoteConsole:
        """A new console token and the URL that opens the console with it; raises ConsoleTypeUnavailable
        when there is none of that type."""

    def set_admin_password(self, server: Server, password: str) -> None:
        """The guest's admin password (nova's set_admin_password); GuestAgentNotEnabled or
        SetPasswordNotImplemented when the guest cannot take one."""

    # --- the host -------------------------------------------------------------------------
    def host_resources(self) -> HostResources: ...

    def host_uptime(self) -> str:
        """What `uptime` prints on the host (os-hypervisors/{id}/uptime)."""

    def power_states(self, servers: list[Server]) -> dict[str, int]:
        """Power-state sync: the hypervisor's power state of each server it knows (nova's
        _sync_power_states); a server missing from the answer has no guest."""

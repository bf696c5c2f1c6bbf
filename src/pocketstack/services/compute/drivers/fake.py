"""The fake compute driver, the default and the seam's reference implementation: instant, no
privileges, and honest about being simulated (nova/virt/fake.py's role). No guest runs: every
lifecycle call is bookkeeping the manager already does in the database; the host's capacity is what
the `compute:` config section says (vcpus, memory_mb, local_gb); `hypervisor_type` is `fake`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pocketstack.core import hosts, internal_client
from pocketstack.core.ids import new_uuid
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute.drivers.base import (
    ConsoleTypeUnavailable, HostResources, RemoteConsole, Server, check_console_type, machine_uptime)

# the simulated host's default size (64 vCPUs, 256 GiB, 2 TiB), overridable in the `compute:` section
CAPACITY = {"vcpus": 64, "memory_mb": 262144, "local_gb": 2048}
CHUNK = 4 << 20  # swap_volume's copy
VERSION = 1000  # nova's fake driver: versionutils.convert_version_to_int("1.0")
# nova.conf's console sections and their defaults: only [vnc] is enabled out of the box
CONSOLES = {"vnc": True, "spice": False, "serial_console": False, "rdp": False, "mks": False}
SECTION = {"vnc": "vnc", "spice": "spice", "serial": "serial_console", "rdp": "rdp", "mks": "mks"}
# where each console type's URL leads (a page of the compute API that says there is no console)
PAGES = {"novnc": "vnc_lite.html", "spice-html5": "spice_auto.html", "rdp-html5": "rdp.html",
         "webmks": "mks.html", "serial": "serial.html"}
# the port a console of each protocol would have first on a libvirt host (5900 + display; [serial_console]
# port_range starts at 10000): the connection a token stands for, though nothing listens on a fake host
PORTS = {"vnc": 5900, "spice": 5900, "rdp": 3389, "mks": 902, "serial": 10000}


def console_log(server: Server) -> list[str]:
    """The fake driver's console log: what is true of this server, and no boot line, since nothing boots.
    It ends with the plain statement, so any tail of it (`length`) still says so."""
    flavor = (server.get("flavor") or {}).get("original_name", server.get("flavor_id"))
    return [
        f"pocketstack compute driver: fake, on compute host {hosts.NAME}",
        f"server {server['id']} (instance {server['instance_name']}, hostname {server['hostname']})",
        f"image {server['image_id'] or '(none: boot from volume)'}, flavor {flavor}",
        "This host is simulated: no guest runs, so nothing boots and nothing writes to a serial console.",
        "No line of this log came from a guest.",
    ]


class FakeDriver:
    name = "fake"
    moves_guests = True         # a guest is its rows: cold and live migration and evacuation between hosts
    swaps_volumes = True        # the volumes' bytes are copied, as the hypervisor's block copy would
    rescues_volume_backed = True  # nova's fake driver reports COMPUTE_RESCUE_BFV too

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        options = options or {}
        self.capacity = {k: int(options.get(k, v)) for k, v in CAPACITY.items()}
        self.consoles = {k: bool((options.get(k) or {}).get("enabled", v)) if isinstance(options.get(k), dict)
                         else v for k, v in CONSOLES.items()}

    # --- lifecycle: the database is the whole state of a fake guest -----------------------
    def spawn(self, server: Server, token: Auth | None) -> None:
        pass

    def destroy(self, server: Server, token: Auth | None) -> None:
        pass

    def power_off(self, server: Server) -> None:
        pass

    def power_on(self, server: Server) -> None:
        pass

    def reboot(self, server: Server, hard: bool) -> None:
        pass

    def pause(self, server: Server) -> None:
        pass

    def unpause(self, server: Server) -> None:
        pass

    def suspend(self, server: Server) -> None:
        pass

    def resume(self, server: Server) -> None:
        pass

    def rescue(self, server: Server, token: Auth | None, image_id: str | None = None) -> None:
        pass

    def unrescue(self, server: Server) -> None:
        pass

    def resize(self, server: Server, flavor: dict[str, Any]) -> None:
        pass

    def confirm_resize(self, server: Server) -> None:
        pass

    def revert_resize(self, server: Server) -> None:
        pass

    def rebuild(self, server: Server, image_id: str | None, token: Auth | None,
                reimage: Callable[[], None] | None = None) -> None:
        if reimage is not None:
            reimage()

    def trigger_crash_dump(self, server: Server) -> None:
        pass

    def snapshot(self, server: Server, image_id: str, token: Auth | None) -> None:
        """A fake guest never writes to its disk, so its root disk is its image's bytes, unchanged: that
        is what the snapshot uploads (nothing for a server booted from a volume)."""
        data = b""
        if server["image_id"]:
            r = internal_client.call("GET", f"/image/v2/images/{server['image_id']}/file", token=token)
            data = r.content if r.status_code == 200 else b""
        internal_client.call("PUT", f"/image/v2/images/{image_id}/file", token=token, content=data,
                             headers={"Content-Type": "application/octet-stream"})

    # --- devices: recorded by the manager, nothing to plug ---------------------------------
    def attach_volume(self, server: Server, volume_id: str, device: str, *, shareable: bool = False) -> None:
        pass

    def detach_volume(self, server: Server, volume_id: str, device: str) -> None:
        pass

    def swap_volume(self, server: Server, old: dict[str, Any], new: dict[str, Any], device: str) -> None:
        """No guest writes to the disk, but its data moves as libvirt's block copy would move it: the old
        volume's bytes into the new one (whose extra size, if larger, stays zero), in chunks."""
        source, target = old.get("device_path"), new.get("device_path")
        if not source or not target:
            raise NotImplementedError("the fake driver copies only volumes it reaches as files")
        with open(source, "rb") as src, open(target, "r+b") as dst:
            while chunk := src.read(CHUNK):
                here = dst.tell()
                if chunk.count(0) == len(chunk) and dst.read(len(chunk)).count(0) == len(chunk):
                    continue                           # zeros on both sides: the target stays sparse there
                dst.seek(here)
                dst.write(chunk)

    def attach_interface(self, server: Server, port: dict[str, Any]) -> None:
        pass

    def detach_interface(self, server: Server, port_id: str) -> None:
        pass

    # --- consoles --------------------------------------------------------------------------
    def console_output(self, server: Server) -> list[str]:
        return console_log(server)

    def remote_console(self, server: Server, protocol: str, console_type: str, base_url: str) -> RemoteConsole:
        """Nova's rule: a console type whose section is disabled is refused (400). An enabled one (VNC,
        as in nova's defaults) gets a URL whose page says plainly that no guest console exists."""
        if not self.consoles.get(SECTION.get(protocol, protocol), False):
            raise ConsoleTypeUnavailable(console_type)
        check_console_type(protocol, console_type)
        if console_type not in PAGES:        # spice-direct hands out a hypervisor's port: a fake host has none
            raise ConsoleTypeUnavailable(console_type)
        token = new_uuid()
        return RemoteConsole(url=f"{base_url}/compute/{PAGES[console_type]}?path=%3Ftoken%3D{token}", token=token,
                             host=hosts.NAME, port=PORTS[protocol], internal_access_path=None, tls_port=None)

    def set_admin_password(self, server: Server, password: str) -> None:
        """nova's fake driver accepts any password: there is no guest to give it to."""

    # --- the host --------------------------------------------------------------------------
    def host_resources(self) -> HostResources:
        return HostResources(vcpus=self.capacity["vcpus"], memory_mb=self.capacity["memory_mb"],
                             local_gb=self.capacity["local_gb"], hypervisor_type="fake",
                             hypervisor_version=VERSION, cpu_info={})

    def host_uptime(self) -> str:
        """The simulated host runs inside this machine, so this machine's uptime and load are the honest answer."""
        return machine_uptime() or "fake driver: the host is simulated and has no uptime of its own"

    def power_states(self, servers: list[Server]) -> dict[str, int]:
        """A fake guest is whatever the database says it is."""
        return {s["id"]: s["power_state"] for s in servers}

"""The QEMU compute driver: real guests (nova's libvirt driver with virt_type qemu/kvm, without libvirt).
Each server is a daemonized QEMU process started inside the Linux dataplane's integration namespace, its
NICs taps that the dataplane wires to the network's bridge; its disks qcow2 overlays on cached Glance
images; volumes hot-plugged over QMP. QEMU outlives pocketstack: a restart adopts the guests it finds (a
pidfile and QMP sockets in the data dir), and the power-state sync sees the ones that died."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db, internal_client
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute import common
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.drivers.base import (
    ConsoleTypeUnavailable, GuestAgentNotEnabled, HostResources, RemoteConsole, Server, SetPasswordNotImplemented,
    check_console_type, machine_uptime)
from pocketstack.services.compute.drivers.qemu import accel, devices, disks, host, qmp
from pocketstack.services.compute.drivers.qemu.consoles import ConsoleProxy
from pocketstack.services.compute.drivers.qemu.machine import Disk, Guest, Nic, Spec, qemu_version

LOG = logging.getLogger("pocketstack.compute.qemu")
CONSOLE_BYTES = 100 * 1024            # nova's MAX_CONSOLE_BYTES
SWAP_TIMEOUT = 600                     # seconds a volume swap's copy may take before it is given up
STATES = {"running": common.RUNNING, "paused": common.PAUSED, "suspended": common.SUSPENDED,
          "shutdown": common.SHUTDOWN, "guest-panicked": common.CRASHED, "internal-error": common.CRASHED,
          "io-error": common.PAUSED, "inmigrate": common.PAUSED, "postmigrate": common.PAUSED,
          "finish-migrate": common.PAUSED, "prelaunch": common.PAUSED, "restore-vm": common.PAUSED}


class QemuDriver:
    name = "qemu"
    moves_guests = False        # a guest's disk and process live on its host: no migration between hosts yet
    swaps_volumes = True        # blockdev-mirror onto the new volume, then the pivot
    rescues_volume_backed = False  # the rescue disk takes the root's place: no volume-backed rescue

    def __init__(self, options: dict[str, Any], data_dir: Path, cloud_name: str,
                 listen_host: str = "127.0.0.1") -> None:
        self.root = Path(data_dir) / "compute" / "qemu"
        self.root.mkdir(parents=True, exist_ok=True)
        self.netns = f"ps-{cloud_name}-int"     # the dataplane's integration namespace (its names.py)
        self.shutdown_timeout = float(options.get("shutdown_timeout", 60))       # nova's shutdown_timeout
        self.vif_plugging_timeout = float(options.get("vif_plugging_timeout", 300))
        self.detach_timeout = float(options.get("device_detach_timeout", 20))
        self.version_text, self.version = qemu_version()
        self.accel = accel.decide(shutil.which("qemu-system-x86_64") or "qemu-system-x86_64",
                                  self.root / "accel.json", options.get("accel"))
        self.options = options
        self.consoles = ConsoleProxy(self.root, str(options.get("console_proxy_host") or listen_host),
                                     int(options.get("console_proxy_port") or 6080))
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        adopted = [g.server_id for g in self.guests() if g.running()]
        LOG.info("qemu driver: accelerator %s, QEMU %s, %d running guest(s) adopted%s", self.accel,
                 self.version_text, len(adopted), f": {', '.join(adopted)}" if adopted else "")

    # --- helpers ---------------------------------------------------------------------------
    def guest(self, server: Server | str) -> Guest:
        return Guest(self.root, server if isinstance(server, str) else server["id"])

    def guests(self) -> list[Guest]:
        return [Guest(self.root, p.name) for p in self.root.iterdir() if p.is_dir() and p.name != "_base"]

    def lock(self, server_id: str) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(server_id, threading.RLock())

    def spec(self, server: Server, flavor: dict[str, Any] | None = None, **kw: Any) -> Spec:
        """What the server is now (flavor, disks, ports and volumes from the database), as a QEMU process."""
        flavor = flavor or server["flavor"]
        g = self.guest(server)
        with db.reader() as conn:
            ports = conn.execute(sa.select(t.server_ports).where(t.server_ports.c.server_id == server["id"])
                                 .order_by(t.server_ports.c.position)).mappings().all()
            vols = conn.execute(sa.select(t.volume_attachments).where(
                t.volume_attachments.c.server_id == server["id"])).mappings().all()
        vols = sorted(vols, key=lambda v: (len(v["device"]), v["device"]))
        found: list[Disk] = []
        if g.rescue_disk.exists():
            found.append(Disk(g.rescue_disk, "qcow2", "disk-rescue"))
        if g.disk.exists():
            found.append(Disk(g.disk, "qcow2", "disk-root"))
        for suffix, node in (("eph0", "disk-eph0"), ("swap", "disk-swap")):
            if (g.dir / f"disk.{suffix}").exists():
                found.append(Disk(g.dir / f"disk.{suffix}", "raw", node))
        for v in vols:
            d = Disk(disks.volume_path(server["project_id"], v["volume_id"]), "raw", "vol-" + v["volume_id"][:20],
                     serial=v["volume_id"], shareable=bool(v["multiattach"]))
            if v["boot_index"] == 0 and not server["image_id"]:
                found.insert(1 if g.rescue_disk.exists() else 0, d)
            else:
                found.append(d)
        if (g.dir / "disk.config").exists():
            found.append(Disk(g.dir / "disk.config", "raw", "disk-config", readonly=True, media="cdrom"))
        return Spec(server["id"], server["instance_name"], int(flavor["ram"]), int(flavor["vcpus"]), found,
                    [Nic(p["port_id"], p["mac_address"]) for p in ports], **kw)

    def launch(self, server: Server, flavor: dict[str, Any] | None = None, wait_ports: bool = False,
               incoming: Path | None = None) -> None:
        g = self.guest(server)
        if g.running():
            return
        spec = self.spec(server, flavor, paused=wait_ports, incoming=incoming)
        g.launch(spec, self.accel, self.version_text, self.netns)
        if wait_ports:
            self.wait_for_ports(server, [n.port_id for n in spec.nics])
            qmp.call(g.qmp_sock, "cont")

    def wait_for_ports(self, server: Server, port_ids: list[str]) -> None:
        """Nova's wait for network-vif-plugged: the guest stays paused (-S) until the dataplane has wired
        every port (status ACTIVE), so its first DHCP request is not lost; fatal after the timeout."""
        deadline, waiting = time.monotonic() + self.vif_plugging_timeout, set(port_ids)
        while waiting:
            for port_id in list(waiting):
                r = internal_client.call("GET", f"/networking/v2.0/ports/{port_id}", token=disks.token())
                if r.status_code == 200 and r.json()["port"]["status"] == "ACTIVE":
                    waiting.discard(port_id)
            with db.reader() as conn:
                now = conn.execute(sa.select(t.servers.c.deleted, t.servers.c.task_state).where(
                    t.servers.c.id == server["id"])).first()
            if now is None or now.deleted or now.task_state == "deleting":
                self.guest(server).kill()
                raise RuntimeError(f"server {server['id']} was deleted while it was being built")
            if waiting and time.monotonic() > deadline:
                self.guest(server).kill()
                raise RuntimeError(f"Virtual Interface creation failed: ports {sorted(waiting)} of server "
                                   f"{server['id']} were not plugged within {self.vif_plugging_timeout}s")
            if waiting:
                time.sleep(0.2)

    def make_disks(self, server: Server, image_id: str | None, flavor: dict[str, Any]) -> None:
        g = self.guest(server)
        g.dir.mkdir(parents=True, exist_ok=True)
        if image_id:
            disks.overlay(self.root, image_id, g.disk, int(flavor.get("disk") or 0))
        if int(flavor.get("ephemeral") or 0):
            disks.ephemeral(g.dir / "disk.eph0", int(flavor["ephemeral"]))
        if int(flavor.get("swap") or 0):
            disks.swap(g.dir / "disk.swap", int(flavor["swap"]))
        if str(server.get("config_drive") or "").lower() in ("true", "1", "yes", "true"):
            from pocketstack.services.compute import config_drive    # pycdlib, loaded only when asked for
            config_drive.build(server, g.dir / "disk.config")      # spec() attaches it as a cdrom (nova's ide)

    def boot_image(self, server: Server) -> str | None:
        """Unshelve boots from the shelved snapshot; everything else from the server's image."""
        if server.get("shelved_image_id") and server.get("vm_state") in ("shelved", "shelved_offloaded"):
            return str(server["shelved_image_id"])
        return server["image_id"] or None

    # --- lifecycle -------------------------------------------------------------------------
    def spawn(self, server: Server, token: Auth | None) -> None:
        with self.lock(server["id"]):
            g = self.guest(server)
            if g.running():                                # a retried build job: the guest is there
                if g.status() == "prelaunch":              # still waiting for its ports (-S)
                    self.wait_for_ports(server, [n.port_id for n in self.spec(server).nics])
                    qmp.call(g.qmp_sock, "cont")
                return
            self.make_disks(server, self.boot_image(server), server["flavor"])
            self.launch(server, wait_ports=True)

    def destroy(self, server: Server, token: Auth | None) -> None:
        with self.lock(server["id"]):
            g = self.guest(server)
            g.kill()
            shutil.rmtree(g.dir, ignore_errors=True)
            shutil.rmtree(g.run, ignore_errors=True)

    def power_off(self, server: Server) -> None:
        """Nova's clean shutdown: the ACPI power button, then hard after shutdown_timeout seconds."""
        with self.lock(server["id"]):
            g = self.guest(server)
            if g.running() and not g.powerdown(self.shutdown_timeout):
                LOG.info("server %s did not shut down within %ss: powering it off", server["id"],
                         self.shutdown_timeout)
            g.kill()

    def power_on(self, server: Server) -> None:
        with self.lock(server["id"]):
            self.launch(server)

    def reboot(self, server: Server, hard: bool) -> None:
        """Soft: ACPI shutdown and start again, hard when the guest ignores it (nova's _soft_reboot falls
        back to _hard_reboot); hard: the process is replaced by a new one from the current definition."""
        with self.lock(server["id"]):
            g = self.guest(server)
            if not hard and g.running() and not g.powerdown(self.shutdown_timeout):
                LOG.info("soft reboot of %s timed out: rebooting hard", server["id"])
            g.kill()
            self.launch(server)

    def pause(self, server: Server) -> None:
        with self.lock(server["id"]):
            qmp.call(self.guest(server).qmp_sock, "stop")

    def unpause(self, server: Server) -> None:
        with self.lock(server["id"]):
            qmp.call(self.guest(server).qmp_sock, "cont")

    def suspend(self, server: Server) -> None:
        """Nova's managedSave: the machine state migrated into a file, then the process ends."""
        with self.lock(server["id"]):
            g = self.guest(server)
            g.state_file.unlink(missing_ok=True)
            with qmp.Qmp(g.qmp_sock, timeout=30) as q:
                q.execute("stop")
                q.execute("migrate", uri=f"exec:cat > {g.state_file}")
                deadline = time.monotonic() + 600
                while (status := q.execute("query-migrate").get("status")) not in ("completed", "failed"):
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                if status != "completed":
                    q.execute("cont")
                    raise RuntimeError(f"suspend of {server['id']} failed: migration {status}")
            g.kill()

    def resume(self, server: Server) -> None:
        with self.lock(server["id"]):
            g = self.guest(server)
            if not g.state_file.exists():
                self.launch(server)
                return
            self.launch(server, incoming=g.state_file)
            deadline = time.monotonic() + 600
            while g.status() in ("inmigrate", "restore-vm") and time.monotonic() < deadline:
                time.sleep(0.1)
            if g.status() == "paused":
                qmp.call(g.qmp_sock, "cont")
            g.state_file.unlink(missing_ok=True)

    def rescue(self, server: Server, token: Auth | None, image_id: str | None = None) -> None:
        """Boot a fresh overlay of the rescue image (else the server's own), with the server's own disk as the
        second disk."""
        with self.lock(server["id"]):
            image_id = image_id or server["image_id"]
            if not image_id:
                raise RuntimeError("Cannot rescue a volume-backed instance")
            g = self.guest(server)
            g.kill()
            disks.overlay(self.root, image_id, g.rescue_disk, int(server["flavor"].get("disk") or 0))
            self.launch(server)

    def unrescue(self, server: Server) -> None:
        with self.lock(server["id"]):
            g = self.guest(server)
            g.kill()
            g.rescue_disk.unlink(missing_ok=True)
            self.launch(server)

    def resize(self, server: Server, flavor: dict[str, Any]) -> None:
        """Nova's same-host resize: shut down, keep the old disk aside, grow the root disk, start with the
        new RAM and vCPUs (if the server was running)."""
        with self.lock(server["id"]):
            g = self.guest(server)
            was_running = g.running()
            if was_running and not g.powerdown(self.shutdown_timeout):
                LOG.info("server %s did not shut down for its resize: powering it off", server["id"])
            g.kill()
            if g.disk.exists():
                shutil.copy2(g.disk, g.resize_backup)
                disks.grow(g.disk, int(flavor.get("disk") or 0))
            if int(flavor.get("ephemeral") or 0) and not (g.dir / "disk.eph0").exists():
                disks.ephemeral(g.dir / "disk.eph0", int(flavor["ephemeral"]))
            if server["vm_state"] != "stopped":
                self.launch(server, flavor)

    def confirm_resize(self, server: Server) -> None:
        self.guest(server).resize_backup.unlink(missing_ok=True)

    def revert_resize(self, server: Server) -> None:
        with self.lock(server["id"]):
            g = self.guest(server)
            old = server.get("old_flavor") or server["flavor"]
            g.kill()
            if g.resize_backup.exists():
                g.resize_backup.replace(g.disk)
            if old.get("prior_vm_state", "active") != "stopped":
                self.launch(server, old)

    def rebuild(self, server: Server, image_id: str | None, token: Auth | None,
                reimage: Callable[[], None] | None = None) -> None:
        with self.lock(server["id"]):
            g = self.guest(server)
            was_stopped = server["vm_state"] == "stopped"
            if g.running() and not g.powerdown(min(self.shutdown_timeout, 10)):
                pass
            g.kill()
            if reimage is not None:
                reimage()
            self.make_disks(server, image_id, server["flavor"])
            if not was_stopped:
                self.launch(server)

    def trigger_crash_dump(self, server: Server) -> None:
        with self.lock(server["id"]):
            qmp.call(self.guest(server).qmp_sock, "inject-nmi")

    def snapshot(self, server: Server, image_id: str, token: Auth | None) -> None:
        """The root disk as a standalone qcow2, taken while the guest's CPUs are stopped (QMP stop flushes
        its writes), uploaded into the queued image."""
        with self.lock(server["id"]):
            g = self.guest(server)
            if server["image_id"]:
                source: Path | str = g.disk
                fmt = "qcow2"
            else:
                with db.reader() as conn:
                    boot = conn.execute(sa.select(t.volume_attachments.c.volume_id).where(
                        t.volume_attachments.c.server_id == server["id"],
                        t.volume_attachments.c.boot_index == 0)).scalar()
                if boot is None:
                    raise RuntimeError(f"server {server['id']} has no root disk to snapshot")
                source, fmt = disks.volume_path(server["project_id"], boot), "raw"
            status = g.status()
            if status == "running":
                qmp.call(g.qmp_sock, "stop")
            try:
                disks.upload_snapshot(source, fmt, image_id, token, workdir=g.dir)
            finally:
                if status == "running":
                    qmp.call(g.qmp_sock, "cont")

    # --- devices: live over QMP; a guest that is not running gets them from the database when it starts ---
    def attach_volume(self, server: Server, volume_id: str, device: str, *, shareable: bool = False) -> None:
        with self.lock(server["id"]):
            if (g := self.guest(server)).running():
                devices.plug_volume(g, volume_id, disks.volume_path(server["project_id"], volume_id), shareable)

    def detach_volume(self, server: Server, volume_id: str, device: str) -> None:
        with self.lock(server["id"]):
            if (g := self.guest(server)).running():
                devices.unplug_volume(g, volume_id, self.detach_timeout)

    def swap_volume(self, server: Server, old: dict[str, Any], new: dict[str, Any], device: str) -> None:
        """A running guest's disk is mirrored and pivoted (devices.mirror_volume); a guest that does not run
        gets the bytes copied with qemu-img, and reads the new volume from the database when it starts."""
        old_path, new_path = disks.attached_source(old), disks.attached_source(new)
        with self.lock(server["id"]):
            if (g := self.guest(server)).running():
                devices.mirror_volume(g, old["volume_id"], new["volume_id"], new_path, SWAP_TIMEOUT)
            else:
                disks.copy_raw(old_path, new_path)

    def attach_interface(self, server: Server, port: dict[str, Any]) -> None:
        with self.lock(server["id"]):
            if (g := self.guest(server)).running():
                devices.plug_nic(g, port)

    def detach_interface(self, server: Server, port_id: str) -> None:
        with self.lock(server["id"]):
            if (g := self.guest(server)).running():
                devices.unplug_nic(g, port_id, self.detach_timeout)

    # --- consoles ----------------------------------------------------------------------------
    def console_output(self, server: Server) -> list[str]:
        """The guest's serial log (its last 100 KiB, as nova's libvirt driver caps it)."""
        path = self.guest(server).console_log
        try:
            with open(path, "rb") as f:
                f.seek(max(0, path.stat().st_size - CONSOLE_BYTES))
                data = f.read()
        except OSError:
            return []
        return data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").splitlines()

    def remote_console(self, server: Server, protocol: str, console_type: str, base_url: str) -> RemoteConsole:
        """noVNC and the serial console through websockify; SPICE, RDP and MKS are not wired (nova's 400 for a
        console whose section is disabled), nor is any console when Debian's websockify is missing."""
        if protocol not in ("vnc", "serial") or not self.consoles.available():
            raise ConsoleTypeUnavailable(console_type)
        check_console_type(protocol, console_type)
        g = self.guest(server)
        if not g.running():
            raise ConsoleTypeUnavailable(console_type)
        return self.consoles.open(base_url, console_type, g.serial_sock if console_type == "serial" else g.vnc_sock)

    def set_admin_password(self, server: Server, password: str) -> None:
        """nova's libvirt driver: without the image's hw_qemu_guest_agent, QemuGuestAgentNotEnabled (409); with
        it, the agent would take the password, but no guest agent channel is wired here, which libvirt
        reports as an unresponsive agent (nova's NotImplementedError: 501)."""
        agent = (server.get("image_properties") or {}).get("hw_qemu_guest_agent", "")
        if str(agent).lower() not in ("true", "yes", "1", "on"):
            raise GuestAgentNotEnabled()
        raise SetPasswordNotImplemented()

    # --- the host ------------------------------------------------------------------------------
    def host_resources(self) -> HostResources:
        return host.resources(self.root, self.version, self.accel)

    def host_uptime(self) -> str:
        return machine_uptime() or "the host's /proc/uptime could not be read"

    def power_states(self, servers: list[Server]) -> dict[str, int]:
        """QMP query-status of each guest (on its own monitor socket); a server whose directory is there but
        whose process is not is SHUTDOWN; one with no directory has no guest (left out)."""
        states = {}
        for server in servers:
            g = self.guest(server)
            if not g.dir.exists():
                continue
            status = g.status(g.status_sock)
            states[server["id"]] = common.SHUTDOWN if status is None else STATES.get(status, common.NOSTATE)
        return states

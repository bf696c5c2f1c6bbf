"""The Linux dataplane: one reconciler thread makes the kernel match the Networking tables. API changes wake
it; a tick every half second notices devices that something plugged (a test's veth, later a QEMU tap) into
the integration namespace; a full pass every 30 s repairs what went missing (a killed dnsmasq, a deleted
namespace). Every step is idempotent, so the first pass after a start is the rebuild."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.ids import new_uuid
from pocketstack.services.network import common, nova_notifier
from pocketstack.services.network import tables as t
from pocketstack.services.network.dataplane.linux import (
    desired, devices, dhcp, firewall, kernel, metadata, radvd, routers)
from pocketstack.services.network.dataplane.linux.names import Names

LOG = logging.getLogger(__name__)
AGENT_DOWN_TIME = 75          # neutron's agent_down_time
REPAIR_EVERY = 30.0
VIF_PLUGGED = "network-vif-plugged"
# agent_type -> (binary, topic, availability zone, configurations)
AGENTS = {
    "Linux bridge agent": ("neutron-linuxbridge-agent", "N/A", None, {"interface_mappings": {"public": "br-ex"},
                                                                      "firewall_driver": "nftables"}),
    "DHCP agent": ("neutron-dhcp-agent", "dhcp_agent", "nova", {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq"}),
    "L3 agent": ("neutron-l3-agent", "l3_agent", "nova", {"agent_mode": "legacy"}),
    "Metadata agent": ("neutron-metadata-agent", "N/A", None, {"metadata_proxy_socket": "in-process"}),
}


def run_dir(cloud: str) -> Path:
    return Path("/run/pocketstack") / cloud


class LinuxDataplane:
    name = "linux"
    wires_ports = True

    def __init__(self, settings: Any) -> None:
        section = settings.option("network", {}) or {}
        self.names = Names(str(section.get("cloud_name") or "pocket"))
        self.run_dir = run_dir(self.names.cloud)
        meta = section.get("metadata") or {}
        self.metadata_upstream = str(meta.get("url") or "/compute/metadata")
        self.secret = str(meta.get("shared_secret") or self._secret(settings.data_dir))
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.heartbeats: dict[str, float] = {}
        self.state: desired.State | None = None
        self.wired: set[str] = set()
        self.applied: dict[str, Any] = {}           # component -> what was last made of it
        self.proxies: dict[str, metadata.Proxy] = {}
        self.last_full = 0.0
        self.rebuild_seconds: float | None = None
        self.passes = 0

    @staticmethod
    def _secret(data_dir: Path) -> str:
        """metadata_proxy_shared_secret: generated once, kept in the data dir for compute to read."""
        path = Path(data_dir) / "metadata_proxy_shared_secret"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            os.chmod(path, 0o600)
        return path.read_text().strip()

    # --- the seam --------------------------------------------------------------------
    def start(self) -> None:
        """Rebuild from the database in the reconciler thread; the agents turn alive when it is done."""
        self.ensure_agents()
        threading.Thread(target=self.loop, name="dataplane", daemon=True).start()

    def changed(self) -> None:
        self.wake.set()

    def agent_state(self, agent_type: str) -> tuple[bool, float | None]:
        beat = self.heartbeats.get(agent_type)
        return (beat is not None and time.time() - beat < AGENT_DOWN_TIME, beat)

    def ensure_agents(self) -> None:
        """The agents of this dataplane as rows (the fake Open vSwitch agent becomes the Linux bridge agent)."""
        with db.session() as conn:
            rows = {r["agent_type"]: r for r in conn.execute(sa.select(t.agents)).mappings()}
            for kind, (binary, topic, zone, conf) in AGENTS.items():
                values = {"agent_type": kind, "binary": binary, "topic": topic, "availability_zone": zone,
                          "configurations": conf}
                old = rows.get(kind) or (rows.get("Open vSwitch agent") if kind == "Linux bridge agent" else None)
                if old is not None:
                    conn.execute(t.agents.update().where(t.agents.c.id == old["id"]).values(**values))
                else:
                    conn.execute(t.agents.insert().values(id=new_uuid(), host=socket.gethostname(),
                                                          admin_state_up=True, created_at=utcnow(),
                                                          started_at=utcnow(), **values))

    # --- the loop --------------------------------------------------------------------
    def watch_links(self) -> None:
        """`ip monitor link` in the integration namespace: a device plugged or unplugged wakes the loop at
        once (the half-second tick stays as the fallback)."""
        while True:
            try:
                proc = subprocess.Popen(["ip", "-n", self.names.int_ns, "monitor", "link"], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
                assert proc.stdout is not None
                for line in proc.stdout:
                    if " tap" in line:
                        self.wake.set()
                proc.wait()
            except Exception:  # noqa: BLE001 - the tick still notices plugs
                LOG.exception("ip monitor failed")
            time.sleep(1)

    def loop(self) -> None:
        started = time.perf_counter()
        while self.rebuild_seconds is None:
            try:
                self.sync()
            except Exception:  # noqa: BLE001 - retried until the first pass succeeds
                LOG.exception("dataplane rebuild failed")
                time.sleep(1)
                continue
            self.rebuild_seconds = time.perf_counter() - started
            LOG.info("linux dataplane %s rebuilt in %.2fs (%d ports wired)", self.names.cloud,
                     self.rebuild_seconds, len(self.wired))
        threading.Thread(target=self.watch_links, name="dataplane-monitor", daemon=True).start()
        while True:
            woke = self.wake.wait(0.5)
            try:
                if woke:
                    time.sleep(0.005)            # let a burst of API changes land in one pass
                    self.wake.clear()
                    self.sync()
                elif time.monotonic() - self.last_full > REPAIR_EVERY or self.plugged_changed():
                    self.sync()
                else:
                    self.beat("Linux bridge agent", "DHCP agent", "L3 agent", "Metadata agent")
            except Exception:  # noqa: BLE001 - the loop must survive one bad pass; the next one retries
                LOG.exception("dataplane pass failed")
                time.sleep(1)

    def plugged_changed(self) -> bool:
        taps = {name for name in kernel.links(self.names.int_ns) if name.startswith("tap")}
        known = {Names.tap(p) for p in self.wired}
        candidates = {Names.tap(p.id) for p in (self.state.ports.values() if self.state else [])
                      if not p.is_service and p.host}
        return bool((taps & candidates) - known) or bool(known - taps)

    def beat(self, *agents: str) -> None:
        now = time.time()
        for agent in agents:
            self.heartbeats[agent] = now

    def sync(self) -> None:
        with self.lock:
            self.last_full = time.monotonic()
            state = desired.read()
            previous, self.state = self.state, state
            names = self.names
            present = kernel.links(names.int_ns)
            if not present:                                    # first pass, or someone removed it
                kernel.add_namespace(names.int_ns)
                kernel.sysctl(names.int_ns, "net.ipv6.conf.all.disable_ipv6=1",
                              "net.ipv6.conf.default.disable_ipv6=1", *firewall.SYSCTLS)
                self.applied.clear()
                present = kernel.links(names.int_ns)
            lines = []
            for n in state.networks.values():
                bridge = Names.bridge(n.id)
                if bridge not in present or self.applied.get("bridge:" + bridge) != n.mtu:
                    lines += devices.bridge_lines(bridge, n.mtu, present)
                    self.applied["bridge:" + bridge] = n.mtu
            kernel.ip_batch(names.int_ns, lines)
            present = kernel.links(names.int_ns) if lines else present
            self.external(state, present)
            self.beat("Linux bridge agent")
            self.dhcp(state, present)
            self.beat("DHCP agent")
            self.routers(state, present)
            self.beat("L3 agent", "Metadata agent")
            wired = self.ports(state, kernel.links(names.int_ns))
            ruleset = firewall.render(state, wired)
            if self.applied.get("firewall") != ruleset:
                try:
                    kernel.nft(names.int_ns, ruleset)
                    self.applied["firewall"] = ruleset
                except kernel.KernelError as err:     # the previous ruleset stays; the rest of the pass goes on
                    LOG.error("security groups not applied: %s", str(err)[:2000])
            self.statuses(state, wired)
            self.wired = wired
            if previous is None or set(previous.networks) != set(state.networks) or self.passes % 60 == 0 or \
                    {r.id for r in previous.routers.values() if r.admin_state_up} != \
                    {r.id for r in state.routers.values() if r.admin_state_up}:
                self.remove_stale(state, previous)
            self.passes += 1
            LOG.debug("dataplane pass %d: %.3fs", self.passes, time.monotonic() - self.last_full)

    # --- parts -----------------------------------------------------------------------
    def external(self, state: desired.State, present: dict[str, Any]) -> None:
        """The one veth into the machine's namespace: the external network's gateway address (DevStack's
        br-ex 172.24.4.1/24), with forwarding off on it so the machine routes nothing of ours onward."""
        ext = next((n for n in sorted(state.networks.values(), key=lambda n: n.id) if n.external and any(
            s.ip_version == 4 and s.gateway_ip for s in n.subnets)), None)
        dev, peer = self.names.host_dev, self.names.host_peer
        if ext is None:
            kernel.ip(None, "link", "del", dev, check=False)
            return
        subnet = next(s for s in ext.subnets if s.ip_version == 4 and s.gateway_ip)
        key = (ext.id, ext.mtu, subnet.gateway_ip, subnet.prefixlen)
        if self.applied.get("external") == key and peer in present:
            return
        if dev not in kernel.links(None) or peer not in present:
            kernel.ip(None, "link", "del", dev, check=False)
            kernel.ip(None, "link", "add", dev, "type", "veth", "peer", "name", peer, "netns", self.names.int_ns)
            kernel.run("sysctl", "-q", "-w", f"net.ipv4.conf.{dev}.forwarding=0",
                       f"net.ipv6.conf.{dev}.disable_ipv6=1")
        kernel.ip_batch(None, [f"addr replace {subnet.gateway_ip}/{subnet.prefixlen} dev {dev}",
                               f"link set {dev} mtu {ext.mtu} up"])
        kernel.ip(self.names.int_ns, "link", "set", peer, "master", Names.bridge(ext.id), "mtu", str(ext.mtu), "up")
        self.applied["external"] = key

    def dhcp(self, state: desired.State, present: dict[str, Any]) -> None:
        for network in state.networks.values():
            port = next((p for p in state.ports.values() if p.network_id == network.id and p.owner == "network:dhcp"),
                        None)
            if port is None or not any(s.enable_dhcp for s in network.subnets):
                continue
            ns, dev = self.names.dhcp_ns(network.id), Names.inner("ns-", port.id)
            conf_dir = self.run_dir / "dhcp" / network.id
            # an isolated network (no router) gets metadata from its DHCP namespace, as with neutron's
            # enable_isolated_metadata: 169.254.169.254 on the DHCP port, and a DHCP route to it
            isolated = not state.routed(network.id) and any(ip for _, ip in port.ips if ":" not in ip)
            device = repr((network, port.mac, port.ips, isolated))
            content = dhcp.files(state, network, port, metadata=isolated)
            running = dhcp.running_pid(conf_dir)
            if self.applied.get("dhcpdev:" + network.id) != device or not running or \
                    Names.tap(port.id) not in present:
                kernel.add_namespace(ns)
                devices.veth(self.names.int_ns, Names.tap(port.id), Names.bridge(network.id), ns, dev, port.mac,
                             network.mtu, present)
                devices.set_addresses(ns, dev, {routers.cidr_of(state, sid, ip) for sid, ip in port.ips} |
                                      ({f"{routers.METADATA_IP}/32"} if isolated else set()))
                self.applied["dhcpdev:" + network.id] = device
            if self.applied.get("dhcp:" + network.id) != repr(content) or not running:
                dhcp.ensure(ns, conf_dir, dev, network, content)     # a HUP when only the hosts changed
                self.applied["dhcp:" + network.id] = repr(content)
            self.metadata_proxy("network:" + network.id, ns, isolated)

    def metadata_proxy(self, key: str, ns: str, wanted: bool) -> None:
        proxy = self.proxies.get(key)
        if proxy is not None and (not wanted or not proxy.alive()):
            self.proxies.pop(key).stop()
            proxy = None
        if wanted and proxy is None:
            self.proxies[key] = metadata.Proxy(key, ns, self.lookup_instance, self.metadata_upstream, self.secret)

    def routers(self, state: desired.State, present: dict[str, Any]) -> None:
        for router in state.routers.values():
            if not router.admin_state_up:
                continue
            key = repr(router)
            proxy = self.proxies.get("router:" + router.id)
            if self.applied.get("router:" + router.id) != key or proxy is None or not proxy.alive():
                routers.ensure(self.names, state, router, present, self.run_dir / "ra" / router.id)
                self.metadata_proxy("router:" + router.id, self.names.router_ns(router.id), True)
                self.applied["router:" + router.id] = key

    def lookup_instance(self, key: str, source: str) -> tuple[str, str] | None:
        """The instance behind a metadata request: the port with the source address on the networks the
        proxy serves (`router:<id>`: the router's; `network:<id>`: that isolated network)."""
        state = self.state
        if state is None:
            return None
        kind, _, ident = key.partition(":")
        if kind == "network":
            networks = {ident}
        elif ident in state.routers:
            networks = {p.network_id for p in state.routers[ident].interfaces}
        else:
            return None
        for port in state.ports.values():
            if port.network_id in networks and not port.is_service and any(ip == source for _, ip in port.ips):
                return port.device_id, port.project_id
        return None

    def ports(self, state: desired.State, present: dict[str, Any]) -> set[str]:
        """Wire every bound port whose tap device is there: on its bridge, with the network's MTU. A trunk's
        subport is a VLAN device on its parent's tap (named as the subport's own tap, as neutron's linuxbridge
        trunk driver does), so it is wired like any port, onto its own network's bridge."""
        if self.subports(state, present):
            present = kernel.links(self.names.int_ns)
        wired, lines = set(), []
        for port in state.ports.values():
            tap = Names.tap(port.id)
            if port.is_service or not (port.host or port.parent) or tap not in present or \
                    port.network_id not in state.networks:
                continue
            mtu = state.networks[port.network_id].mtu
            if present[tap].get("master") != Names.bridge(port.network_id) or self.applied.get("tap:" + tap) != mtu:
                lines.append(f"link set {tap} master {Names.bridge(port.network_id)} mtu {mtu}")
                self.applied["tap:" + tap] = mtu
            if self.applied.get("qos:" + tap, []) != port.limits:
                try:
                    devices.bandwidth_limits(self.names.int_ns, tap, port.limits)
                    self.applied["qos:" + tap] = port.limits
                except kernel.KernelError as err:
                    LOG.error("QoS of port %s not applied: %s", port.id, err)
            if ("UP" in present[tap].get("flags", [])) != port.admin_state_up:
                lines.append(f"link set {tap} {'up' if port.admin_state_up else 'down'}")
            wired.add(port.id)
        kernel.ip_batch(self.names.int_ns, lines, check=False)    # a device may go while we look
        for key in [k for k in self.applied if k.startswith(("qos:tap", "tap:tap")) and k[4:] not in present]:
            del self.applied[key]                                 # unplugged: a new device starts bare
        return wired

    def subports(self, state: desired.State, present: dict[str, Any]) -> bool:
        """802.1q devices for the subports of trunks whose parent is plugged; those of subports that left
        their trunk (or changed VLAN) removed. Returns whether anything changed."""
        wanted = {Names.tap(p.id): (Names.tap(p.parent), p.vlan) for p in state.ports.values()
                  if p.parent and Names.tap(p.parent) in present}
        if wanted and not kernel.load_vlan():
            if not self.applied.get("novlan"):        # said once: the kernel will not change under us
                LOG.error("trunk subports not wired: this kernel has no 802.1q VLAN devices (modprobe 8021q)")
                self.applied["novlan"] = True
            return False
        lines = []
        for name, link in present.items():
            if (link.get("link") or "").startswith("tap") and name.startswith("tap") and \
                    wanted.get(name) != (link["link"], self.applied.get("vlan:" + name)):
                lines.append(f"link del {name}")
                self.applied.pop("vlan:" + name, None)
        for name, (parent, vlan) in wanted.items():
            if name not in present or f"link del {name}" in lines:
                lines += [f"link add link {parent} name {name} type vlan id {vlan}", f"link set {name} up"]
                self.applied["vlan:" + name] = vlan
        kernel.ip_batch(self.names.int_ns, lines, check=False)
        return bool(lines)

    def statuses(self, state: desired.State, wired: set[str]) -> None:
        """DOWN -> ACTIVE when wired (and network-vif-plugged to compute), ACTIVE -> DOWN when unplugged;
        floating IPs ACTIVE while their router carries them."""
        up = [p for p in state.ports.values() if not p.is_service and p.status != "ACTIVE"
              and p.id in wired and p.admin_state_up]
        down = [p for p in state.ports.values() if not p.is_service and p.status == "ACTIVE" and p.id not in wired]
        carried = {f.id for r in state.routers.values() if r.gw_port for f in r.floating_ips}
        if not (up or down or any(f.status != "ACTIVE" for r in state.routers.values() for f in r.floating_ips
                                  if f.id in carried)):
            return
        with db.session() as conn:
            for port, status in [*((p, "ACTIVE") for p in up), *((p, "DOWN") for p in down)]:
                common.touch(conn, t.ports, port.id, status=status)
            if carried:
                conn.execute(t.floating_ips.update().where(t.floating_ips.c.id.in_(carried),
                                                           t.floating_ips.c.status != "ACTIVE").values(status="ACTIVE"))
        events = [{"name": VIF_PLUGGED, "server_uuid": p.device_id, "tag": p.id, "status": "completed"}
                  for p in up if nova_notifier.is_compute_port({"device_id": p.device_id, "device_owner": p.owner})]
        if events:      # off the reconciler thread: compute's answer must not delay the next pass
            ctx = Context(request_id="dataplane", user_id="neutron", roles=["admin"])
            threading.Thread(target=nova_notifier.send, args=(ctx, events), daemon=True).start()
        for port in up:
            port.status = "ACTIVE"

    def remove_stale(self, state: desired.State, previous: desired.State | None) -> None:
        """Namespaces of deleted networks and routers; bridges of deleted networks; the veths this dataplane
        made for service ports that are gone. A plugged device is its plugger's to remove (nova's, a test's):
        a tap that appears before the port it belongs to is read must survive the pass."""
        routers_ns = {self.names.router_ns(r.id) for r in state.routers.values() if r.admin_state_up}
        dhcp_ns = {self.names.dhcp_ns(n.id) for n in state.networks.values() if any(s.enable_dhcp for s in n.subnets)}
        for ns in kernel.namespaces():
            if self.names.is_dataplane_ns(ns) and ns != self.names.int_ns and ns not in routers_ns | dhcp_ns:
                network_id = ns.removeprefix(self.names.prefix + "qdhcp-")
                dhcp.stop(self.run_dir / "dhcp" / network_id)
                shutil.rmtree(self.run_dir / "dhcp" / network_id, ignore_errors=True)
                router_id = ns.removeprefix(self.names.prefix + "qrouter-")
                radvd.stop(self.run_dir / "ra" / router_id)
                shutil.rmtree(self.run_dir / "ra" / router_id, ignore_errors=True)
                for key in ("router:" + router_id, "network:" + network_id):
                    if key in self.proxies:
                        self.proxies.pop(key).stop()
                kernel.delete_namespace(ns)
                self.applied.pop("dhcp:" + network_id, None)
                self.applied.pop("dhcpdev:" + network_id, None)
                self.applied.pop("router:" + router_id, None)
        bridges = {Names.bridge(n) for n in state.networks}
        gone = {Names.tap(p.id) for p in (previous.ports.values() if previous else []) if p.id not in state.ports
                and p.is_service}
        lines = [f"link del {name}" for name in kernel.links(self.names.int_ns)
                 if (name.startswith("brq") and name not in bridges) or name in gone]
        # quirk: a service port's veth goes with its peer when the namespace deleted above is torn down, which
        # the kernel does after delete_namespace returns: the tap listed here may be gone by the `link del`
        # (-force goes on past it; what is left over is retried by the next pass that gets here)
        kernel.ip_batch(self.names.int_ns, lines, check=False)


def cleanup(cloud: str) -> list[str]:
    """Remove everything of a cloud: its namespaces (with their devices, rules and processes), the external
    veth, the runtime directory. Returns what was removed."""
    names = Names(cloud)
    removed = []
    for ns in sorted(kernel.namespaces()):
        if names.owns(ns):
            kernel.delete_namespace(ns)
            removed.append(f"netns {ns}")
    for pid_file in (run_dir(cloud) / "dhcp").glob("*/pid") if (run_dir(cloud) / "dhcp").exists() else []:
        dhcp.stop(pid_file.parent)
    if names.host_dev in kernel.links(None):
        kernel.ip(None, "link", "del", names.host_dev, check=False)
        removed.append(f"link {names.host_dev}")
    shutil.rmtree(run_dir(cloud), ignore_errors=True)
    return removed

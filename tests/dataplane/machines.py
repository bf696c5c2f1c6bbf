"""Namespaces as stand-in machines (as neutron's fullstack tests do): a veth whose one end is the port's tap
device in the cloud's integration namespace and whose other end, with the port's MAC, is the machine's eth0."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = str(Path(__file__).with_name("probe.py"))


def run(*cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


class Machine:
    def __init__(self, cloud_name: str, name: str) -> None:
        self.cloud_name = cloud_name
        self.ns = f"ps-{cloud_name}-vm-{name}"
        self.servers: list[subprocess.Popen[bytes]] = []
        run("ip", "netns", "add", self.ns)
        run("ip", "-n", self.ns, "link", "set", "lo", "up")

    def plug(self, port: dict) -> None:
        tap = "tap" + port["id"][:11]
        run("ip", "-n", f"ps-{self.cloud_name}-int", "link", "add", tap, "type", "veth", "peer", "name", "eth0",
            "netns", self.ns)
        run("ip", "-n", self.ns, "link", "set", "eth0", "address", port["mac_address"], "up")
        self.mac = port["mac_address"]

    def sh(self, *cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", self.ns, *cmd, check=check, timeout=timeout)

    def probe(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.sh(sys.executable, PROBE, *args, check=check)

    def dhcp(self) -> dict:
        lease = json.loads(self.probe("dhcp", "eth0", self.mac).stdout)
        prefix = sum(bin(int(x)).count("1") for x in lease["mask"].split("."))
        self.sh("ip", "addr", "replace", f"{lease['ip']}/{prefix}", "dev", "eth0")
        if lease.get("router"):
            self.sh("ip", "route", "replace", "default", "via", lease["router"])
        for dest, via in lease.get("routes", []):
            self.sh("ip", "route", "replace", dest, "via", via)
        self.ip = lease["ip"]
        return lease

    def ping(self, address: str, count: int = 1) -> bool:
        return self.sh("ping", "-c", str(count), "-W", "1", address, check=False).returncode == 0

    def serve(self, kind: str, port: int) -> None:
        self.servers.append(subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, PROBE, "serve", kind,
                                              str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def reach(self, kind: str, address: str, port: int) -> bool:
        return self.probe(kind, address, str(port), check=False).returncode == 0

    def remove(self) -> None:
        for server in self.servers:
            server.terminate()
            server.wait(5)
        run("ip", "netns", "delete", self.ns, check=False)

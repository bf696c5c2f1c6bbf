#!/usr/bin/env python3
"""Linux dataplane benchmark (needs root, iproute2, nftables, dnsmasq, iperf3):

    .venv/bin/python bench/dataplane.py                  # 1,000 ports for the wiring and rebuild figures
    .venv/bin/python bench/dataplane.py --ports 200      # quick

A pocketstack with `--dataplane linux` starts on a fresh data dir under its own cloud name. Ports are
created through the API as a compute host would (device_owner compute:nova, then bound with binding:host_id)
and plugged as neutron's fullstack tests do: a veth whose `tap<port>` end goes into the cloud's integration
namespace; the other ends go into one sink namespace. It measures:

- port create -> ACTIVE: from the POST to the first GET that shows ACTIVE, for 1 port at a time and for
  100 ports at once (p50/p99);
- wiring of N ports: plug N veths at once (one `ip -batch`), time until all N are ACTIVE;
- security group rule change -> enforced: from the POST of an ingress rule to the first TCP connect that
  gets through (a prober retries every 2 ms);
- TCP throughput (iperf3, 5 s) between two namespace machines on two networks across a router, against a
  plain veth pair between two namespaces (the machine's own limit);
- rebuild at start with N ports: restart the server over the same kernel state (warm), and after
  `pocketstack dataplane cleanup` (cold: every namespace, bridge and dnsmasq made again from the database).

Everything it made is removed at the end (`pocketstack dataplane cleanup` and its own namespaces).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_cloud, stop_cloud  # noqa: E402
from tests.dataplane.machines import Machine, run  # noqa: E402
from tests.services.network.conftest import Neutron  # noqa: E402

PROBER = """
import socket, sys, time
host, port = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
while True:
    try:
        socket.create_connection((host, port), timeout=0.05).close()
        print(time.time(), flush=True)
        break
    except OSError:
        time.sleep(0.002)
"""


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5) * 1000:.0f} ms, p99 {pct(values, 0.99) * 1000:.0f} ms"


class Bench:
    def __init__(self, ports: int) -> None:
        self.n = ports
        self.name = "b" + uuid.uuid4().hex[:6]
        self.tmp = Path(tempfile.mkdtemp(prefix="pocketstack-bench-dp-"))
        self.extra = {"network": {"dataplane": "linux", "cloud_name": self.name, "quotas": {"port": -1}}}
        self.cloud = start_cloud(self.tmp, options=self.extra)
        self.admin = Neutron(self.cloud.url, self.cloud.token("pocketstack-admin"))
        self.demo = Neutron(self.cloud.url, self.cloud.token("pocketstack"))
        self.int_ns = f"ps-{self.name}-int"
        self.sink = f"ps-{self.name}-vm-sink"
        run("ip", "netns", "add", self.sink)
        self.plugged = 0
        self.results: dict[str, str] = {}

    # --- helpers ---------------------------------------------------------------------
    def wait_ready(self) -> None:
        from tests.dataplane.conftest import wait_ready
        wait_ready(self.cloud)

    def port(self, network_id: str, **extra: Any) -> dict[str, Any]:
        port = self.demo.create("ports", network_id=network_id, device_owner="compute:nova",
                                device_id=str(uuid.uuid4()), **extra)
        r = self.admin.put(f"/ports/{port['id']}", json={"port": {"binding:host_id": "bench"}})
        assert r.status_code == 200, r.text
        return port

    def plug_lines(self, ports: list[dict[str, Any]]) -> list[str]:
        lines = []
        for port in ports:
            self.plugged += 1
            lines.append(f"link add tap{port['id'][:11]} type veth peer name v{self.plugged} netns {self.sink}")
        return lines

    def plug(self, ports: list[dict[str, Any]]) -> None:
        subprocess.run(["ip", "-n", self.int_ns, "-batch", "-"], input="\n".join(self.plug_lines(ports)) + "\n",
                       text=True, check=True)

    def active_times(self, ids: set[str], network_id: str, started: dict[str, float], timeout: float = 300) -> dict:
        done: dict[str, float] = {}
        deadline = time.time() + timeout
        while len(done) < len(ids) and time.time() < deadline:
            r = self.admin.get("/ports", params={"network_id": network_id, "fields": ["id", "status"]})
            now = time.time()
            for p in r.json()["ports"]:
                if p["id"] in ids and p["status"] == "ACTIVE" and p["id"] not in done:
                    done[p["id"]] = now - started[p["id"]]
            time.sleep(0.01)
        assert len(done) == len(ids), f"{len(ids) - len(done)} ports never went ACTIVE"
        return done

    # --- measurements ----------------------------------------------------------------
    def create_to_active(self) -> None:
        net, _ = self.demo.network_with_subnet("10.60.0.0/16")
        singles = []
        for _ in range(20):
            t0 = time.time()
            port = self.port(net["id"])
            self.plug([port])
            singles.append(self.active_times({port["id"]}, net["id"], {port["id"]: t0})[port["id"]])
        self.results["port create -> ACTIVE, 1 port at a time (20 runs)"] = ms(singles)
        started: dict[str, float] = {}

        def one(_: int) -> dict[str, Any]:
            t0 = time.time()
            port = self.port(net["id"])
            started[port["id"]] = t0
            self.plug([port])
            return port

        t0 = time.time()
        with ThreadPoolExecutor(8) as pool:
            ports = list(pool.map(one, range(100)))
        done = self.active_times({p["id"] for p in ports}, net["id"], started)
        self.results["port create -> ACTIVE, 100 ports at once (8 clients)"] = (
            f"{ms(list(done.values()))}; all 100 in {time.time() - t0:.1f} s")

    def wiring(self) -> None:
        net, _ = self.demo.network_with_subnet("10.61.0.0/16")
        ports = []
        for i in range(0, self.n, 100):
            body = [{"network_id": net["id"], "device_owner": "compute:nova", "device_id": str(uuid.uuid4())}
                    for _ in range(min(100, self.n - i))]
            r = self.demo.post("/ports", json={"ports": body})
            ports += r.json()["ports"]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: self.admin.put(f"/ports/{p['id']}", json={"port": {"binding:host_id": "b"}}),
                          ports))
        time.sleep(1)
        t0 = time.time()
        self.plug(ports)
        plugged = time.time() - t0
        done = self.active_times({p["id"] for p in ports}, net["id"], {p["id"]: t0 for p in ports})
        self.results[f"wiring of {self.n} ports (plug all at once -> all ACTIVE)"] = (
            f"{max(done.values()):.2f} s (veths made in {plugged:.2f} s)")

    def machines(self) -> tuple[Machine, Machine, dict[str, Any]]:
        private = self.demo.get("/networks", params={"name": "private"}).json()["networks"][0]
        router = self.demo.get("/routers", params={"name": "router1"}).json()["routers"][0]
        net2, sub2 = self.demo.network_with_subnet("10.9.0.0/24")
        self.demo.put(f"/routers/{router['id']}/add_router_interface", json={"subnet_id": sub2["id"]})
        web = self.demo.create("security-groups", name="web")
        vm1, vm2 = Machine(self.name, "a"), Machine(self.name, "b")
        for vm, net, groups in ((vm1, private, None), (vm2, net2, [web["id"]])):
            port = self.port(net["id"], **({"security_groups": groups} if groups else {}))
            vm.plug(port)
            self.active_times({port["id"]}, net["id"], {port["id"]: time.time()})
            vm.dhcp()
        return vm1, vm2, web

    def sg_latency(self, vm1: Machine, vm2: Machine, web: dict[str, Any]) -> None:
        vm2.serve("tcp", 7000)
        times = []
        for i in range(10):
            deadline = time.time() + 10
            while vm1.reach("tcp", vm2.ip, 7000) and time.time() < deadline:   # the last delete, enforced
                time.sleep(0.05)
            prober = subprocess.Popen(["ip", "netns", "exec", vm1.ns, sys.executable, "-c", PROBER, vm2.ip, "7000"],
                                      stdout=subprocess.PIPE, text=True)
            assert prober.stdout.readline().strip() == "ready"
            time.sleep(0.2)
            assert prober.poll() is None, f"run {i}: the port was open before the rule"
            t0 = time.time()
            rule = self.demo.create("security-group-rules", security_group_id=web["id"], direction="ingress",
                                    ethertype="IPv4", protocol="tcp", port_range_min=7000, port_range_max=7000)
            times.append(float(prober.stdout.readline()) - t0)
            prober.wait()
            self.demo.delete(f"/security-group-rules/{rule['id']}")
        self.results["security group rule change -> enforced (10 runs)"] = ms(times)

    def throughput(self, vm1: Machine, vm2: Machine, web: dict[str, Any]) -> None:
        self.demo.create("security-group-rules", security_group_id=web["id"], direction="ingress",
                         ethertype="IPv4", protocol="tcp", port_range_min=5201, port_range_max=5201)
        time.sleep(0.5)
        across = iperf(vm1.ns, vm2.ns, vm2.ip)
        a, b = f"ps-{self.name}-vm-pa", f"ps-{self.name}-vm-pb"
        for ns in (a, b):
            run("ip", "netns", "add", ns)
        run("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
        for ns, ip in ((a, "192.168.250.1/24"), (b, "192.168.250.2/24")):
            run("ip", "-n", ns, "addr", "add", ip, "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
        plain = iperf(a, b, "192.168.250.2")
        for ns in (a, b):
            run("ip", "netns", "delete", ns)
        self.results["iperf3 TCP, two machines across a router (SG, conntrack, bridges)"] = f"{across:.2f} Gbit/s"
        self.results["iperf3 TCP, plain veth pair between two namespaces"] = f"{plain:.2f} Gbit/s"
        self.results["ratio"] = f"{across / plain:.0%} of the plain veth"

    def rebuild(self) -> None:
        for kind in ("warm", "cold"):
            stop_cloud(self.cloud)
            if kind == "cold":
                run(sys.executable, "-m", "pocketstack", "dataplane", "cleanup", "--cloud-name", self.name)
            log = self.tmp / "server.log"
            before = log.read_text() if log.exists() else ""
            self.cloud = start_cloud(self.tmp, options=self.extra, port=int(self.cloud.url.rsplit(":", 1)[1]))
            deadline = time.time() + 300
            while time.time() < deadline:
                found = re.findall(r"rebuilt in ([0-9.]+)s \((\d+) ports wired\)", log.read_text()[len(before):])
                if found:
                    break
                time.sleep(0.2)
            secs, wired = found[0]
            ports = len(self.admin.get("/ports").json()["ports"])
            self.results[f"rebuild at start, {kind} ({ports} ports in the database, {wired} wired)"] = f"{float(secs):.2f} s"

    def close(self) -> None:
        stop_cloud(self.cloud)
        run("ip", "netns", "delete", self.sink, check=False)
        run(sys.executable, "-m", "pocketstack", "dataplane", "cleanup", "--cloud-name", self.name)
        shutil.rmtree(self.tmp, ignore_errors=True)


def iperf(client_ns: str, server_ns: str, address: str) -> float:
    server = subprocess.Popen(["ip", "netns", "exec", server_ns, "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    out = run("ip", "netns", "exec", client_ns, "iperf3", "-c", address, "-t", "5", "-J", timeout=60).stdout
    server.wait(10)
    return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ports", type=int, default=1000)
    args = parser.parse_args()
    bench = Bench(args.ports)
    vm1 = vm2 = None
    try:
        bench.wait_ready()
        bench.create_to_active()
        vm1, vm2, web = bench.machines()
        bench.sg_latency(vm1, vm2, web)
        bench.throughput(vm1, vm2, web)
        bench.wiring()
        bench.rebuild()
    finally:
        for vm in (vm1, vm2):
            if vm:
                vm.remove()
        bench.close()
        print("\n| measurement | result |\n|---|---|")
        for k, v in bench.results.items():
            print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

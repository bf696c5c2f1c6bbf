"""The dataplane seam without privileges: `none` answers honestly, `linux` refuses in one line without root."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx

from pocketstack.services.network import dataplane


def test_none_dataplane_says_no_agent_runs(cloud: Any, admin_token: str) -> None:
    r = httpx.get(f"{cloud.url}/networking/v2.0/agents", headers={"X-Auth-Token": admin_token})
    agents = r.json()["agents"]
    assert agents and all(not a["alive"] and a["configurations"]["dataplane"] == "none" for a in agents)
    alive = httpx.get(f"{cloud.url}/networking/v2.0/agents", params={"alive": "true"},
                      headers={"X-Auth-Token": admin_token}).json()["agents"]
    assert alive == []


def test_linux_needs_root_in_one_line(monkeypatch: Any) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    message = dataplane.requirements_error("linux")
    assert message and "needs root" in message and "\n" not in message
    assert dataplane.requirements_error("none") is None
    assert "unknown" in (dataplane.requirements_error("ovs") or "")


def test_serve_refuses_linux_with_several_workers(tmp_path: Any) -> None:
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--dataplane", "linux", "--workers", "2",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "--workers 1" in proc.stderr


def test_router_rules_and_advertisements_as_neutron_writes_them() -> None:
    """Without root: the router's nftables (floating IP, port forwarding, hairpin) and radvd.conf."""
    from pocketstack.services.network.dataplane.linux import desired, radvd, routers

    def subnet(sid: str, cidr: str, mode: str | None = None) -> desired.Subnet:
        return desired.Subnet(sid, "n", 6 if ":" in cidr else 4, cidr, None, True, [], [], mode, mode)

    gw = desired.Port("gw", "pub", "fa:16:3e:00:00:01", "network:router_gateway", "r", "", "ACTIVE", True, False,
                      "", "", [], [], ips=[("pubsub", "172.24.4.10")])
    router = desired.Router("r", True, True, [], gw_port=gw,
                            floating_ips=[desired.FloatingIp("f", "172.24.4.20", "10.0.0.5", "p", "ACTIVE")],
                            forwardings=[desired.Forwarding("172.24.4.21", "tcp", 2222, "10.0.0.6", 22)])
    state = desired.State({}, {"pubsub": subnet("pubsub", "172.24.4.0/24")}, {}, {"r": router}, {})
    ruleset = routers.render_nat(state, router)
    assert "ip daddr 172.24.4.21 tcp dport 2222 dnat to 10.0.0.6:22" in ruleset
    assert 'oifname "qg-gw" ip saddr 10.0.0.5 snat to 172.24.4.20' in ruleset
    assert 'iifname != "qg-gw" ct status dnat ip saddr 10.0.0.5 snat to 172.24.4.20' in ruleset
    assert 'iifname != "qg-gw" ct status dnat snat to 172.24.4.10' in ruleset
    conf = radvd.config([("qr-1", subnet("a", "fd00:1::/64", "dhcpv6-stateful"), 1450),
                         ("qr-2", subnet("b", "fd00:2::/64", "slaac"), 1500),
                         ("qr-3", subnet("c", "fd00:3::/64"), 1500)])
    one, two = conf.split("interface qr-2")
    assert "AdvManagedFlag on;" in one and "AdvAutonomous off;" in one and "AdvLinkMTU 1450;" in one
    assert "AdvManagedFlag" not in two and "AdvOtherConfigFlag" not in two and "AdvAutonomous on;" in two
    assert "qr-3" not in conf                        # no ipv6_ra_mode: no advertisements from us

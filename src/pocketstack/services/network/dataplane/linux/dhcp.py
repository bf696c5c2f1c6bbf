"""DHCP: one dnsmasq per network, in the network's own `qdhcp-` namespace on the DHCP port's addresses,
serving each port's fixed IP by MAC with the subnet's gateway, DNS servers, host routes and MTU (neutron's
Dnsmasq driver: a hosts file, an options file, an addn-hosts file; SIGHUP rereads them, no restart).
`--no-resolv` and no `--server`: it answers for the network's own names and forwards nothing."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import signal
from pathlib import Path

from pocketstack.services.network import dns
from pocketstack.services.network.dataplane.linux import kernel
from pocketstack.services.network.dataplane.linux.desired import Network, Port, State

LEASE = "86400s"


def domain() -> str:
    """The cloud's dns_domain without its final dot (dnsmasq's --domain)."""
    return dns.domain().rstrip(".") or dns.DEFAULT_DOMAIN.rstrip(".")


def names(port: Port, ip: str) -> tuple[str, str]:
    """The host name and FQDN of the port's dns_assignment for that address (neutron's Dnsmasq driver
    hands out those)."""
    entry = dns.assignment(port.dns_name, [{"ip_address": ip}])[0]
    return entry["hostname"].rstrip("."), entry["fqdn"]


def files(state: State, network: Network, dhcp_port: Port, metadata: bool = False) -> dict[str, str]:
    """The hosts, addn-hosts and options files; `metadata`: a route to 169.254.169.254 through the DHCP port
    (isolated networks, whose metadata proxy is in the DHCP namespace)."""
    dhcp_subnets = {s.id: s for s in network.subnets if s.enable_dhcp}
    hosts, addn, opts = [], [], []
    for port in sorted(state.ports.values(), key=lambda p: p.id):
        if port.network_id != network.id:
            continue
        for subnet_id, ip in port.ips:
            if subnet_id in dhcp_subnets:
                name, fqdn = names(port, ip)
                addr = f"[{ip}]" if ":" in ip else ip
                if ":" in ip and dhcp_subnets[subnet_id].ipv6_address_mode in ("slaac", "dhcpv6-stateless"):
                    addn.append(f"{ip}\t{fqdn} {name}")      # an address the machine makes itself
                    continue
                hosts.append(f"{port.mac},{fqdn},{addr},set:port-{port.id}")
                addn.append(f"{ip}\t{fqdn} {name}")
        for opt in port.extra_dhcp_opts:
            if opt.get("ip_version", 4) == 4:
                opts.append(f"tag:port-{port.id},option:{opt['opt_name']},{opt['opt_value']}")
    dhcp_ips = {sid: ip for sid, ip in dhcp_port.ips}
    for i, subnet in enumerate(dhcp_subnets.values()):
        tag = f"tag:subnet{i}"
        if subnet.ip_version == 4:
            opts.append(f"{tag},option:router" + (f",{subnet.gateway_ip}" if subnet.gateway_ip else ""))
            dns = subnet.dns_nameservers or ([dhcp_ips[subnet.id]] if subnet.id in dhcp_ips else [])
            opts.append(f"{tag},option:dns-server,{','.join(dns)}")
            opts.append(f"{tag},option:mtu,{network.mtu}")
            routes = [f"{r['destination']},{r['nexthop']}" for r in subnet.host_routes if ":" not in r["destination"]]
            if metadata and subnet.id in dhcp_ips:
                routes.insert(0, f"169.254.169.254/32,{dhcp_ips[subnet.id]}")
            if routes:
                if subnet.gateway_ip:
                    routes.append(f"0.0.0.0/0,{subnet.gateway_ip}")
                opts.append(f"{tag},option:classless-static-route,{','.join(routes)}")
        else:
            dns = subnet.dns_nameservers
            if dns:
                opts.append(f"{tag},option6:dns-server,{','.join('[' + d + ']' for d in dns)}")
    return {"host": "\n".join(hosts) + "\n", "addn_hosts": "\n".join(addn) + "\n", "opts": "\n".join(opts) + "\n"}


def ranges(network: Network) -> list[str]:
    out = []
    for i, subnet in enumerate(s for s in network.subnets if s.enable_dhcp):
        net = ipaddress.ip_network(subnet.cidr)
        if subnet.ip_version == 4:
            out.append(f"--dhcp-range=set:subnet{i},{net.network_address},static,{net.netmask},{LEASE}")
        elif subnet.ipv6_address_mode in ("dhcpv6-stateful", "dhcpv6-stateless") or \
                not (subnet.ipv6_address_mode or subnet.ipv6_ra_mode):
            # DHCPv6 (neutron's Dnsmasq driver): `static`, so dnsmasq hands out only the addresses of the
            # hosts file (stateful) and answers Information-Requests (stateless); SLAAC subnets get no range
            # (their addresses come from the router's advertisements)
            out.append(f"--dhcp-range=set:subnet{i},{net.network_address},static,{net.prefixlen},{LEASE}")
    return out


def command(conf_dir: Path, ns_dev: str, network: Network) -> list[str]:
    return ["dnsmasq", "--no-hosts", "--no-resolv", "--conf-file=/dev/null", "--user=nobody", "--group=nogroup",
            f"--pid-file={conf_dir / 'pid'}", f"--dhcp-hostsfile={conf_dir / 'host'}",
            f"--addn-hosts={conf_dir / 'addn_hosts'}", f"--dhcp-optsfile={conf_dir / 'opts'}",
            "--leasefile-ro", "--dhcp-authoritative", "--bind-interfaces", f"--interface={ns_dev}",
            "--except-interface=lo", f"--domain={domain()}", "--dhcp-match=set:ipxe,175", "--local-service",
            f"--dhcp-lease-max={2 ** 16}", *ranges(network)]


def running_pid(conf_dir: Path) -> int | None:
    return kernel.daemon_pid(conf_dir / "pid", "dnsmasq")


def ensure(ns: str, conf_dir: Path, ns_dev: str, network: Network, content: dict[str, str]) -> None:
    """Write the files; start dnsmasq, or HUP it when only the files changed, or restart it when its
    command line (the ranges) changed."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(conf_dir, 0o755)
    changed = False
    for name, text in content.items():
        path = conf_dir / name
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text)
            os.chmod(tmp, 0o644)
            tmp.replace(path)
            changed = True
    cmd = command(conf_dir, ns_dev, network)
    digest = hashlib.sha256("\0".join(cmd).encode()).hexdigest()
    pid = running_pid(conf_dir)
    stamp = conf_dir / "cmd.sha256"
    if pid and stamp.exists() and stamp.read_text() == digest:
        if changed:
            os.kill(pid, signal.SIGHUP)
        return
    stop(conf_dir)
    kernel.in_ns(ns, *cmd)
    stamp.write_text(digest)


def stop(conf_dir: Path) -> None:
    kernel.terminate(running_pid(conf_dir))

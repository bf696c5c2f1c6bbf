"""Small wrappers over the Debian tools the Linux dataplane drives: `ip` (iproute2), `nft` (nftables),
`sysctl` inside a namespace, and the namespaces themselves. Every call names its namespace; nothing here
touches the machine's own namespace except through `ip` without `-n` (the external veth alone)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)
TOOLS = ("ip", "nft", "dnsmasq", "radvd")


class KernelError(RuntimeError):
    pass


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}")]


def bridge_netfilter() -> bool:
    """Whether bridged traffic can reach the inet hooks (br_netfilter), loading the module if need be."""
    knob = "/proc/sys/net/bridge/bridge-nf-call-iptables"
    if not os.path.exists(knob) and shutil.which("modprobe"):
        subprocess.run(["modprobe", "br_netfilter"], capture_output=True)
        # loading the module turns bridged filtering on in the machine's own namespace too; the
        # machine's bridges (docker's, say) stay as they were: only our namespaces turn it on
        for family in ("iptables", "ip6tables", "arptables"):
            try:
                with open(f"/proc/sys/net/bridge/bridge-nf-call-{family}", "w") as f:
                    f.write("0")
            except OSError:
                pass
    return os.path.exists(knob)


def load_vlan() -> bool:
    """Whether 802.1q devices can be made (trunk subports), loading the 8021q module if need be."""
    if not os.path.exists("/proc/net/vlan") and shutil.which("modprobe"):
        subprocess.run(["modprobe", "8021q"], capture_output=True)
    return os.path.exists("/proc/net/vlan")


def run(*cmd: str, stdin: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise KernelError(f"{' '.join(cmd)}: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def ip(ns: str | None, *args: str, check: bool = True) -> str:
    return run("ip", *(["-n", ns] if ns else []), *args, check=check)


def ip_json(ns: str | None, *args: str) -> list[dict[str, Any]]:
    out = run("ip", *(["-n", ns] if ns else []), "-j", *args, check=False)
    return json.loads(out) if out.strip() else []


def ip_batch(ns: str | None, lines: list[str], check: bool = True) -> None:
    """Many `ip` commands in one process (`ip -batch -`): the cost of wiring is the process count."""
    if lines:
        run("ip", *(["-n", ns] if ns else []), "-force", "-batch", "-", stdin="\n".join(lines) + "\n", check=check)


def nft(ns: str, ruleset: str) -> None:
    """Apply an nftables script atomically inside a namespace (one transaction)."""
    run("ip", "netns", "exec", ns, "nft", "-f", "-", stdin=ruleset)


def sysctl(ns: str, *settings: str) -> None:
    run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", *settings)


def in_ns(ns: str, *cmd: str, check: bool = True) -> str:
    return run("ip", "netns", "exec", ns, *cmd, check=check)


# --- daemons ------------------------------------------------------------------------
def daemon_pid(pid_file: Path, binary: str) -> int | None:
    """The pid a daemon (dnsmasq, radvd) wrote, while that process is the daemon started with a command
    line naming the pid file's directory (a recycled pid is not ours)."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if binary.encode() in cmdline and str(pid_file.parent).encode() in cmdline else None


def terminate(pid: int | None, wait: float = 0.0) -> None:
    """SIGTERM, then wait up to `wait` seconds for the process to be gone."""
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)


# --- namespaces ----------------------------------------------------------------------
def namespaces() -> set[str]:
    return {entry["name"] for entry in ip_json(None, "netns", "list")}


def add_namespace(ns: str) -> None:
    if ns not in namespaces():
        ip(None, "netns", "add", ns)
    ip(ns, "link", "set", "lo", "up")


def ns_pids(ns: str) -> list[int]:
    return [int(p) for p in run("ip", "netns", "pids", ns, check=False).split()]


def delete_namespace(ns: str) -> None:
    """Stop every process inside (dnsmasq, a test's tools) and remove the namespace with its devices."""
    for pid in ns_pids(ns):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    ip(None, "netns", "delete", ns, check=False)


# --- links ---------------------------------------------------------------------------
def links(ns: str | None) -> dict[str, dict[str, Any]]:
    return {link["ifname"]: link for link in ip_json(ns, "link", "show")}


def addresses(ns: str, dev: str) -> set[str]:
    out: set[str] = set()
    for link in ip_json(ns, "addr", "show", "dev", dev):
        for a in link.get("addr_info", []):
            if a.get("scope") != "link":
                out.add(f"{a['local']}/{a['prefixlen']}")
    return out

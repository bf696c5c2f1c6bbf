#!/usr/bin/env python3
"""Orchestration benchmark: stack create and delete time as the resource count grows.

    .venv/bin/python bench/orchestration.py                      # 10, 100, 1,000 RandomStrings + 50 ports
    .venv/bin/python bench/orchestration.py --sizes 10,100       # quick

pocketstack starts on a fresh data dir (SQLite, one worker, port quota unlimited). For each size N
it creates a stack of N independent OS::Heat::RandomString resources through POST /stacks, polls
the stack until CREATE_COMPLETE, then deletes it and polls until DELETE_COMPLETE, and reports the
seconds of each and the seconds per resource (linear growth means a flat per-resource figure).
Then a stack with an OS::Heat::ResourceGroup of `--ports` OS::Neutron::Port on one network, the
same way. The server's RSS is read from /proc before and after every run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network import PASSWORD, start_pocketstack  # noqa: E402


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def token(url: str) -> tuple[str, str]:
    r = httpx.post(f"{url}/identity/v3/auth/tokens", json={"auth": {"identity": {"methods": ["password"],
                   "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": PASSWORD}}},
                   "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    return r.headers["X-Subject-Token"], r.json()["token"]["project"]["id"]


def wait(client: httpx.Client, name: str, sid: str, timeout: float = 900) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        stack = client.get(f"/stacks/{name}/{sid}").json()["stack"]
        if not stack["stack_status"].endswith("IN_PROGRESS"):
            return stack
        time.sleep(0.05)
    raise TimeoutError(name)


def run(client: httpx.Client, name: str, template: dict[str, Any]) -> tuple[float, float]:
    t0 = time.perf_counter()
    r = client.post("/stacks", json={"stack_name": name, "template": template})
    r.raise_for_status()
    sid = r.json()["stack"]["id"]
    stack = wait(client, name, sid)
    created = time.perf_counter() - t0
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    t0 = time.perf_counter()
    client.delete(f"/stacks/{name}/{sid}").raise_for_status()
    r = client.get(f"/stacks/{name}/{sid}")
    while r.status_code == 200 and r.json()["stack"]["stack_status"] == "DELETE_IN_PROGRESS":
        time.sleep(0.05)
        r = client.get(f"/stacks/{name}/{sid}")
    return created, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--ports", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, proc = start_pocketstack(Path(tmp))
        try:
            tok, project = token(url)
            client = httpx.Client(base_url=f"{url}/heat-api/v1/{project}", headers={"X-Auth-Token": tok},
                                  timeout=120)
            print(f"{'stack':<28} {'create s':>9} {'per res ms':>10} {'delete s':>9} {'RSS MiB':>15}")
            for n in [int(x) for x in args.sizes.split(",")]:
                tmpl = {"heat_template_version": "2018-08-31", "resources": {
                    f"r{i}": {"type": "OS::Heat::RandomString", "properties": {"length": 16}} for i in range(n)}}
                before = rss_mib(proc.pid)
                created, deleted = run(client, f"bench-{n}", tmpl)
                print(f"{f'{n} RandomString':<28} {created:>9.2f} {created / n * 1000:>10.1f} {deleted:>9.2f} "
                      f"{before:>7.0f}->{rss_mib(proc.pid):>6.0f}")
            tmpl = {"heat_template_version": "2018-08-31", "resources": {
                "net": {"type": "OS::Neutron::Net"},
                "subnet": {"type": "OS::Neutron::Subnet", "properties": {"network": {"get_resource": "net"},
                                                                        "cidr": "10.99.0.0/20"}},
                "ports": {"type": "OS::Heat::ResourceGroup", "depends_on": "subnet", "properties": {
                    "count": args.ports, "resource_def": {"type": "OS::Neutron::Port",
                                                          "properties": {"network": {"get_resource": "net"}}}}}}}
            before = rss_mib(proc.pid)
            created, deleted = run(client, "bench-ports", tmpl)
            print(f"{f'{args.ports} ports (ResourceGroup)':<28} {created:>9.2f} {created / args.ports * 1000:>10.1f} "
                  f"{deleted:>9.2f} {before:>7.0f}->{rss_mib(proc.pid):>6.0f}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()

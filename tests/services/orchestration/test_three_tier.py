"""Tried as a new user would: a three-tier template through the `openstack` CLI (heatclient's OSC
plugin) and openstacksdk, created, scaled from two to four servers, and deleted leaving nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import unique

TEMPLATE = Path(__file__).parent / "templates" / "three_tier.yaml"


def _json_tail(proc) -> dict:
    out = proc.stdout if hasattr(proc, "stdout") else json.dumps(proc)
    return json.loads(out[out.index("{"):])


def _leftovers(demo, name: str) -> dict:
    return {
        "servers": [s.name for s in demo.compute.servers() if (s.name or "").startswith(name)],
        "networks": [n.name for n in demo.network.networks() if (n.name or "").startswith(name)],
        "ports": [p.id for p in demo.network.ports(project_id=demo.current_project_id)
                  if (p.name or "").startswith(name)],
        "routers": [r.name for r in demo.network.routers() if (r.name or "").startswith(name)],
        "security_groups": [g.name for g in demo.network.security_groups() if (g.name or "").startswith(name)],
        "containers": [c.name for c in demo.object_store.containers() if (c.name or "").startswith(name)],
    }


def test_three_tier_create_scale_delete(cli, demo):
    name = unique("app")
    image = next(i for i in demo.image.images() if (i.name or "").startswith("cirros"))
    proc = cli("stack", "create", "-t", str(TEMPLATE), "--parameter", f"image={image.id}", "--wait",
               "--timeout", "10", name, os_cloud="pocketstack", check=False)
    stack = demo.orchestration.find_stack(name)
    shown = demo.orchestration.get_stack(stack.id)
    assert shown.status == "CREATE_COMPLETE", (shown.status_reason, getattr(proc, "stderr", ""))
    outputs = {o["output_key"]: o["output_value"] for o in demo.orchestration.get_stack(stack.id).outputs}
    assert len(outputs["server_names"]) == 2 and outputs["server_names"][0] == f"{name}-web-0"
    assert all(addr["networks"] if isinstance(addr, dict) and "networks" in addr else addr
               for addr in outputs["server_addresses"])
    assert outputs["vip_address"].startswith("172.24.4.")
    servers = [demo.compute.get_server(s.id) for s in demo.compute.servers() if (s.name or "").startswith(name)]
    assert len(servers) == 2 and all(s.status == "ACTIVE" for s in servers)
    assert all(s.attached_volumes for s in servers)

    updated = _json_tail(cli("stack", "update", "--existing", "--parameter", "count=4", "--wait", "-f", "json", name,
                             os_cloud="pocketstack"))
    assert updated["stack_status"] == "UPDATE_COMPLETE", updated["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in demo.orchestration.get_stack(stack.id).outputs}
    assert len(outputs["server_names"]) == 4
    assert len([s for s in demo.compute.servers() if (s.name or "").startswith(name)]) == 4

    volumes = [a["id"] for s in demo.compute.servers() if (s.name or "").startswith(name)
               for a in demo.compute.get_server(s.id).attached_volumes]
    fip = next(r.physical_resource_id for r in demo.orchestration.resources(stack) if r.name == "vip_fip")
    assert len(volumes) == 4 and fip

    cli("stack", "delete", "--yes", "--wait", name, os_cloud="pocketstack")
    assert demo.orchestration.find_stack(name) is None
    after = _leftovers(demo, name)
    assert not any(after.values()), after
    assert demo.network.find_ip(fip) is None
    assert not [v for v in volumes if demo.block_storage.find_volume(v) is not None]

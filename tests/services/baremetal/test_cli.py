"""The `openstack baremetal` CLI (python-ironicclient) end to end."""

from __future__ import annotations

from tests.conftest import unique


def test_cli_node_lifecycle(cli):
    name = unique("cli")
    cloud = "devstack-system-admin"
    node = cli("baremetal", "node", "create", "--driver", "fake-hardware", "--name", name, os_cloud=cloud)
    assert node["provision_state"] == "enroll" and node["name"] == name
    for verb in ("manage", "provide", "deploy"):
        cli("baremetal", "node", verb, name, "--wait", "60", os_cloud=cloud)
    shown = cli("baremetal", "node", "show", name, os_cloud=cloud)
    assert shown["provision_state"] == "active" and shown["power_state"] == "power on"
    listed = cli("baremetal", "node", "list", os_cloud=cloud)
    assert any(n["name"] == name and n["provision_state"] == "active" for n in listed)
    cli("baremetal", "node", "undeploy", name, "--wait", "60", os_cloud=cloud)
    assert cli("baremetal", "node", "show", name, os_cloud=cloud)["provision_state"] == "available"
    bad = cli("baremetal", "node", "deploy", name + "-missing", os_cloud=cloud, check=False)
    assert bad.returncode != 0
    cli("baremetal", "node", "delete", name, os_cloud=cloud)
    assert not any(n["name"] == name for n in cli("baremetal", "node", "list", os_cloud=cloud))

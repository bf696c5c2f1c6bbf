"""OS::Nova::Server `networks` updates through the Heat API (PATCH, existing template): like Heat's
ServerNetworkMixin.calculate_networks, entries that name the same interface keep their port, only
what left the list is detached (a port Heat made for it is deleted) and only what joined is attached."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import unique


def _template(networks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "heat_template_version": "2016-04-08",
        "parameters": {"image": {"type": "string"}, "flavor": {"type": "string", "default": "m1.tiny"}},
        "resources": {
            "net": {"type": "OS::Neutron::Net"},
            "subnet": {"type": "OS::Neutron::Subnet",
                       "properties": {"network": {"get_resource": "net"}, "cidr": "10.77.0.0/24"}},
            "server": {"type": "OS::Nova::Server",
                       "properties": {"image": {"get_param": "image"}, "flavor": {"get_param": "flavor"},
                                      "networks": copy.deepcopy(networks)}}},
        "outputs": {"ports": {"value": {"get_attr": ["server", "addresses"]}}}}


NET = {"network": {"get_resource": "net"}}
SUBNET = {"subnet": {"get_resource": "subnet"}}
NET_SUBNET = {**NET, **SUBNET}


def _image(demo: Any) -> str:
    return str(next(i for i in demo.image.images() if (i.name or "").startswith("cirros")).id)


def _ports(demo: Any, heat: Any, name: str, sid: str) -> list[str]:
    server = heat.get(f"/stacks/{name}/{sid}/resources/server").json()["resource"]["physical_resource_id"]
    return [i.port_id for i in demo.compute.server_interfaces(server)]


def _update(heat: Any, name: str, sid: str, networks: list[dict[str, Any]]) -> dict[str, Any]:
    r = heat.patch(f"/stacks/{name}/{sid}", json={"template": _template(networks)})
    assert r.status_code == 202, r.text
    return dict(heat.wait(name))


def test_networks_update_keeps_equivalent_ports(heat, demo):
    name = unique("srvnet")
    r = heat.create(name, _template([NET, SUBNET]), parameters={"image": _image(demo)})
    assert r.status_code == 201, r.text
    sid = r.json()["stack"]["id"]
    stack = heat.wait(name)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    p0, p1 = _ports(demo, heat, name, sid)
    internal = demo.network.get_port(p1)
    assert internal.name == "server-port-1"          # Heat's internal port for the subnet entry

    # the same two interfaces, spelled differently and swapped: nothing is detached or attached
    stack = _update(heat, name, sid, [SUBNET, NET_SUBNET])
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert _ports(demo, heat, name, sid) == [p0, p1]

    # the port nova made for {network: net}, now named by id: still the same interface
    stack = _update(heat, name, sid, [{"port": p0}, NET_SUBNET])
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert _ports(demo, heat, name, sid) == [p0, p1]

    # one entry dropped: its internal port is detached and deleted, the other stays
    stack = _update(heat, name, sid, [{"port": p0}])
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert _ports(demo, heat, name, sid) == [p0]
    assert demo.network.find_port(p1) is None

    # a new fixed IP joins: attached next to the kept port
    stack = _update(heat, name, sid, [{"port": p0}, {**NET, "fixed_ip": "10.77.0.50"}])
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    ports = _ports(demo, heat, name, sid)
    assert ports[0] == p0 and len(ports) == 2
    assert [f["ip_address"] for f in demo.network.get_port(ports[1]).fixed_ips] == ["10.77.0.50"]

    assert heat.delete(f"/stacks/{name}/{sid}").status_code == 204
    assert heat.wait(name)["stack_status"] == "DELETE_COMPLETE"


def test_networks_update_rejects_port_with_fixed_ip(heat, demo):
    name = unique("srvnet")
    r = heat.create(name, _template([NET]), parameters={"image": _image(demo)})
    assert r.status_code == 201, r.text
    sid = r.json()["stack"]["id"]
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"
    ports = _ports(demo, heat, name, sid)

    # Nova takes a port or a fixed IP, not both: the update is refused and the server untouched
    bad = [{**NET, "port": ports[0], "fixed_ip": "10.77.0.60"}]
    r = heat.patch(f"/stacks/{name}/{sid}", json={"template": _template(bad)})
    if r.status_code == 202:
        stack = heat.wait(name)
        assert stack["stack_status"] == "UPDATE_FAILED"
        reason = stack["stack_status_reason"]
    else:
        assert r.status_code == 400, r.text
        reason = r.json()["error"]["message"]
    assert ("Cannot define the following properties at the same time: networks/fixed_ip, networks/port."
            in reason), reason
    assert _ports(demo, heat, name, sid) == ports

    assert heat.delete(f"/stacks/{name}/{sid}").status_code == 204
    assert heat.wait(name)["stack_status"] == "DELETE_COMPLETE"

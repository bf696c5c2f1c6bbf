"""The network info cache follows Neutron: floating IPs and ports changed through the Networking API reach the
server's `addresses` by network-changed / network-vif-deleted external events, and nova's own floating IP actions
leave both services agreeing."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.conftest import unique

N = "/networking/v2.0"


def _floating(server: dict[str, Any]) -> list[str]:
    return [a["addr"] for addrs in server["addresses"].values() for a in addrs if a["OS-EXT-IPS:type"] == "floating"]


def _public(admin: Any) -> Any:
    return admin.network.find_network("public")


def _server_port(admin: Any, server_id: str) -> Any:
    (port,) = list(admin.network.ports(device_id=server_id))
    return port


def test_neutron_floating_ip_shows_in_and_leaves_server_addresses(admin, nova_admin, nova_demo, private_net):
    """openstacksdk's attach_ip_to_server path: the floating IP is set on the port through Neutron, and the
    server's addresses (show, /ips, list detail) follow each change."""
    sid = nova_admin.boot(private_net)["id"]
    nova_admin.wait(sid, "ACTIVE")
    port = _server_port(admin, sid)
    fip = admin.network.create_ip(floating_network_id=_public(admin).id, port_id=port.id)
    assert fip.status == "ACTIVE"
    assert _floating(nova_admin.show(sid)) == [fip.floating_ip_address]
    ips = nova_admin.get(f"/servers/{sid}/ips").json()["addresses"]["private"]
    assert {"version": 4, "addr": fip.floating_ip_address} in ips
    listed = {s["id"]: s for s in nova_admin.get("/servers/detail").json()["servers"]}
    assert _floating(listed[sid]) == [fip.floating_ip_address]
    assert admin.compute.get_server(sid).public_v4 in ("", None, fip.floating_ip_address)

    admin.network.update_ip(fip, port_id=None)            # PUT {"port_id": null}
    assert _floating(nova_admin.show(sid)) == []
    admin.network.update_ip(fip, port_id=port.id)
    assert _floating(nova_admin.show(sid)) == [fip.floating_ip_address]
    admin.network.delete_ip(fip)                           # DELETE while associated
    assert _floating(nova_admin.show(sid)) == []
    assert nova_admin.get(f"/servers/{sid}/ips/private").json()["private"][0]["addr"] == \
        port.fixed_ips[0]["ip_address"]
    nova_admin.delete(f"/servers/{sid}")


def test_floating_ip_moved_between_servers_through_neutron(admin, nova_admin, nova_demo, private_net):
    """A floating IP re-associated without a disassociation first: both servers are refreshed."""
    one, two = nova_admin.boot(private_net)["id"], nova_admin.boot(private_net)["id"]
    nova_admin.wait(one, "ACTIVE")
    nova_admin.wait(two, "ACTIVE")
    fip = admin.network.create_ip(floating_network_id=_public(admin).id, port_id=_server_port(admin, one).id)
    assert _floating(nova_admin.show(one)) == [fip.floating_ip_address]
    admin.network.update_ip(fip, port_id=_server_port(admin, two).id)
    assert _floating(nova_admin.show(one)) == []
    assert _floating(nova_admin.show(two)) == [fip.floating_ip_address]
    admin.network.delete_ip(fip)
    for sid in (one, two):
        nova_admin.delete(f"/servers/{sid}")


def test_nova_floating_ip_actions_agree_with_neutron(admin, nova_admin, nova_demo, private_net):
    """addFloatingIp, then Neutron disassociates and deletes it: the server forgets it; addFloatingIp of an
    address already on another server moves it and refreshes both."""
    old = nova_admin.at("2.35")
    one, two = nova_admin.boot(private_net)["id"], nova_admin.boot(private_net)["id"]
    nova_admin.wait(one, "ACTIVE")
    nova_admin.wait(two, "ACTIVE")
    fip = admin.network.create_ip(floating_network_id=_public(admin).id)
    address = fip.floating_ip_address
    assert nova_admin.action(one, {"addFloatingIp": {"address": address}}, headers=old).status_code == 202
    assert admin.network.get_ip(fip.id).port_id == _server_port(admin, one).id
    assert _floating(nova_admin.show(one)) == [address]
    assert nova_admin.action(two, {"addFloatingIp": {"address": address}}, headers=old).status_code == 202
    assert admin.network.get_ip(fip.id).port_id == _server_port(admin, two).id
    assert _floating(nova_admin.show(one)) == [] and _floating(nova_admin.show(two)) == [address]
    r = nova_admin.action(one, {"removeFloatingIp": {"address": address}}, headers=old)
    assert r.status_code == 409 and "is not associated with instance" in r.text     # nova's HTTPConflict
    admin.network.update_ip(admin.network.get_ip(fip.id), port_id=None)   # the sdk sends only changed fields
    assert _floating(nova_admin.show(two)) == []
    assert nova_admin.action(two, {"addFloatingIp": {"address": address}}, headers=old).status_code == 202
    admin.network.delete_ip(fip)
    assert _floating(nova_admin.show(two)) == []
    r = nova_admin.action(two, {"addFloatingIp": {"address": "172.24.4.254"}}, headers=old)
    assert r.status_code == 404
    for sid in (one, two):
        nova_admin.delete(f"/servers/{sid}")


def test_port_deleted_through_neutron_leaves_the_server(admin, nova_admin, nova_demo, private_net):
    sid = nova_admin.boot(private_net)["id"]
    nova_admin.wait(sid, "ACTIVE")
    assert "private" in nova_admin.show(sid)["addresses"]
    admin.network.delete_port(_server_port(admin, sid))
    assert nova_admin.show(sid)["addresses"] == {}
    assert nova_admin.get(f"/servers/{sid}/os-interface").json()["interfaceAttachments"] == []
    nova_admin.delete(f"/servers/{sid}")


def test_port_fixed_ips_changed_through_neutron(admin, nova_admin, nova_demo, private_net):
    sid = nova_admin.boot(private_net)["id"]
    nova_admin.wait(sid, "ACTIVE")
    port = _server_port(admin, sid)
    subnet_id = port.fixed_ips[0]["subnet_id"]
    admin.network.update_port(port, fixed_ips=[{"subnet_id": subnet_id, "ip_address": "10.0.0.60"}])
    assert [a["addr"] for a in nova_admin.show(sid)["addresses"]["private"]] == ["10.0.0.60"]
    nova_admin.delete(f"/servers/{sid}")


def test_external_events_refresh_and_errors(cloud, admin, nova_admin, nova_demo, private_net, admin_token):
    """What neutron sends: network-changed re-reads the port from Neutron; only a service or an admin may send
    events; unknown servers and bad bodies are refused as nova refuses them."""
    sid = nova_admin.boot(private_net)["id"]
    nova_admin.wait(sid, "ACTIVE")
    port = _server_port(admin, sid)
    event = {"name": "network-changed", "server_uuid": sid, "tag": port.id}
    r = nova_admin.post("/os-server-external-events", json={"events": [event]})
    assert r.status_code == 200 and r.json()["events"][0]["code"] == 200
    assert r.json()["events"][0]["status"] == "completed"
    # a member may not send events; without a token it is 401
    assert nova_demo.post("/os-server-external-events", json={"events": [event]}).status_code == 403
    r = httpx.post(cloud.url + "/compute/v2.1/os-server-external-events", json={"events": [event]})
    assert r.status_code == 401
    missing = {**event, "server_uuid": "0b0a6f6e-3a0b-4a4f-9d54-000000000000"}
    assert nova_admin.post("/os-server-external-events", json={"events": [missing]}).status_code == 404
    r = nova_admin.post("/os-server-external-events", json={"events": [event, missing]})
    assert r.status_code == 207 and [e["code"] for e in r.json()["events"]] == [200, 404]
    assert nova_admin.post("/os-server-external-events", json={"events": [{**event, "name": "nope"}]}) \
        .status_code == 400
    assert nova_admin.post("/os-server-external-events", json={"events": []}).status_code == 400
    nova_admin.delete(f"/servers/{sid}")


def test_member_floating_ip_through_nova_actions(demo, nova_demo, private_net):
    """A member's own path that needs no service credentials: nova's addFloatingIp refreshes the cache itself."""
    old = nova_demo.at("2.35")
    sid = nova_demo.boot(private_net, name=unique("fip"))["id"]
    nova_demo.wait(sid, "ACTIVE")
    fip = demo.network.create_ip(floating_network_id=demo.network.find_network("public").id)
    assert nova_demo.action(sid, {"addFloatingIp": {"address": fip.floating_ip_address}}, headers=old) \
        .status_code == 202
    assert _floating(nova_demo.show(sid)) == [fip.floating_ip_address]
    assert nova_demo.action(sid, {"removeFloatingIp": {"address": fip.floating_ip_address}}, headers=old) \
        .status_code == 202
    assert _floating(nova_demo.show(sid)) == []
    demo.network.delete_ip(fip)
    nova_demo.delete(f"/servers/{sid}")


def test_add_and_remove_fixed_ip(admin, nova_admin, nova_demo, nova_alt, private_net):
    """os-multinic (2.1 to 2.43): addFixedIp puts one more address of the network on the server's port,
    removeFixedIp takes one off; both services agree after each (Tempest's test_add_remove_fixed_ip)."""
    sid = nova_admin.boot(private_net)["id"]
    nova_admin.wait(sid, "ACTIVE")
    (first,) = [a["addr"] for a in nova_admin.show(sid)["addresses"]["private"]]
    old = nova_admin.at("2.43")
    r = nova_admin.action(sid, {"addFixedIp": {"networkId": private_net}}, headers=old)
    assert r.status_code == 202, r.text
    addrs = [a["addr"] for a in nova_admin.show(sid)["addresses"]["private"]]
    assert len(addrs) == 2 and first in addrs
    (added,) = set(addrs) - {first}
    assert {ip["ip_address"] for ip in _server_port(admin, sid).fixed_ips} == {first, added}
    r = nova_admin.action(sid, {"removeFixedIp": {"address": added}}, headers=old)
    assert r.status_code == 202, r.text
    assert [a["addr"] for a in nova_admin.show(sid)["addresses"]["private"]] == [first]
    assert [ip["ip_address"] for ip in _server_port(admin, sid).fixed_ips] == [first]
    # gone at 2.44; bad bodies; another project's server; nova's policy (admin or owner)
    assert nova_admin.action(sid, {"addFixedIp": {"networkId": private_net}}).status_code == 404
    assert nova_admin.action(sid, {"addFixedIp": {}}, headers=old).status_code == 400
    assert nova_admin.action(sid, {"removeFixedIp": {"address": "not-an-ip"}}, headers=old).status_code == 400
    assert nova_alt.action(sid, {"removeFixedIp": {"address": first}}, headers=old).status_code == 404
    assert [ip["ip_address"] for ip in _server_port(admin, sid).fixed_ips] == [first]
    nova_admin.delete(f"/servers/{sid}")


def test_server_deleted_while_building_leaves_no_port(admin, nova_admin, nova_demo, private_net):
    """A delete that overtakes the build (Tempest's test_delete_server_while_in_building_state): whatever the
    build made after the delete released the server's ports goes too, so the network can be deleted."""
    sids = [nova_admin.boot(private_net)["id"] for _ in range(3)]
    for sid in sids:
        assert nova_admin.delete(f"/servers/{sid}").status_code == 204
    for sid in sids:
        nova_admin.wait_gone(sid)
    deadline = time.time() + 30
    while any(list(admin.network.ports(device_id=sid)) for sid in sids):
        assert time.time() < deadline, "a port of a deleted server remains"
        time.sleep(0.2)

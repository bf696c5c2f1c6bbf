"""Servers: create with real ports, BUILD -> ACTIVE by a job, list filters and paging, update, delete."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import unique


def _ports(cloud, token: str, server_id: str) -> list[dict]:
    r = httpx.get(cloud.url + f"/networking/v2.0/ports?device_id={server_id}", headers={"X-Auth-Token": token})
    return r.json()["ports"]


def test_boot_with_real_port(nova_demo, private_net, cloud, demo_token):
    created = nova_demo.boot(private_net, metadata={"role": "web"}, tags=["a", "b"], description="d")
    assert created["adminPass"] and created["security_groups"] == [{"name": "default"}]
    first = nova_demo.show(created["id"])
    assert first["status"] in ("BUILD", "ACTIVE")
    server = nova_demo.wait(created["id"], "ACTIVE")
    assert server["OS-EXT-STS:vm_state"] == "active" and server["OS-EXT-STS:power_state"] == 1
    assert server["metadata"] == {"role": "web"} and server["tags"] == ["a", "b"] and server["description"] == "d"
    assert server["flavor"]["original_name"] == "m1.tiny" and server["hostId"]
    assert "OS-EXT-SRV-ATTR:host" not in server and server["OS-EXT-SRV-ATTR:hostname"]
    ports = _ports(cloud, demo_token, created["id"])
    assert len(ports) == 1 and ports[0]["device_owner"] == "compute:nova"
    (addr,) = server["addresses"]["private"]
    assert addr["addr"] == ports[0]["fixed_ips"][0]["ip_address"]
    assert addr["OS-EXT-IPS-MAC:mac_addr"] == ports[0]["mac_address"] and addr["OS-EXT-IPS:type"] == "fixed"
    assert nova_demo.get(f"/servers/{created['id']}/ips").json()["addresses"]["private"][0]["addr"] == addr["addr"]
    assert nova_demo.delete(f"/servers/{created['id']}").status_code == 204
    nova_demo.wait_gone(created["id"])
    assert _ports(cloud, demo_token, created["id"]) == []


def test_admin_sees_extended_attributes(nova_admin, nova_demo):
    created = nova_demo.boot()
    nova_demo.wait(created["id"], "ACTIVE")
    server = nova_admin.show(created["id"])
    assert server["OS-EXT-SRV-ATTR:host"] == "pocketstack" and server["OS-EXT-SRV-ATTR:instance_name"]
    listed = nova_admin.get("/servers/detail?all_tenants=1").json()["servers"]
    assert created["id"] in [s["id"] for s in listed]
    assert created["id"] not in [s["id"] for s in nova_admin.get("/servers").json()["servers"]]
    nova_demo.delete(f"/servers/{created['id']}")


def test_create_errors(nova_demo, private_net):
    def post(**server):
        body = {"name": unique(), "flavorRef": "1", "imageRef": nova_demo_image(nova_demo), "networks": "none",
                **server}
        return nova_demo.post("/servers", json={"server": body})
    assert post(flavorRef="nope").status_code == 400
    assert post(imageRef="00000000-0000-0000-0000-000000000000").status_code == 400
    assert post(networks=[{"uuid": "00000000-0000-0000-0000-000000000000"}]).status_code == 400
    assert post(key_name="missing").status_code == 400
    assert post(name="").status_code == 400
    no_networks = {"name": unique(), "flavorRef": "1", "imageRef": nova_demo_image(nova_demo)}
    assert nova_demo.post("/servers", json={"server": no_networks}).status_code == 400
    assert post(availability_zone="elsewhere").status_code == 400
    too_old = nova_demo.post("/servers", headers=nova_demo.at("2.89"), json={"server": {
        "name": unique(), "flavorRef": "1", "imageRef": nova_demo_image(nova_demo), "networks": "none",
        "hostname": "x"}})
    assert too_old.status_code == 400


def nova_demo_image(nova) -> str:
    from tests.services.compute.conftest import IMAGE
    return IMAGE[0]


def test_not_found_and_other_project(nova_demo, nova_alt):
    created = nova_demo.boot()
    assert nova_alt.get(f"/servers/{created['id']}").status_code == 404
    assert nova_alt.delete(f"/servers/{created['id']}").status_code == 404
    assert nova_alt.action(created["id"], {"os-stop": None}).status_code == 404
    assert nova_demo.get("/servers/00000000-0000-0000-0000-000000000000").json()["itemNotFound"]["code"] == 404
    nova_demo.wait(created["id"], "ACTIVE")
    nova_demo.delete(f"/servers/{created['id']}")


def test_list_filters_and_paging(nova_demo):
    tag = unique("tag")
    ids = [nova_demo.boot(name=f"pg-{tag}-{i}", tags=[tag])["id"] for i in range(3)]
    for sid in ids:
        nova_demo.wait(sid, "ACTIVE")
    named = nova_demo.get(f"/servers?name=pg-{tag}").json()["servers"]
    assert {s["id"] for s in named} == set(ids)
    assert {s["id"] for s in nova_demo.get(f"/servers/detail?tags={tag}").json()["servers"]} == set(ids)
    page = nova_demo.get(f"/servers?tags={tag}&limit=2").json()
    assert len(page["servers"]) == 2 and "servers_links" in page
    rest = nova_demo.get(f"/servers?tags={tag}&limit=2&marker={page['servers'][-1]['id']}").json()["servers"]
    assert len(rest) == 1 and rest[0]["id"] not in [s["id"] for s in page["servers"]]
    assert nova_demo.get(f"/servers?tags={tag}&status=SHUTOFF").json()["servers"] == []
    assert nova_demo.get("/servers?status=bogus").status_code == 400
    assert nova_demo.get("/servers?sort_key=bogus").status_code == 400
    asc = nova_demo.get(f"/servers?tags={tag}&sort_key=display_name&sort_dir=asc").json()["servers"]
    assert [s["name"] for s in asc] == sorted(s["name"] for s in asc)
    assert nova_demo.get("/servers?marker=00000000-0000-0000-0000-000000000000").status_code == 400
    for sid in ids:
        nova_demo.delete(f"/servers/{sid}")


def test_update(nova_demo):
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    r = nova_demo.put(f"/servers/{sid}", json={"server": {"name": "renamed", "description": "new"}})
    assert r.status_code == 200 and r.json()["server"]["name"] == "renamed"
    assert r.json()["server"]["description"] == "new"
    assert nova_demo.put(f"/servers/{sid}", headers=nova_demo.at("2.18"),
                         json={"server": {"description": "x"}}).status_code == 400
    nova_demo.delete(f"/servers/{sid}")


def test_instance_quota(nova_admin, nova_alt, cloud):
    token = cloud.token("devstack-alt")
    project = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
    nova_admin.put(f"/os-quota-sets/{project}", json={"quota_set": {"instances": 0}})
    try:
        from tests.services.compute.conftest import IMAGE
        r = nova_alt.post("/servers", json={"server": {"name": unique(), "flavorRef": "1", "imageRef": IMAGE[0],
                                                       "networks": "none"}})
        assert r.status_code == 403 and "Quota exceeded for instances" in r.json()["forbidden"]["message"]
    finally:
        nova_admin.delete(f"/os-quota-sets/{project}")


def test_metadata_and_tags(nova_demo):
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    assert nova_demo.post(f"/servers/{sid}/metadata", json={"metadata": {"a": "1"}}).json()["metadata"] == {"a": "1"}
    assert nova_demo.put(f"/servers/{sid}/metadata/b", json={"meta": {"b": "2"}}).json() == {"meta": {"b": "2"}}
    assert nova_demo.put(f"/servers/{sid}/metadata/b", json={"meta": {"c": "2"}}).status_code == 400
    assert nova_demo.get(f"/servers/{sid}/metadata").json()["metadata"] == {"a": "1", "b": "2"}
    assert nova_demo.get(f"/servers/{sid}/metadata/a").json() == {"meta": {"a": "1"}}
    assert nova_demo.delete(f"/servers/{sid}/metadata/a").status_code == 204
    assert nova_demo.get(f"/servers/{sid}/metadata/a").status_code == 404
    assert nova_demo.put(f"/servers/{sid}/metadata", json={"metadata": {"z": "9"}}).json()["metadata"] == {"z": "9"}
    assert nova_demo.put(f"/servers/{sid}/tags/t1").status_code == 201
    assert nova_demo.put(f"/servers/{sid}/tags/t1").status_code == 204
    assert nova_demo.get(f"/servers/{sid}/tags/t1").status_code == 204
    assert nova_demo.get(f"/servers/{sid}/tags/none").status_code == 404
    assert nova_demo.put(f"/servers/{sid}/tags", json={"tags": ["x", "y"]}).json()["tags"] == ["x", "y"]
    assert nova_demo.get(f"/servers/{sid}/tags", headers=nova_demo.at("2.25")).status_code == 404
    assert nova_demo.delete(f"/servers/{sid}/tags").status_code == 204
    assert nova_demo.get(f"/servers/{sid}/tags").json()["tags"] == []
    nova_demo.delete(f"/servers/{sid}")


def test_interfaces(nova_demo, private_net):
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    assert nova_demo.get(f"/servers/{sid}/os-interface").json()["interfaceAttachments"] == []
    r = nova_demo.post(f"/servers/{sid}/os-interface", json={"interfaceAttachment": {"net_id": private_net}})
    assert r.status_code == 200, r.text
    port_id = r.json()["interfaceAttachment"]["port_id"]
    assert [i["port_id"] for i in nova_demo.get(f"/servers/{sid}/os-interface").json()["interfaceAttachments"]] \
        == [port_id]
    assert "private" in nova_demo.show(sid)["addresses"]
    assert nova_demo.delete(f"/servers/{sid}/os-interface/{port_id}").status_code == 202
    assert nova_demo.get(f"/servers/{sid}/os-interface/{port_id}").status_code == 404
    nova_demo.delete(f"/servers/{sid}")


@pytest.mark.parametrize("count", [2])
def test_multi_create_with_reservation(nova_demo, count):
    from tests.services.compute.conftest import IMAGE
    r = nova_demo.post("/servers", json={"server": {"name": unique("multi"), "flavorRef": "1", "imageRef": IMAGE[0],
                                                    "networks": "none", "min_count": count, "max_count": count,
                                                    "return_reservation_id": True}})
    assert r.status_code == 202
    rid = r.json()["reservation_id"]
    servers = nova_demo.get(f"/servers?reservation_id={rid}").json()["servers"]
    assert len(servers) == count
    for s in servers:
        nova_demo.delete(f"/servers/{s['id']}")


def test_cli_server_lifecycle(cli):
    name = unique("cli")
    server = cli("server", "create", "--flavor", "m1.tiny", "--image", "cirros-0.6.3-x86_64-disk",
                 "--network", "private", "--wait", name, os_cloud="devstack")
    assert server["status"] == "ACTIVE" and "private" in str(server["addresses"])
    assert name in [s["Name"] for s in cli("server", "list", os_cloud="devstack")]
    cli("server", "stop", name, os_cloud="devstack")
    cli("server", "delete", "--wait", name, os_cloud="devstack")
    assert name not in [s["Name"] for s in cli("server", "list", os_cloud="devstack")]


def test_sdk(demo, private_net):
    from tests.services.compute.conftest import IMAGE
    server = demo.compute.create_server(name=unique("sdk"), flavor_id="1", image_id=IMAGE[0],
                                        networks=[{"uuid": private_net}])
    server = demo.compute.wait_for_server(server, wait=60)
    assert server.status == "ACTIVE" and server.addresses["private"]
    demo.compute.stop_server(server)
    demo.compute.wait_for_server(server, status="SHUTOFF", wait=60)
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, wait=60)


def test_all_tenants_from_a_user_is_refused(nova_demo, demo, admin):
    """nova refuses all_tenants to a caller whose rule denies it (openstacksdk's functional test
    `test_list_all_servers_bad_permissions` expects the error); false values are no request for it."""
    import openstack.exceptions
    for path in ("/servers?all_tenants=1", "/servers/detail?all_tenants", "/servers/detail?all_tenants=True"):
        r = nova_demo.get(path)
        assert r.status_code == 403 and "get_all_tenants" in r.json()["forbidden"]["message"], path
    assert nova_demo.get("/servers/detail?all_tenants=0").status_code == 200
    assert nova_demo.get("/servers?all_tenants=bogus").status_code == 400
    with pytest.raises(openstack.exceptions.ForbiddenException):
        demo.list_servers(all_projects=True)
    assert isinstance(admin.list_servers(all_projects=True), list)


def test_boot_volume_with_an_image_ref_need_not_be_bootable(demo):
    """openstacksdk's TestServerAdmin boots with imageRef and a blank volume at boot_index 0: nova
    checks `bootable` only when no image is named."""
    import openstack.exceptions
    image = demo.image.find_image("cirros-0.6.3-x86_64-disk")
    flavor = demo.compute.find_flavor("m1.tiny")
    volume = demo.block_storage.create_volume(size=1, name=unique("blank"))
    demo.block_storage.wait_for_status(volume, "available", wait=60)
    bdm = [{"uuid": volume.id, "source_type": "volume", "destination_type": "volume", "boot_index": 0,
            "delete_on_termination": True, "volume_size": 1}]
    with pytest.raises(openstack.exceptions.BadRequestException, match="is not bootable"):
        demo.compute.create_server(name=unique("s"), flavor_id=flavor.id, networks="none",
                                   block_device_mapping=bdm)
    server = demo.compute.create_server(name=unique("s"), flavor_id=flavor.id, image_id=image.id,
                                        networks="none", block_device_mapping=bdm)
    server = demo.compute.wait_for_server(server, wait=120)
    assert [a["id"] for a in server.attached_volumes] == [volume.id]
    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, wait=120)
    demo.block_storage.wait_for_delete(volume, wait=120)          # delete_on_termination


def test_default_group_on_a_network_without_port_security(nova_demo, private_net, cloud, demo_token):
    """nova sends "default" alone to neutron as no group at all (_clean_security_groups): neutron applies its
    project's default group where port security is on, and none where it is off, so the boot works there."""
    h = {"X-Auth-Token": demo_token}
    net = httpx.post(cloud.url + "/networking/v2.0/networks", headers=h,
                     json={"network": {"name": unique("nops"), "port_security_enabled": False}}).json()["network"]
    httpx.post(cloud.url + "/networking/v2.0/subnets", headers=h, json={"subnet": {
        "network_id": net["id"], "ip_version": 4, "cidr": "10.77.0.0/24"}}).raise_for_status()
    try:
        off = nova_demo.wait(nova_demo.boot(net["id"])["id"], "ACTIVE")
        (port,) = _ports(cloud, demo_token, off["id"])
        assert port["security_groups"] == [] and port["port_security_enabled"] is False
        # the server shows its ports' groups, as nova does with neutron: none here (Tempest's
        # test_boot_into_disabled_port_security_network_without_secgroup)
        assert "security_groups" not in off
        on = nova_demo.wait(nova_demo.boot(private_net)["id"], "ACTIVE")
        (port,) = _ports(cloud, demo_token, on["id"])
        default = httpx.get(cloud.url + "/networking/v2.0/security-groups?name=default", headers=h).json()
        assert port["security_groups"] == [default["security_groups"][0]["id"]]
        assert on["security_groups"] == [{"name": "default"}]
        listed = {s["id"]: s for s in nova_demo.get("/servers/detail").json()["servers"]}
        assert "security_groups" not in listed[off["id"]]
        assert listed[on["id"]]["security_groups"] == [{"name": "default"}]
        # a group set on the port in the network service shows on the server
        extra = httpx.post(cloud.url + "/networking/v2.0/security-groups", headers=h,
                           json={"security_group": {"name": unique("sg")}}).json()["security_group"]
        httpx.put(cloud.url + f"/networking/v2.0/ports/{port['id']}", headers=h, json={"port": {
            "security_groups": [extra["id"]]}}).raise_for_status()
        assert nova_demo.show(on["id"])["security_groups"] == [{"name": extra["name"]}]
        for s in (off, on):
            assert nova_demo.delete(f"/servers/{s['id']}").status_code == 204
            nova_demo.wait_gone(s["id"])
    finally:
        httpx.delete(cloud.url + f"/networking/v2.0/networks/{net['id']}", headers=h)

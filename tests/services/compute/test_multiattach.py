"""Multiattach volumes in Nova, through openstacksdk: compute 2.60 attaches (and boots from) a multiattach
volume, one volume on several servers, each server listing its own attachment, detach or delete of one
server leaving the others attached."""

from __future__ import annotations

import pytest
from openstack.compute.v2.server import Server

from tests.conftest import unique

NEED_260 = "Multiattach volumes are only supported starting with compute API version 2.60."


@pytest.fixture(scope="module")
def multi_type(admin):
    vtype = admin.block_storage.create_type(name=unique("multi"), extra_specs={"multiattach": "<is> True"})
    yield vtype
    admin.block_storage.delete_type(vtype, ignore_missing=True)


@pytest.fixture(scope="module")
def image_id(demo):
    return demo.image.find_image("cirros-0.6.3-x86_64-disk", ignore_missing=False).id


MADE: dict[str, list] = {"servers": [], "volumes": []}


@pytest.fixture(scope="module", autouse=True)
def cleanup(demo, multi_type):
    yield
    for server in MADE["servers"]:
        demo.compute.delete_server(server, ignore_missing=True)
    for server in MADE["servers"]:
        demo.compute.wait_for_delete(Server(id=server), interval=0.2, wait=60)
    for vol in MADE["volumes"]:
        demo.block_storage.delete_volume(vol, ignore_missing=True)
        demo.block_storage.wait_for_delete(vol, interval=0.2, wait=60)


def _server(demo, image_id, **kw):
    server = demo.compute.create_server(name=unique("srv"), flavor_id="1", networks="none",
                                        **({"image_id": image_id} if image_id else {}), **kw)
    MADE["servers"].append(server.id)
    return demo.compute.wait_for_server(server, interval=0.2, wait=60)


def _volume(demo, vtype=None, **kw):
    vol = demo.block_storage.create_volume(size=1, name=unique("vol"),
                                           **({"volume_type": vtype.name} if vtype else {}), **kw)
    MADE["volumes"].append(vol)
    return demo.block_storage.wait_for_status(vol, "available", failures=["error"], interval=0.2, wait=60)


def _attach(demo, server, vol, version="2.60"):
    return demo.compute.post(f"/servers/{server.id}/os-volume_attachments",
                             json={"volumeAttachment": {"volumeId": vol.id}}, microversion=version)


def _status(demo, vol, status):
    return demo.block_storage.wait_for_status(demo.block_storage.get_volume(vol), status, interval=0.2, wait=30)


def test_one_volume_on_several_servers(demo, image_id, multi_type):
    servers = [_server(demo, image_id) for _ in range(3)]
    vol = _volume(demo, multi_type)
    made = {s.id: demo.compute.create_volume_attachment(s, volume_id=vol.id) for s in servers}
    vol = _status(demo, vol, "in-use")
    assert sorted(a["server_id"] for a in vol.attachments) == sorted(s.id for s in servers)
    for server in servers:
        listed = list(demo.compute.volume_attachments(server))
        assert [(a.volume_id, a.attachment_id) for a in listed] == [(vol.id, made[server.id].attachment_id)]
    # the same volume twice on one server: nova's "already attached"
    again = _attach(demo, servers[0], vol)
    assert again.status_code == 400
    assert again.json()["badRequest"]["message"] == f"Invalid volume: volume {vol.id} already attached"
    # detach from one: the others keep it, and the volume stays in-use
    demo.compute.delete_volume_attachment(servers[0], vol)
    vol = _status(demo, vol, "in-use")
    assert sorted(a["server_id"] for a in vol.attachments) == sorted(s.id for s in servers[1:])
    assert list(demo.compute.volume_attachments(servers[0])) == []
    # deleting a server detaches only its own attachment
    demo.compute.delete_server(servers[1])
    demo.compute.wait_for_delete(servers[1], interval=0.2, wait=60)
    vol = _status(demo, vol, "in-use")
    assert [a["server_id"] for a in vol.attachments] == [servers[2].id]
    assert [a.volume_id for a in demo.compute.volume_attachments(servers[2])] == [vol.id]
    demo.compute.delete_volume_attachment(servers[2], vol)
    _status(demo, vol, "available")


def test_multiattach_needs_2_60(demo, image_id, multi_type):
    server = _server(demo, image_id)
    vol = _volume(demo, multi_type)
    old = _attach(demo, server, vol, "2.59")
    assert old.status_code == 400 and old.json()["badRequest"]["message"] == NEED_260
    assert demo.block_storage.get_volume(vol).status == "available"
    boot = demo.compute.post("/servers", microversion="2.59", json={"server": {
        "name": unique("srv"), "flavorRef": "1", "imageRef": image_id, "networks": "none",
        "block_device_mapping_v2": [{"uuid": image_id, "source_type": "image", "destination_type": "local",
                                     "boot_index": 0},
                                    {"uuid": vol.id, "source_type": "volume", "destination_type": "volume"}]}})
    assert boot.status_code == 400 and boot.json()["badRequest"]["message"] == NEED_260


def test_a_plain_volume_stays_on_one_server(demo, image_id):
    first, second = _server(demo, image_id), _server(demo, image_id)
    vol = _volume(demo)
    assert vol.is_multiattach is False
    demo.compute.create_volume_attachment(first, volume_id=vol.id)
    _status(demo, vol, "in-use")
    refused = _attach(demo, second, vol)
    assert refused.status_code == 400
    assert refused.json()["badRequest"]["message"] == (
        f"Invalid volume: volume {vol.id} is already attached to instances: {first.id}")
    assert list(demo.compute.volume_attachments(second)) == []
    demo.compute.delete_volume_attachment(first, vol)
    _status(demo, vol, "available")


def test_boot_from_a_multiattach_volume_in_use(demo, image_id, multi_type):
    vol = _volume(demo, multi_type, image_id=image_id)
    assert vol.is_bootable and vol.is_multiattach
    bdm = [{"uuid": vol.id, "source_type": "volume", "destination_type": "volume", "boot_index": 0,
            "delete_on_termination": True}]
    first = _server(demo, None, block_device_mapping=bdm)
    # a second server boots from the same, now in-use, volume
    second = _server(demo, None, block_device_mapping=bdm)
    for server in (first, second):
        assert [a.volume_id for a in demo.compute.volume_attachments(server)] == [vol.id]
    vol = _status(demo, vol, "in-use")
    assert sorted(a["server_id"] for a in vol.attachments) == sorted([first.id, second.id])
    # delete_on_termination of a volume another server still holds: the volume stays, attached to it
    demo.compute.delete_server(first)
    demo.compute.wait_for_delete(first, interval=0.2, wait=60)
    vol = _status(demo, vol, "in-use")
    assert [a["server_id"] for a in vol.attachments] == [second.id]


def test_swap_of_a_shared_volume_is_refused(admin, demo, image_id, multi_type):
    first, second = _server(demo, image_id), _server(demo, image_id)
    vol, other = _volume(demo, multi_type), _volume(demo, multi_type)
    for server in (first, second):
        demo.compute.create_volume_attachment(server, volume_id=vol.id)
    path, body = f"/servers/{first.id}/os-volume_attachments/{vol.id}", {"volumeAttachment": {"volumeId": other.id}}
    assert demo.compute.put(path, json=body, microversion="2.60").status_code == 403     # a service's call
    assert admin.compute.put(path, json=body, microversion="2.60").status_code == 409    # not migrating
    # were Cinder migrating it: still refused, the volume has two read/write attachments
    assert admin.block_storage.post(f"/volumes/{vol.id}/action", json={
        "os-reset_status": {"migration_status": "migrating"}}).status_code == 202
    r = admin.compute.put(path, json=body, microversion="2.60")
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == ("Swapping multi-attach volumes with more than one read/write "
                                                 "attachment is not supported.")
    assert len(_status(demo, vol, "in-use").attachments) == 2
    assert demo.block_storage.get_volume(other).status == "available"
    for server in (first, second):
        demo.compute.delete_volume_attachment(server, vol)


def test_another_project_cannot_attach_it(alt, demo, image_id, multi_type):
    vol = _volume(demo, multi_type)
    server = alt.compute.create_server(name=unique("srv"), flavor_id="1", networks="none", image_id=image_id)
    try:
        server = alt.compute.wait_for_server(server, interval=0.2, wait=60)
        r = alt.compute.post(f"/servers/{server.id}/os-volume_attachments",
                             json={"volumeAttachment": {"volumeId": vol.id}}, microversion="2.60")
        assert r.status_code == 404
        assert demo.block_storage.get_volume(vol).attachments == []
    finally:
        alt.compute.delete_server(server)
        alt.compute.wait_for_delete(server, interval=0.2, wait=60)

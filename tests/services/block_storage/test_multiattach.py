"""Multiattach volumes in Cinder, through openstacksdk: the type's extra spec makes the volume multiattach
(3.50: never the create request), attachments from several instances only for such volumes, and retype
may change multiattach only on an available volume."""

from __future__ import annotations

import time

import pytest
from openstack import exceptions

from tests.conftest import unique

MULTI = {"multiattach": "<is> True"}


@pytest.fixture(scope="module")
def multi_type(admin):
    vtype = admin.block_storage.create_type(name=unique("multi"), extra_specs=MULTI)
    yield vtype
    admin.block_storage.delete_type(vtype, ignore_missing=True)


@pytest.fixture(scope="module")
def plain_type(admin):
    vtype = admin.block_storage.create_type(name=unique("plain"))
    yield vtype
    admin.block_storage.delete_type(vtype, ignore_missing=True)


MADE: list = []


@pytest.fixture(scope="module", autouse=True)
def cleanup(demo, multi_type, plain_type):
    """The module's volumes go before its types (a type in use cannot be deleted)."""
    yield
    for vol in MADE:
        deadline = time.monotonic() + 60          # a deleted server's detach may still be finishing
        while True:
            try:
                demo.block_storage.delete_volume(vol, ignore_missing=True)
                break
            except exceptions.BadRequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        demo.block_storage.wait_for_delete(vol, interval=0.2, wait=60)


def _volume(conn, vtype=None):
    vol = conn.block_storage.create_volume(size=1, name=unique("vol"), **({"volume_type": vtype.name}
                                                                       if vtype else {}))
    MADE.append(vol)
    return conn.block_storage.wait_for_status(vol, "available", failures=["error"], interval=0.2, wait=60)


def _attach(conn, vol, instance):
    """Nova's calls: attachment create with a connector, then complete."""
    body = {"attachment": {"volume_uuid": vol.id, "instance_uuid": instance,
                           "connector": {"host": "pocketstack", "initiator": "iqn.test"}}}
    r = conn.block_storage.post("/attachments", json=body, microversion="3.54")
    if r.status_code != 200:
        return r
    att = r.json()["attachment"]
    done = conn.block_storage.post(f"/attachments/{att['id']}/action", json={"os-complete": None},
                                   microversion="3.54")
    assert done.status_code == 204, done.text
    return att


def test_the_type_makes_the_volume_multiattach(demo, multi_type, plain_type):
    vol = _volume(demo, multi_type)
    assert vol.is_multiattach is True
    assert _volume(demo, plain_type).is_multiattach is False
    shown = demo.block_storage.get(f"/volumes/{vol.id}", microversion="3.50").json()["volume"]
    assert shown["multiattach"] is True
    # the type's spec is one a user sees (cinder's user-visible extra specs)
    seen = demo.block_storage.get(f"/types/{multi_type.id}").json()["volume_type"]
    assert seen["extra_specs"] == MULTI


@pytest.mark.parametrize("version", ["3.0", "3.50", "3.70"])
def test_the_create_request_cannot_ask_for_multiattach(demo, version):
    r = demo.block_storage.post("/volumes", json={"volume": {"size": 1, "multiattach": True}},
                                microversion=version)
    assert r.status_code == 400
    assert "multiattach parameter has been removed" in r.json()["badRequest"]["message"]
    bad = demo.block_storage.post("/volumes", json={"volume": {"size": 1, "multiattach": "perhaps"}})
    assert bad.status_code == 400
    off = demo.block_storage.post("/volumes", json={"volume": {"size": 1, "multiattach": False}})
    assert off.status_code == 202
    MADE.append(demo.block_storage.get_volume(off.json()["volume"]["id"]))


def test_several_instances_only_for_multiattach(demo, multi_type, plain_type):
    first, second = unique("inst"), unique("inst")
    multi = _volume(demo, multi_type)
    a1, a2 = _attach(demo, multi, first), _attach(demo, multi, second)
    vol = demo.block_storage.get_volume(multi)
    assert vol.status == "in-use"
    assert sorted(a["server_id"] for a in vol.attachments) == sorted([first, second])
    # detaching one keeps the other
    demo.block_storage.delete(f"/attachments/{a1['id']}", microversion="3.54")
    vol = demo.block_storage.get_volume(multi)
    assert vol.status == "in-use" and [a["server_id"] for a in vol.attachments] == [second]
    demo.block_storage.delete(f"/attachments/{a2['id']}", microversion="3.54")
    assert demo.block_storage.get_volume(multi).status == "available"

    plain = _volume(demo, plain_type)
    held = _attach(demo, plain, first)
    refused = _attach(demo, plain, second)
    assert refused.status_code == 400
    assert (f"Volume {plain.id} status must be available or downloading to reserve, but the current status is "
            f"in-use.") in refused.json()["badRequest"]["message"]
    # the instance already holding it may reserve it again (nova moving it between hosts)
    again = _attach(demo, plain, first)
    assert isinstance(again, dict)
    for att in (held, again):
        demo.block_storage.delete(f"/attachments/{att['id']}", microversion="3.54")
    assert demo.block_storage.get_volume(plain).status == "available"


def test_retype_changes_multiattach_only_when_available(demo, multi_type, plain_type):
    vol = _volume(demo, plain_type)
    demo.block_storage.retype_volume(vol, multi_type.name)
    vol = demo.block_storage.get_volume(vol)
    assert vol.volume_type == multi_type.name and vol.is_multiattach is True
    att = _attach(demo, vol, unique("inst"))
    r = demo.block_storage.post(f"/volumes/{vol.id}/action", json={"os-retype": {"new_type": plain_type.name}},
                                microversion="3.50")
    assert r.status_code == 400
    assert ("retypes affecting multiattach are only allowed on available volumes, the specified volume however "
            "currently has a status of: in-use.") in r.json()["badRequest"]["message"]
    demo.block_storage.delete(f"/attachments/{att['id']}", microversion="3.54")
    demo.block_storage.retype_volume(vol, plain_type.name)
    vol = demo.block_storage.get_volume(vol)
    assert vol.volume_type == plain_type.name and vol.is_multiattach is False


def test_multiattach_and_encryption_do_not_mix(admin, demo, multi_type):
    both = admin.block_storage.create_type(name=unique("multi-enc"), extra_specs=MULTI)
    admin.block_storage.create_type_encryption(both, provider="luks", control_location="front-end")
    try:
        r = demo.block_storage.post("/volumes", json={"volume": {"size": 1, "volume_type": both.name}})
        assert r.status_code == 400
        assert "Multiattach cannot be used with encrypted volumes." in r.json()["badRequest"]["message"]
        vol = _volume(demo)
        r = demo.block_storage.post(f"/volumes/{vol.id}/action", json={"os-retype": {"new_type": both.name}})
        assert r.status_code == 400
        assert "Retype requested both encryption and multi-attach" in r.json()["badRequest"]["message"]
    finally:
        admin.block_storage.delete_type(both)


def test_another_project_cannot_attach(alt, demo, multi_type):
    vol = _volume(demo, multi_type)
    r = alt.block_storage.post("/attachments", json={"attachment": {"volume_uuid": vol.id}}, microversion="3.54")
    assert r.status_code == 404
    with pytest.raises(exceptions.HttpException):
        alt.block_storage.retype_volume(vol.id, multi_type.name)

"""Microversions 2.97 to 2.104: share attachments, embedded image properties, spice-direct, scheduler hints
in server bodies, 202 on volume attach, flavor clean-up, and pinning/unpinning the availability zone."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import unique
from tests.services.compute.conftest import IMAGE

V = {f"v{n}": {"OpenStack-API-Version": f"compute 2.{n}"} for n in range(90, 105)}
NO_SHARE = "6e3ac7ae-0b7a-4ca5-9d5a-7b0a4e6a1a00"


@pytest.fixture(scope="module")
def glance(cloud, demo_token):
    return httpx.Client(base_url=cloud.url + "/image/v2", timeout=60, headers={"X-Auth-Token": demo_token})


def _image_with_properties(glance, **props):
    r = glance.post("/images", json={"name": unique("img"), "disk_format": "raw", "container_format": "bare",
                                     **props})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    r = glance.put(f"/images/{image_id}/file", content=b"\0" * 1024,
                   headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id


# --- 2.98: image properties -----------------------------------------------------------------------
def test_image_properties_shown_from_2_98(nova_demo, glance):
    image_id = _image_with_properties(glance, os_distro="cirros", hw_disk_bus="virtio", my_own_key="x")
    sid = nova_demo.boot(imageRef=image_id)["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        shown = nova_demo.get(f"/servers/{sid}", headers=V["v98"]).json()["server"]["image"]
        # only the properties nova's ImageMetaProps knows, as nova keeps them in system metadata
        assert shown["id"] == image_id and shown["properties"] == {"os_distro": "cirros", "hw_disk_bus": "virtio"}
        assert "properties" not in nova_demo.get(f"/servers/{sid}", headers=V["v97"]).json()["server"]["image"]
        detail = nova_demo.get("/servers/detail", headers=V["v98"]).json()["servers"]
        assert [s["image"]["properties"] for s in detail if s["id"] == sid] == [shown["properties"]]
        updated = nova_demo.put(f"/servers/{sid}", json={"server": {"name": "renamed"}}, headers=V["v98"])
        assert updated.json()["server"]["image"]["properties"] == shown["properties"]
        # rebuild to another image: its properties, in the rebuild answer already
        rebuilt = nova_demo.action(sid, {"rebuild": {"imageRef": IMAGE[0]}}, headers=V["v98"])
        assert rebuilt.status_code == 202, rebuilt.text
        assert "os_distro" not in rebuilt.json()["server"]["image"]["properties"]
        nova_demo.wait(sid, "ACTIVE")
    finally:
        nova_demo.delete(f"/servers/{sid}")
        nova_demo.wait_gone(sid)
        glance.delete(f"/images/{image_id}")


# --- 2.100: scheduler hints -----------------------------------------------------------------------
def test_scheduler_hints_shown_from_2_100(nova_demo, server):
    body = {"server": {"name": unique("srv"), "flavorRef": "1", "imageRef": IMAGE[0], "networks": "none"},
            "os:scheduler_hints": {"same_host": server, "my_hint": "x"}}
    r = nova_demo.post("/servers", json=body, headers=V["v100"])
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        shown = nova_demo.get(f"/servers/{sid}", headers=V["v100"]).json()["server"]
        # nova's RequestSpec keeps every hint as a list of strings
        assert shown["scheduler_hints"] == {"same_host": [server], "my_hint": ["x"]}
        assert "scheduler_hints" not in nova_demo.get(f"/servers/{sid}", headers=V["v99"]).json()["server"]
        plain = nova_demo.get(f"/servers/{server}", headers=V["v100"]).json()["server"]
        assert plain["scheduler_hints"] == {}
        detail = nova_demo.get("/servers/detail", headers=V["v100"]).json()["servers"]
        assert {s["id"]: s["scheduler_hints"] for s in detail}[sid] == shown["scheduler_hints"]
        put = nova_demo.put(f"/servers/{sid}", json={"server": {"name": "x"}}, headers=V["v100"])
        assert put.json()["server"]["scheduler_hints"] == shown["scheduler_hints"]
    finally:
        nova_demo.delete(f"/servers/{sid}")


# --- 2.104: pinned availability zone ----------------------------------------------------------------
def test_pin_and_unpin_availability_zone(nova_demo, nova_alt):
    sid = nova_demo.boot(availability_zone="nova")["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        assert nova_demo.get(f"/servers/{sid}", headers=V["v104"]).json()["server"]["pinned_availability_zone"] \
            == "nova"
        # before 2.104 the field is unknown to PUT
        old = nova_demo.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": None}},
                            headers=V["v103"])
        assert old.status_code == 400
        # another project's server is not found
        assert nova_alt.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": None}},
                            headers=V["v104"]).status_code == 404
        # pinned elsewhere: unpin first
        other = nova_demo.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": "elsewhere"}},
                              headers=V["v104"])
        assert other.status_code == 409 and "Unpin first" in other.text
        unpinned = nova_demo.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": None}},
                                 headers=V["v104"])
        assert unpinned.status_code == 200 and unpinned.json()["server"]["pinned_availability_zone"] is None
        assert nova_demo.get(f"/servers/{sid}", headers=V["v104"]).json()["server"][
            "pinned_availability_zone"] is None
        # only to the zone it is in
        wrong = nova_demo.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": "elsewhere"}},
                              headers=V["v104"])
        assert wrong.status_code == 409 and "current availability zone 'nova'" in wrong.text
        bad = nova_demo.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": " x"}},
                            headers=V["v104"])
        assert bad.status_code == 400
        repinned = nova_demo.put(f"/servers/{sid}", json={"server": {"pinned_availability_zone": "nova"}},
                                 headers=V["v104"])
        assert repinned.status_code == 200 and repinned.json()["server"]["pinned_availability_zone"] == "nova"
    finally:
        nova_demo.delete(f"/servers/{sid}")


# --- 2.97: share attachments ----------------------------------------------------------------------
def test_shares_without_virtiofs(nova_demo, nova_alt, server):
    base = f"/servers/{server}/shares"
    assert nova_demo.get(base, headers=V["v96"]).status_code == 404
    r = nova_demo.get(base, headers=V["v97"])
    assert r.status_code == 200 and r.json() == {"shares": []}
    assert nova_demo.get(f"{base}/{NO_SHARE}", headers=V["v97"]).status_code == 404
    assert nova_alt.get(base, headers=V["v97"]).status_code == 404
    share = {"share": {"share_id": NO_SHARE}}
    assert nova_demo.post(base, json={"share": {"share_id": "not-a-uuid"}}, headers=V["v97"]).status_code == 400
    assert nova_demo.post(base, json={"share": {"share_id": NO_SHARE, "tag": "no spaces"}},
                          headers=V["v97"]).status_code == 400
    active = nova_demo.post(base, json=share, headers=V["v97"])
    assert active.status_code == 409 and "vm_state active" in active.text
    assert nova_demo.delete(f"{base}/{NO_SHARE}", headers=V["v97"]).status_code == 409


def test_share_attach_refused_on_a_host_without_virtiofs(nova_demo):
    sid = nova_demo.boot()["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        assert nova_demo.action(sid, {"os-stop": None}).status_code == 202
        nova_demo.wait(sid, "SHUTOFF")
        r = nova_demo.post(f"/servers/{sid}/shares", json={"share": {"share_id": NO_SHARE}}, headers=V["v97"])
        assert r.status_code == 409 and "not configured correctly" in r.text
        gone = nova_demo.delete(f"/servers/{sid}/shares/{NO_SHARE}", headers=V["v97"])
        assert gone.status_code == 404 and NO_SHARE in gone.text
    finally:
        nova_demo.delete(f"/servers/{sid}")


# --- 2.99: spice-direct -----------------------------------------------------------------------------
def test_spice_direct_type(nova_demo, server):
    body = {"remote_console": {"protocol": "spice", "type": "spice-direct"}}
    old = nova_demo.post(f"/servers/{server}/remote-consoles", json=body, headers=V["v98"])
    assert old.status_code == 400 and "spice-direct" in old.text
    # known from 2.99; the fake host has no SPICE server to hand out (nova's ConsoleTypeUnavailable)
    new = nova_demo.post(f"/servers/{server}/remote-consoles", json=body, headers=V["v99"])
    assert new.status_code == 400 and "Unavailable console type spice-direct" in new.text


# --- 2.101: volume attach answers 202 -----------------------------------------------------------------
def test_attach_accepted_without_body(nova_demo, server, cloud, demo_token):
    project = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={
        "X-Auth-Token": demo_token, "X-Subject-Token": demo_token}).json()["token"]["project"]["id"]
    cinder = httpx.Client(base_url=f"{cloud.url}/volume/v3/{project}", timeout=60,
                          headers={"X-Auth-Token": demo_token})
    vol = cinder.post("/volumes", json={"volume": {"size": 1, "name": unique("vol")}}).json()["volume"]
    for _ in range(300):
        if cinder.get(f"/volumes/{vol['id']}").json()["volume"]["status"] == "available":
            break
        time.sleep(0.1)
    r = nova_demo.post(f"/servers/{server}/os-volume_attachments", json={"volumeAttachment": {"volumeId": vol["id"]}},
                       headers=V["v101"])
    assert r.status_code == 202 and r.content == b""
    listed = nova_demo.get(f"/servers/{server}/os-volume_attachments").json()["volumeAttachments"]
    assert [a["volumeId"] for a in listed] == [vol["id"]]
    assert nova_demo.delete(f"/servers/{server}/os-volume_attachments/{vol['id']}").status_code == 202
    for _ in range(300):
        if cinder.get(f"/volumes/{vol['id']}").json()["volume"]["status"] == "available":
            break
        time.sleep(0.1)
    cinder.delete(f"/volumes/{vol['id']}")


# --- 2.102: flavors ---------------------------------------------------------------------------------
def test_flavor_cleanup_2_102(nova_admin, nova_demo):
    old = nova_demo.get("/flavors/detail", headers=V["v101"]).json()["flavors"][0]
    assert "rxtx_factor" in old and "OS-FLV-DISABLED:disabled" in old
    new = nova_demo.get("/flavors/detail", headers=V["v102"]).json()["flavors"]
    assert all("rxtx_factor" not in f and "OS-FLV-DISABLED:disabled" not in f for f in new)
    one = nova_demo.get(f"/flavors/{new[0]['id']}", headers=V["v102"]).json()["flavor"]
    assert "rxtx_factor" not in one
    named = nova_demo.get("/flavors", params={"name": "^m1\\.(tiny|small)$"}, headers=V["v102"]).json()["flavors"]
    assert sorted(f["name"] for f in named) == ["m1.small", "m1.tiny"]
    assert nova_demo.get("/flavors", params={"name": "("}, headers=V["v102"]).status_code == 400
    assert nova_demo.get("/flavors", params={"sort_key": "rxtx_factor"}, headers=V["v102"]).status_code == 400
    assert nova_demo.get("/flavors", params={"sort_key": "rxtx_factor"}, headers=V["v101"]).status_code == 200
    body = {"flavor": {"name": unique("fl"), "ram": 64, "vcpus": 1, "disk": 1, "rxtx_factor": 2.0}}
    assert nova_admin.post("/flavors", json=body, headers=V["v102"]).status_code == 400
    made = nova_admin.post("/flavors", json=body, headers=V["v101"])
    assert made.status_code == 200 and made.json()["flavor"]["rxtx_factor"] == 2.0
    nova_admin.delete(f"/flavors/{made.json()['flavor']['id']}")


# --- 2.102: unknown query parameters --------------------------------------------------------------
def test_unknown_query_parameters_refused_from_2_102(nova_demo, server):
    for path in (f"/servers/{server}", f"/servers/{server}/metadata", "/os-availability-zone",
                 f"/servers/{server}/os-instance-actions/none", "/flavors/1"):
        assert nova_demo.get(path, params={"bogus": "1"}, headers=V["v101"]).status_code in (200, 404)
        r = nova_demo.get(path, params={"bogus": "1"}, headers=V["v102"])
        assert r.status_code == 400 and "bogus" in r.text, (path, r.text)
    # lists closed since 2.75 (nova's index_query_v275) keep their own parameters
    assert nova_demo.get("/servers", params={"bogus": "1"}, headers=V["v90"]).status_code == 400
    assert nova_demo.get("/servers", params={"bogus": "1"}, headers=nova_demo.at("2.74")).status_code == 200
    assert nova_demo.get("/servers/detail", params={"name": "x", "limit": "1", "_private": "1"},
                         headers=V["v102"]).status_code == 200
    assert nova_demo.get("/flavors", params={"name": "tiny"}, headers=V["v101"]).status_code == 400
    assert nova_demo.get(f"/servers/{server}/shares", params={"bogus": "1"}, headers=V["v97"]).status_code == 400

"""Volumes over HTTP, openstacksdk and the openstack CLI: lifecycle, views per microversion, lists,
errors in Cinder's format, quotas, and sparse backing files."""

from __future__ import annotations

import httpx

from tests.conftest import unique
from tests.services.block_storage.conftest import GiB, allocated, backing_file


def test_version_documents(http):
    r = http.get("/volume/")
    assert r.status_code == 300
    v3 = r.json()["versions"][0]
    assert (v3["id"], v3["status"], v3["min_version"]) == ("v3.0", "CURRENT", "3.0")
    assert tuple(int(x) for x in v3["version"].split(".")) >= (3, 43)
    r = http.get("/volume/v3/")
    assert r.status_code == 200 and r.json()["versions"][0]["id"] == "v3.0"


def test_microversion_negotiation(cinder_demo):
    r = cinder_demo.get("/volumes", headers=cinder_demo.at("3.43"))
    assert r.status_code == 200 and r.headers["OpenStack-API-Version"] == "volume 3.43"
    assert "OpenStack-API-Version" in r.headers["Vary"]
    r = cinder_demo.get("/volumes", headers=cinder_demo.at("3.999"))
    assert r.status_code == 406 and "computeFault" in r.json()
    r = cinder_demo.get("/volumes", headers={"OpenStack-API-Version": "volume latest"})
    assert r.headers["OpenStack-API-Version"] == "volume 3.70"


def test_catalog_has_block_storage_and_volumev3(demo):
    types = {s["type"]: s for s in demo.service_catalog}
    for kind in ("block-storage", "volumev3"):
        url = types[kind]["endpoints"][0]["url"]
        assert url.endswith(f"/volume/v3/{demo.current_project_id}")


def test_create_show_update_delete_with_sdk(demo, cloud):
    vol = demo.block_storage.create_volume(size=1, name=unique("sdk"), metadata={"a": "b"})
    assert vol.status == "creating"
    vol = demo.block_storage.wait_for_status(vol, "available", wait=60)
    assert vol.size == 1 and vol.availability_zone == "nova" and vol.volume_type == "lvmdriver-1"
    assert vol.metadata == {"a": "b"} and vol.is_bootable is False
    path = backing_file(cloud, f"volumes/volume-{vol.id}")
    assert path.stat().st_size == GiB and allocated(path) < (1 << 20)      # sparse: nothing written
    demo.block_storage.update_volume(vol, name="renamed", description="d")
    assert demo.block_storage.get_volume(vol.id).name == "renamed"
    demo.block_storage.delete_volume(vol)
    demo.block_storage.wait_for_delete(vol, wait=60)
    assert not path.exists()


def test_volume_view_follows_microversion(cinder_demo, cinder_admin):
    vol = cinder_demo.volume()
    old = cinder_demo.get(f"/volumes/{vol['id']}", headers=cinder_demo.at("3.0")).json()["volume"]
    assert "group_id" not in old and "volume_type_id" not in old and "os-vol-host-attr:host" not in old
    assert old["bootable"] == "false" and old["attachments"] == [] and old["encrypted"] is False
    new = cinder_demo.get(f"/volumes/{vol['id']}", headers=cinder_demo.at("3.65")).json()["volume"]
    assert new["group_id"] is None and new["volume_type_id"] and new["consumes_quota"] is True
    assert new["shared_targets"] is False
    admin_view = cinder_admin.get(f"/volumes/{vol['id']}").json()["volume"]
    assert admin_view["os-vol-host-attr:host"].count("@") == 1 and "#" in admin_view["os-vol-host-attr:host"]
    assert admin_view["os-vol-tenant-attr:tenant_id"] == cinder_demo.project_id


def test_list_filters_paging_sort_and_count(cinder_demo):
    tag = unique("list")
    ids = [cinder_demo.volume(name=f"{tag}-{i}", metadata={"tag": tag})["id"] for i in range(3)]
    r = cinder_demo.get("/volumes/detail", params={"metadata": f"{{'tag': '{tag}'}}", "sort": "name:asc",
                                                   "limit": 2, "with_count": "true"})
    body = r.json()
    assert [v["name"] for v in body["volumes"]] == [f"{tag}-0", f"{tag}-1"] and body["count"] == 3
    nxt = body["volumes_links"][0]
    assert nxt["rel"] == "next" and "marker=" in nxt["href"]
    rest = httpx.get(nxt["href"], headers=dict(cinder_demo.headers)).json()
    assert [v["name"] for v in rest["volumes"]] == [f"{tag}-2"]
    r = cinder_demo.get("/volumes", params={"name": f"{tag}-1"})
    assert [v["id"] for v in r.json()["volumes"]] == [ids[1]]
    assert set(r.json()["volumes"][0]) == {"id", "name", "links"}
    assert cinder_demo.get("/volumes", params={"sort": "bogus:asc"}).status_code == 400
    assert cinder_demo.get("/volumes", params={"marker": "00000000-0000-0000-0000-000000000000"}).status_code == 404
    summary = cinder_demo.get("/volumes/summary", headers=cinder_demo.at("3.36")).json()["volume-summary"]
    assert summary["total_count"] >= 3 and tag in summary["metadata"]["tag"]


def test_volume_metadata_api(cinder_demo):
    vid = cinder_demo.volume(metadata={"k1": "v1"})["id"]
    assert cinder_demo.post(f"/volumes/{vid}/metadata", json={"metadata": {"k2": "v2"}}).json() == \
        {"metadata": {"k1": "v1", "k2": "v2"}}
    assert cinder_demo.put(f"/volumes/{vid}/metadata/k2", json={"meta": {"k2": "x"}}).json() == {"meta": {"k2": "x"}}
    assert cinder_demo.get(f"/volumes/{vid}/metadata/k2").json() == {"meta": {"k2": "x"}}
    assert cinder_demo.put(f"/volumes/{vid}/metadata/k2", json={"meta": {"k3": "x"}}).status_code == 400
    assert cinder_demo.put(f"/volumes/{vid}/metadata", json={"metadata": {"only": "1"}}).json() == \
        {"metadata": {"only": "1"}}
    assert cinder_demo.delete(f"/volumes/{vid}/metadata/only").status_code == 200
    assert cinder_demo.get(f"/volumes/{vid}/metadata/only").status_code == 404


def test_errors_in_cinder_format(cinder_demo, cinder_alt, http):
    missing = cinder_demo.get("/volumes/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json() == {"itemNotFound": {"code": 404, "message":
                                               "Volume 00000000-0000-0000-0000-000000000000 could not be found."}}
    for size in (0, -1, "abc"):
        r = cinder_demo.post("/volumes", json={"volume": {"size": size}})
        assert r.status_code == 400 and "badRequest" in r.json(), size
    assert cinder_demo.post("/volumes", json={"volume": {}}).status_code == 400
    assert cinder_demo.post("/volumes", json={"bogus": {}}).status_code == 400
    assert cinder_demo.post("/volumes", json={"volume": {"size": 1, "volume_type": "nope"}}).status_code == 404
    assert cinder_demo.post("/volumes", json={"volume": {"size": 1, "availability_zone": "x"}}).status_code == 400
    vid = cinder_demo.volume()["id"]
    assert cinder_alt.get(f"/volumes/{vid}").status_code == 404                 # another project's volume
    assert cinder_alt.delete(f"/volumes/{vid}").status_code == 404
    r = cinder_demo.action("volumes", vid, {"os-reset_status": {"status": "error"}})
    assert r.status_code == 403 and r.json()["forbidden"]["code"] == 403
    r = http.get(f"/volume/v3/{cinder_demo.project_id}/volumes")
    assert r.status_code == 401 and r.json()["error"]["code"] == 401


def test_quota_over_limit_is_413(cinder_admin, cinder_alt):
    project = cinder_alt.project_id
    r = cinder_admin.put(f"/os-quota-sets/{project}", json={"quota_set": {"gigabytes": 2}})
    assert r.status_code == 200 and r.json()["quota_set"]["gigabytes"] == 2
    try:
        r = cinder_alt.post("/volumes", json={"volume": {"size": 3}})
        assert r.status_code == 413 and r.json()["overLimit"]["code"] == 413
        vid = cinder_alt.volume(size=1)["id"]
        usage = cinder_admin.get(f"/os-quota-sets/{project}", params={"usage": "True"}).json()["quota_set"]
        assert usage["gigabytes"] == {"limit": 2, "in_use": 1, "reserved": 0}
        assert usage["volumes"]["in_use"] >= 1
        assert cinder_alt.action("volumes", vid, {"os-extend": {"new_size": 3}}).status_code == 413
        limits = cinder_alt.get("/limits").json()["limits"]["absolute"]
        assert limits["maxTotalVolumeGigabytes"] == 2 and limits["totalGigabytesUsed"] >= 1
    finally:
        assert cinder_admin.delete(f"/os-quota-sets/{project}").status_code == 200
    assert cinder_alt.get(f"/os-quota-sets/{project}/defaults").json()["quota_set"]["gigabytes"] == 1000


def test_extend_readonly_bootable_and_reset(cinder_demo, cinder_admin, cloud):
    vid = cinder_demo.volume()["id"]
    assert cinder_demo.action("volumes", vid, {"os-extend": {"new_size": 1}}).status_code == 400
    assert cinder_demo.action("volumes", vid, {"os-extend": {"new_size": 2}}).status_code == 202
    vol = cinder_demo.wait("volume", vid)
    assert vol["size"] == 2 and backing_file(cloud, f"volumes/volume-{vid}").stat().st_size == 2 * GiB
    assert cinder_demo.action("volumes", vid, {"os-set_bootable": {"bootable": True}}).status_code == 200
    assert cinder_demo.action("volumes", vid, {"os-update_readonly_flag": {"readonly": True}}).status_code == 202
    assert cinder_demo.get(f"/volumes/{vid}").json()["volume"]["bootable"] == "true"
    assert cinder_demo.action("volumes", vid, {"os-bogus": {}}).status_code == 400
    assert cinder_admin.action("volumes", vid, {"os-reset_status": {"status": "error"}}).status_code == 202
    assert cinder_demo.get(f"/volumes/{vid}").json()["volume"]["status"] == "error"
    assert cinder_admin.action("volumes", vid, {"os-reset_status": {"status": "nonsense"}}).status_code == 400
    assert cinder_admin.action("volumes", vid, {"os-force_delete": {}}).status_code == 202
    cinder_demo.wait_gone("volume", vid)


def test_attachments_drive_volume_status(cinder_demo):
    vid = cinder_demo.volume()["id"]
    server = "11111111-2222-3333-4444-555555555555"
    r = cinder_demo.post("/attachments", json={"attachment": {"volume_uuid": vid, "instance_uuid": server}})
    assert r.status_code == 200 and r.json()["attachment"]["status"] == "reserved"
    att = r.json()["attachment"]["id"]
    assert cinder_demo.get(f"/volumes/{vid}").json()["volume"]["status"] == "reserved"
    r = cinder_demo.put(f"/attachments/{att}", json={"attachment": {"connector": {"host": "h1"}}})
    assert r.status_code == 200 and r.json()["attachment"]["connection_info"]["volume_id"] == vid
    assert cinder_demo.post(f"/attachments/{att}/action", json={"os-complete": {}}).status_code == 204
    vol = cinder_demo.get(f"/volumes/{vid}").json()["volume"]
    assert vol["status"] == "in-use" and vol["attachments"][0]["server_id"] == server
    assert cinder_demo.delete(f"/volumes/{vid}").status_code == 400                # attached
    assert cinder_demo.get("/attachments", params={"volume_id": vid}).json()["attachments"][0]["id"] == att
    assert cinder_demo.get("/attachments", headers=cinder_demo.at("3.26")).status_code == 404
    assert cinder_demo.delete(f"/attachments/{att}").status_code == 200
    assert cinder_demo.get(f"/volumes/{vid}").json()["volume"]["status"] == "available"
    assert cinder_demo.get(f"/attachments/{att}").status_code == 404


def test_legacy_attach_detach(cinder_demo):
    vid = cinder_demo.volume()["id"]
    assert cinder_demo.action("volumes", vid, {"os-reserve": {}}).status_code == 202
    assert cinder_demo.get(f"/volumes/{vid}").json()["volume"]["status"] == "attaching"
    body = {"os-attach": {"instance_uuid": "11111111-2222-3333-4444-555555555555", "mountpoint": "/dev/vdb"}}
    assert cinder_demo.action("volumes", vid, body).status_code == 202
    vol = cinder_demo.get(f"/volumes/{vid}").json()["volume"]
    assert vol["status"] == "in-use" and vol["attachments"][0]["device"] == "/dev/vdb"
    assert cinder_demo.action("volumes", vid, {"os-detach": {}}).status_code == 202
    assert cinder_demo.get(f"/volumes/{vid}").json()["volume"]["status"] == "available"


def test_cli_volume_snapshot_backup(cli):
    name = unique("cli")
    vol = cli("--os-volume-api-version", "3.43", "volume", "create", "--size", "1", name, "-f", "json",
              os_cloud="pocketstack")
    assert vol["size"] == 1 and vol["name"] == name
    listed = cli("--os-volume-api-version", "3.43", "volume", "list", "-f", "json", os_cloud="pocketstack")
    assert any(v["Name"] == name for v in listed)
    import time
    deadline = time.time() + 60
    while cli("volume", "show", name, os_cloud="pocketstack")["status"] != "available":
        assert time.time() < deadline
        time.sleep(0.3)
    snap = cli("volume", "snapshot", "create", "--volume", name, unique("clisnap"), os_cloud="pocketstack")
    assert snap["volume_id"] == vol["id"]
    backup = cli("volume", "backup", "create", "--name", unique("clibak"), "--force", name, os_cloud="pocketstack")
    assert backup["volume_id"] == vol["id"]

"""Generic volume groups and group snapshots (3.13+): through the openstack CLI as a user would, then
the whole life cycle (members, group snapshots, groups from a source, reset) and the refusals."""

from __future__ import annotations

import time

from tests.conftest import unique
from tests.services.block_storage.conftest import backing_file, read_head

V = "--os-volume-api-version"


def _group_type_and_volume_type(cinder_admin):
    gtype = cinder_admin.post("/group_types", json={"group_type": {"name": unique("gt")}}).json()["group_type"]
    vtype = cinder_admin.post("/types", json={"volume_type": {"name": unique("vt")}}).json()["volume_type"]
    return gtype, vtype


def _wait_group(cinder, group_id, status="available", kind="group"):
    deadline = time.time() + 60
    while True:
        item = cinder.get(f"/{kind}s/{group_id}").json()[kind]
        if item["status"] == status:
            return item
        assert time.time() < deadline, item
        time.sleep(0.1)


def _delete_group(cinder, group_id):
    r = cinder.action("groups", group_id, {"delete": {"delete-volumes": True}})
    assert r.status_code == 202, r.text
    cinder.wait_gone("group", group_id)


def test_group_through_the_cli(cli, cinder_admin):
    gtype, vtype = _group_type_and_volume_type(cinder_admin)
    name = unique("grp")
    group = cli(V, "3.13", "volume", "group", "create", "--volume-group-type", gtype["id"], "--volume-type",
                vtype["id"], "--name", name, "-f", "json", os_cloud="pocketstack")
    assert group["Name"] == name and group["Volume Types"] == [vtype["id"]]
    _wait_group(cinder_admin, group["ID"])
    shown = cli(V, "3.13", "volume", "group", "show", group["ID"], "-f", "json", os_cloud="pocketstack")
    assert shown["Status"] == "available" and shown["Group Type"] == gtype["id"]
    listed = cli(V, "3.13", "volume", "group", "list", "-f", "json", os_cloud="pocketstack")
    assert group["ID"] in {g["ID"] for g in listed}
    cli(V, "3.13", "volume", "group", "delete", group["ID"], os_cloud="pocketstack")
    deadline = time.time() + 30
    while cinder_admin.get(f"/groups/{group['ID']}").status_code != 404:
        assert time.time() < deadline
        time.sleep(0.1)


def test_group_life_cycle(cloud, cinder_admin, cinder_demo):
    gtype, vtype = _group_type_and_volume_type(cinder_admin)
    r = cinder_demo.post("/groups", json={"group": {"name": "g1", "group_type": gtype["name"],
                                                    "volume_types": [vtype["name"]]}})
    assert r.status_code == 202, r.text
    assert set(r.json()["group"]) == {"id", "name"}
    group = _wait_group(cinder_demo, r.json()["group"]["id"])
    assert group["volume_types"] == [vtype["id"]] and group["group_snapshot_id"] is None
    assert group["replication_status"] == "disabled" and "project_id" not in group

    vols = [cinder_demo.volume(volume_type=vtype["id"], group_id=group["id"]) for _ in range(2)]
    assert all(v["group_id"] == group["id"] for v in vols)
    listed = cinder_demo.get(f"/groups/{group['id']}", params={"list_volume": "true"}).json()["group"]["volumes"]
    assert sorted(listed) == sorted(v["id"] for v in vols)
    # a member cannot be deleted on its own
    assert cinder_demo.delete(f"/volumes/{vols[0]['id']}").status_code == 400

    # remove and add back; rename
    r = cinder_demo.put(f"/groups/{group['id']}", json={"group": {"name": "g2", "remove_volumes": vols[1]["id"]}})
    assert r.status_code == 202, r.text
    assert cinder_demo.get(f"/volumes/{vols[1]['id']}").json()["volume"]["group_id"] is None
    assert cinder_demo.get(f"/groups/{group['id']}").json()["group"]["name"] == "g2"
    r = cinder_demo.put(f"/groups/{group['id']}", json={"group": {"add_volumes": vols[1]["id"]}})
    assert r.status_code == 202, r.text
    assert cinder_demo.get(f"/volumes/{vols[1]['id']}").json()["volume"]["group_id"] == group["id"]

    # bytes in a member, a group snapshot, a group from the snapshot: the copy holds the same bytes
    data = bytes(range(256)) * 64
    with open(backing_file(cloud, f"volumes/volume-{vols[0]['id']}"), "r+b") as f:
        f.write(data)
    r = cinder_demo.post("/group_snapshots", json={"group_snapshot": {"group_id": group["id"], "name": "gs"}})
    assert r.status_code == 202, r.text
    assert set(r.json()["group_snapshot"]) == {"id", "name", "group_type_id"}
    gsnap = _wait_group(cinder_demo, r.json()["group_snapshot"]["id"], kind="group_snapshot")
    assert gsnap["group_id"] == group["id"] and gsnap["group_type_id"] == gtype["id"]
    snaps = [s for s in cinder_demo.get("/snapshots/detail").json()["snapshots"]
             if s["group_snapshot_id"] == gsnap["id"]]
    assert sorted(s["volume_id"] for s in snaps) == sorted(v["id"] for v in vols)
    assert all(s["status"] == "available" for s in snaps)
    assert cinder_demo.delete(f"/snapshots/{snaps[0]['id']}").status_code == 400      # part of a group snapshot
    # the group has snapshots: it cannot be deleted yet
    assert cinder_demo.action("groups", group["id"], {"delete": {"delete-volumes": True}}).status_code == 400

    r = cinder_demo.post("/groups/action", json={"create-from-src": {"group_snapshot_id": gsnap["id"],
                                                                      "name": "from-snap"}})
    assert r.status_code == 202, r.text
    copy = _wait_group(cinder_demo, r.json()["group"]["id"])
    assert copy["group_snapshot_id"] == gsnap["id"] and copy["group_type"] == gtype["id"]
    copies = [v for v in cinder_demo.get("/volumes/detail").json()["volumes"] if v["group_id"] == copy["id"]]
    assert len(copies) == 2 and all(v["status"] == "available" for v in copies)
    heads = [read_head(backing_file(cloud, f"volumes/volume-{v['id']}"), len(data)) for v in copies]
    assert data in heads

    r = cinder_demo.post("/groups/action", json={"create-from-src": {"source_group_id": group["id"]}})
    assert r.status_code == 202, r.text
    clone = _wait_group(cinder_demo, r.json()["group"]["id"])
    assert clone["source_group_id"] == group["id"]

    r = cinder_demo.delete(f"/group_snapshots/{gsnap['id']}")
    assert r.status_code == 202, r.text
    cinder_demo.wait_gone("group_snapshot", gsnap["id"])
    assert all(cinder_demo.get(f"/snapshots/{s['id']}").status_code == 404 for s in snaps)
    for gid in (group["id"], copy["id"], clone["id"]):
        _delete_group(cinder_demo, gid)
    assert all(cinder_demo.get(f"/volumes/{v['id']}").status_code == 404 for v in vols + copies)


def test_group_refusals(cinder_admin, cinder_demo, cinder_alt):
    gtype, vtype = _group_type_and_volume_type(cinder_admin)
    body = {"group": {"group_type": gtype["id"], "volume_types": [vtype["id"]]}}
    # before 3.13 the collection does not exist
    assert cinder_demo.post("/groups", json=body, headers=cinder_demo.at("3.12")).status_code == 404
    # bad input
    assert cinder_demo.post("/groups", json={"group": {"group_type": gtype["id"]}}).status_code == 400
    assert cinder_demo.post("/groups", json={"group": {**body["group"], "volume_types": []}}).status_code == 400
    assert cinder_demo.post("/groups", json={"group": {**body["group"], "bogus": 1}}).status_code == 400
    r = cinder_demo.post("/groups", json={"group": {**body["group"], "group_type": "nope"}})
    assert r.status_code == 404 and "Group type nope could not be found" in r.text
    r = cinder_demo.post("/groups", json={"group": {**body["group"], "volume_types": ["nope"]}})
    assert r.status_code == 404
    group = _wait_group(cinder_demo, cinder_demo.post("/groups", json=body).json()["group"]["id"])
    # another project sees nothing; no auth is 401
    assert cinder_alt.get(f"/groups/{group['id']}").status_code == 404
    assert cinder_alt.action("groups", group["id"], {"delete": {}}).status_code == 404
    assert group["id"] not in {g["id"] for g in cinder_alt.get("/groups").json()["groups"]}
    r = cinder_demo.client.get(f"/groups/{group['id']}", headers={"X-Auth-Token": "bogus"})
    assert r.status_code == 401
    # a volume of a type the group does not take; a volume of another project
    r = cinder_demo.post("/volumes", json={"volume": {"size": 1, "group_id": group["id"]}})
    assert r.status_code == 400 and "volume_type must be provided" in r.text
    r = cinder_demo.post("/volumes", json={"volume": {"size": 1, "group_id": group["id"],
                                                      "volume_type": "lvmdriver-1"}})
    assert r.status_code == 400 and "supported by this group" in r.text
    other = cinder_alt.volume(volume_type=vtype["id"])
    r = cinder_demo.put(f"/groups/{group['id']}", json={"group": {"add_volumes": other["id"]}})
    assert r.status_code == 400
    r = cinder_demo.put(f"/groups/{group['id']}", json={"group": {"remove_volumes": other["id"]}})
    assert r.status_code == 400 and "not in the group" in r.text
    assert cinder_demo.put(f"/groups/{group['id']}", json={"group": {}}).status_code == 400
    # an unknown action; reset_status is for admins, with a valid status
    assert cinder_demo.action("groups", group["id"], {"explode": {}}).status_code == 400
    assert cinder_demo.action("groups", group["id"], {"reset_status": {"status": "error"}}).status_code == 403
    assert cinder_admin.action("groups", group["id"], {"reset_status": {"status": "bogus"}}).status_code == 400
    assert cinder_admin.action("groups", group["id"], {"reset_status": {"status": "error"}}).status_code == 202
    assert cinder_demo.get(f"/groups/{group['id']}").json()["group"]["status"] == "error"
    admin_view = cinder_admin.get(f"/groups/{group['id']}").json()["group"]
    assert admin_view["project_id"] == cinder_demo.project_id
    # group snapshots of a group in error are refused; unknown ones are 404
    r = cinder_demo.post("/group_snapshots", json={"group_snapshot": {"group_id": group["id"]}})
    assert r.status_code == 400
    assert cinder_demo.get("/group_snapshots/nope").status_code == 404
    r = cinder_demo.post("/groups/action", json={"create-from-src": {"group_snapshot_id": "nope",
                                                                      "source_group_id": group["id"]}})
    assert r.status_code == 400
    # an empty group in error can be deleted without delete-volumes
    r = cinder_demo.action("groups", group["id"], {"delete": {"delete-volumes": False}})
    assert r.status_code == 202, r.text
    cinder_demo.wait_gone("group", group["id"])
    cinder_alt.delete(f"/volumes/{other['id']}")

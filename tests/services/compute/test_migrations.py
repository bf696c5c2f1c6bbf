"""Migration records: a resize writes one (finished, then confirmed or reverted), a live migration on
this one host fails and says so; /os-migrations lists, filters and pages them as nova does, for admins."""

from __future__ import annotations

import time


def _migrations(nova, version="2.96", **params):
    r = nova.get("/os-migrations", params=params, headers=nova.at(version))
    assert r.status_code == 200, r.text
    return r.json()


def _wait_status(nova, server_id, status):
    deadline = time.time() + 30
    while True:
        rows = _migrations(nova, instance_uuid=server_id)["migrations"]
        if rows and rows[0]["status"] == status:
            return rows
        assert time.time() < deadline, rows
        time.sleep(0.2)


def test_resize_writes_a_migration_record(nova_admin, nova_demo, cli):
    one, two = nova_demo.boot()["id"], nova_demo.boot()["id"]
    for sid in (one, two):
        nova_demo.wait(sid, "ACTIVE")
        assert nova_demo.action(sid, {"resize": {"flavorRef": "2"}}).status_code == 202
        nova_demo.wait(sid, "VERIFY_RESIZE")
    (first,) = _wait_status(nova_admin, one, "finished")
    assert first["migration_type"] == "resize" and first["instance_uuid"] == one
    assert first["source_compute"] == first["dest_compute"] and first["uuid"] and first["project_id"]
    # the flavors' internal ids, as nova shows its instance_types ids (m1.small is the second flavor made)
    assert first["new_instance_type_id"] == 2 and isinstance(first["old_instance_type_id"], int)
    assert first["old_instance_type_id"] != first["new_instance_type_id"]
    assert nova_demo.action(one, {"confirmResize": None}).status_code == 204
    assert nova_demo.action(two, {"revertResize": None}).status_code == 202
    _wait_status(nova_admin, one, "confirmed")
    _wait_status(nova_admin, two, "reverted")
    # older microversions show fewer fields; 2.59 pages by uuid, newest first
    old = _migrations(nova_admin, "2.1", instance_uuid=one)["migrations"][0]
    assert "migration_type" not in old and "uuid" not in old and "project_id" not in old
    page = _migrations(nova_admin, "2.59", limit=1)
    assert len(page["migrations"]) == 1 and page["migrations_links"][0]["rel"] == "next"
    rest = _migrations(nova_admin, "2.59", marker=page["migrations"][0]["uuid"])["migrations"]
    assert page["migrations"][0]["id"] not in {m["id"] for m in rest}
    # as the openstack CLI shows them
    listed = cli("--os-compute-api-version", "2.80", "server", "migration", "list", "--server", two, "-f", "json")
    assert [m["Status"] for m in listed] == ["reverted"]
    for sid in (one, two):
        nova_demo.delete(f"/servers/{sid}")


def test_live_migration_on_one_host_is_an_error_record(nova_admin):
    sid = nova_admin.boot()["id"]
    nova_admin.wait(sid, "ACTIVE")
    r = nova_admin.action(sid, {"os-migrateLive": {"host": None, "block_migration": "auto"}})
    assert r.status_code == 202, r.text
    (row,) = _wait_status(nova_admin, sid, "error")
    assert row["migration_type"] == "live-migration" and "links" not in row
    assert nova_admin.get(f"/servers/{sid}/migrations").json() == {"migrations": []}
    assert nova_admin.get(f"/servers/{sid}/migrations/{row['id']}").status_code == 404
    nova_admin.delete(f"/servers/{sid}")


def test_migration_refusals(nova_admin, nova_demo):
    assert nova_demo.get("/os-migrations").status_code == 403
    r = nova_admin.get("/os-migrations", params={"marker": "nope"}, headers=nova_admin.at("2.59"))
    assert r.status_code == 400
    r = nova_admin.get("/os-migrations", params={"changes-since": "yesterday"}, headers=nova_admin.at("2.59"))
    assert r.status_code == 400
    r = nova_admin.get("/os-migrations", params={"changes-since": "2026-01-02T00:00:00Z",
                                                 "changes-before": "2026-01-01T00:00:00Z"},
                       headers=nova_admin.at("2.66"))
    assert r.status_code == 400
    assert nova_admin.get("/servers/nope/migrations").status_code == 404
    assert nova_admin.get("/os-migrations", headers={"X-Auth-Token": "bogus"}).status_code == 401

"""Volume types, extra specs and access; discovery resources (AZ, services, pools, extensions)."""

from __future__ import annotations

from tests.conftest import unique


def test_default_types_exist(cinder_demo):
    names = {t["name"] for t in cinder_demo.get("/types").json()["volume_types"]}
    assert {"__DEFAULT__", "lvmdriver-1"} <= names
    assert cinder_demo.get("/types/default").json()["volume_type"]["name"] == "lvmdriver-1"


def test_type_crud_extra_specs_and_access(cinder_admin, cinder_demo, cinder_alt):
    name = unique("type")
    assert cinder_demo.post("/types", json={"volume_type": {"name": name}}).status_code == 403
    r = cinder_admin.post("/types", json={"volume_type": {"name": name, "os-volume-type-access:is_public": False,
                                                          "extra_specs": {"pocketstack:k": "v"}}})
    assert r.status_code == 200, r.text
    vtype = r.json()["volume_type"]
    assert vtype["is_public"] is False and vtype["extra_specs"] == {"pocketstack:k": "v"}
    assert cinder_admin.post("/types", json={"volume_type": {"name": name}}).status_code == 409
    assert cinder_demo.get(f"/types/{vtype['id']}").status_code == 404                       # private
    r = cinder_demo.post("/volumes", json={"volume": {"size": 1, "volume_type": vtype["id"]}})
    assert r.status_code == 404
    action = {"addProjectAccess": {"project": cinder_demo.project_id}}
    assert cinder_admin.post(f"/types/{vtype['id']}/action", json=action).status_code == 202
    assert cinder_admin.post(f"/types/{vtype['id']}/action", json=action).status_code == 409
    access = cinder_admin.get(f"/types/{vtype['id']}/os-volume-type-access").json()["volume_type_access"]
    assert access == [{"volume_type_id": vtype["id"], "project_id": cinder_demo.project_id}]
    assert cinder_demo.get(f"/types/{vtype['id']}").status_code == 200
    assert cinder_alt.get(f"/types/{vtype['id']}").status_code == 404
    vol = cinder_demo.volume(volume_type=name)
    assert vol["volume_type"] == name
    assert cinder_admin.post(f"/types/{vtype['id']}/extra_specs", json={"extra_specs": {"k2": "v2"}}).json() == \
        {"extra_specs": {"k2": "v2"}}
    assert cinder_admin.put(f"/types/{vtype['id']}/extra_specs/k2", json={"k2": "x"}).json() == {"k2": "x"}
    assert cinder_admin.get(f"/types/{vtype['id']}/extra_specs").json()["extra_specs"] == {"pocketstack:k": "v",
                                                                                            "k2": "x"}
    assert cinder_admin.delete(f"/types/{vtype['id']}/extra_specs/k2").status_code == 202
    assert cinder_admin.get(f"/types/{vtype['id']}/extra_specs/k2").status_code == 404
    r = cinder_admin.put(f"/types/{vtype['id']}", json={"volume_type": {"description": "d"}})
    assert r.status_code == 200 and r.json()["volume_type"]["description"] == "d"
    assert cinder_admin.delete(f"/types/{vtype['id']}").status_code == 400                    # in use
    cinder_demo.delete(f"/volumes/{vol['id']}")
    cinder_demo.wait_gone("volume", vol["id"])
    assert cinder_admin.delete(f"/types/{vtype['id']}").status_code == 202
    assert cinder_admin.get(f"/types/{vtype['id']}").status_code == 404


def test_discovery_resources(cinder_admin, cinder_demo, cinder_alt):
    azs = cinder_demo.get("/os-availability-zone").json()["availabilityZoneInfo"]
    assert azs == [{"zoneName": "nova", "zoneState": {"available": True}}]
    services = cinder_admin.get("/os-services").json()["services"]
    assert {s["binary"] for s in services} == {"cinder-scheduler", "cinder-volume", "cinder-backup"}
    assert cinder_demo.get("/os-services").status_code == 403
    pools = cinder_admin.get("/scheduler-stats/get_pools", params={"detail": "true"}).json()["pools"]
    assert pools[0]["capabilities"]["volume_backend_name"] == "lvmdriver-1"
    aliases = {e["alias"] for e in cinder_demo.get("/extensions").json()["extensions"]}
    assert {"os-volume-manage", "os-snapshot-manage", "backups"} <= aliases
    limits = cinder_alt.get("/limits").json()["limits"]
    assert limits["rate"] == [] and limits["absolute"]["maxTotalVolumes"] == 10


def test_project_id_optional_in_url(cloud, demo_token):
    import httpx
    headers = {"X-Auth-Token": demo_token, "OpenStack-API-Version": "volume 3.67"}
    r = httpx.get(f"{cloud.url}/volume/v3/volumes", headers=headers)
    assert r.status_code == 200 and "volumes" in r.json()


def test_unschedulable_type_fails_the_volume_with_a_message(cinder_admin):
    """Extra specs no backend satisfies: the scheduler fails the volume and leaves a user message."""
    r = cinder_admin.post("/types", json={"volume_type": {"name": unique("bogus"),
                                                          "extra_specs": {"vendor_name": "Nobody Inc"}}})
    vtype = r.json()["volume_type"]
    vol = cinder_admin.create("volume", size=1, volume_type=vtype["id"])
    assert cinder_admin.wait("volume", vol["id"], "error")["status"] == "error"
    found = cinder_admin.get("/messages", params={"resource_uuid": vol["id"]}).json()["messages"]
    assert found and found[0]["event_id"] == "VOLUME_000002" and found[0]["resource_type"] == "VOLUME"
    assert cinder_admin.get("/messages", headers=cinder_admin.at("3.2")).status_code == 404
    assert cinder_admin.delete(f"/messages/{found[0]['id']}").status_code == 204
    assert cinder_admin.delete(f"/volumes/{vol['id']}").status_code == 202


def test_quota_classes_and_per_type_quotas(cinder_admin, cinder_alt):
    name = unique("qt")
    cinder_admin.post("/types", json={"volume_type": {"name": name}})
    default = cinder_admin.get("/os-quota-class-sets/default").json()["quota_class_set"]
    assert default["id"] == "default" and default[f"volumes_{name}"] == -1
    r = cinder_admin.put(f"/os-quota-sets/{cinder_alt.project_id}", json={"quota_set": {f"volumes_{name}": 0}})
    assert r.status_code == 200 and r.json()["quota_set"][f"volumes_{name}"] == 0
    try:
        assert cinder_alt.post("/volumes", json={"volume": {"size": 1, "volume_type": name}}).status_code == 413
    finally:
        cinder_admin.delete(f"/os-quota-sets/{cinder_alt.project_id}")
    assert cinder_admin.put("/os-quota-sets/x", json={"quota_set": {"bogus": 1}}).status_code == 400


def test_encryption_spec_of_a_type(cinder_admin, cinder_demo):
    vtype = cinder_admin.post("/types", json={"volume_type": {"name": unique("enc")}}).json()["volume_type"]
    base = f"/types/{vtype['id']}/encryption"
    assert cinder_admin.get(base).json() == {}
    spec = {"provider": "luks", "cipher": "aes-xts-plain64", "key_size": 256, "control_location": "front-end"}
    assert cinder_demo.post(base, json={"encryption": spec}).status_code == 403
    created = cinder_admin.post(base, json={"encryption": spec}).json()["encryption"]
    assert created["volume_type_id"] == vtype["id"] and created["key_size"] == 256
    assert cinder_admin.post(base, json={"encryption": spec}).status_code == 400          # already there
    assert cinder_admin.get(f"{base}/cipher").json() == {"cipher": "aes-xts-plain64"}
    r = cinder_admin.put(f"{base}/{created['encryption_id']}", json={"encryption": {"key_size": 128}})
    assert r.status_code == 200 and cinder_admin.get(base).json()["key_size"] == 128
    assert cinder_admin.delete(f"{base}/{created['encryption_id']}").status_code == 202
    assert cinder_admin.get(base).json() == {}


def test_group_types_and_specs(cinder_admin, cinder_demo):
    name = unique("gt")
    assert cinder_admin.get("/group_types", headers=cinder_admin.at("3.10")).status_code == 404
    assert cinder_demo.post("/group_types", json={"group_type": {"name": name}}).status_code == 403
    r = cinder_admin.post("/group_types", json={"group_type": {"name": name, "is_public": False,
                                                                "group_specs": {"a": "1"}}})
    assert r.status_code == 202, r.text
    gtype = r.json()["group_type"]
    assert gtype["is_public"] is False and gtype["group_specs"] == {"a": "1"}
    private = [t["name"] for t in cinder_admin.get("/group_types", params={"is_public": "false"}).json()["group_types"]]
    assert name in private
    assert cinder_admin.put(f"/group_types/{gtype['id']}/group_specs/a", json={"a": "2"}).json() == {"a": "2"}
    assert cinder_admin.get(f"/group_types/{gtype['id']}/group_specs").json() == {"group_specs": {"a": "2"}}
    assert cinder_admin.delete(f"/group_types/{gtype['id']}/group_specs/a").status_code == 202
    assert cinder_admin.delete(f"/group_types/{gtype['id']}").status_code == 202
    assert cinder_admin.get(f"/group_types/{gtype['id']}").status_code == 404

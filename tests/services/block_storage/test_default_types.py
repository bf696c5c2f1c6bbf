"""Per-project default volume types (/default-types, 3.62): set, show, list, unset; the project's default
is what a volume without a type gets and what GET /types/default shows."""

from __future__ import annotations

import httpx

from tests.conftest import unique


def test_default_type_set_used_and_unset(cinder_admin, cinder_alt):
    name = unique("type")
    vtype = cinder_admin.post("/types", json={"volume_type": {"name": name}}).json()["volume_type"]
    path = f"/default-types/{cinder_alt.project_id}"
    r = cinder_admin.put(path, json={"default_type": {"volume_type": name}})
    assert r.status_code == 200, r.text
    assert r.json() == {"default_type": {"project_id": cinder_alt.project_id, "volume_type_id": vtype["id"]}}
    assert cinder_admin.get(path).json()["default_type"]["volume_type_id"] == vtype["id"]
    listed = cinder_admin.get("/default-types").json()["default_types"]
    assert {"project_id": cinder_alt.project_id, "volume_type_id": vtype["id"]} in listed
    assert cinder_alt.get("/types/default").json()["volume_type"]["name"] == name
    vol = cinder_alt.volume()
    assert vol["volume_type"] == name
    # by id too, and replacing it
    r = cinder_admin.put(path, json={"default_type": {"volume_type": "lvmdriver-1"}})
    assert r.status_code == 200 and r.json()["default_type"]["volume_type_id"] != vtype["id"]
    assert cinder_admin.delete(path).status_code == 204
    assert cinder_admin.get(path).status_code == 404
    assert cinder_admin.delete(path).status_code == 404
    assert cinder_alt.get("/types/default").json()["volume_type"]["name"] == "lvmdriver-1"
    cinder_alt.delete(f"/volumes/{vol['id']}")


def test_default_type_refusals(cinder_admin, cinder_demo, cloud):
    path = f"/default-types/{cinder_demo.project_id}"
    body = {"default_type": {"volume_type": "lvmdriver-1"}}
    assert cinder_demo.put(path, json=body).status_code == 403            # admin only
    assert cinder_demo.get("/default-types").status_code == 403
    r = cinder_admin.put(path, json={"default_type": {"volume_type": "no-such-type"}})
    assert r.status_code == 400 and "no-such-type" in r.text
    assert cinder_admin.put(path, json={"default_type": {}}).status_code == 400
    assert cinder_admin.put(path, json=body, headers=cinder_admin.at("3.61")).status_code == 404
    assert cinder_admin.get(f"/default-types/{unique('project')}").status_code == 404
    r = httpx.get(f"{cloud.url}/volume/v3/default-types", headers={"OpenStack-API-Version": "volume 3.62"})
    assert r.status_code == 401

"""Several backends (cinder's enabled_backends, DevStack's lvmdriver-1 and lvmdriver-2) on a cloud of its
own: scheduling by the type's volume_backend_name, pools and services per backend, os-migrate_volume and
retype with migration_policy on-demand, a detached volume's bytes copied here and an attached one's by
the compute host (nova's swap_volume, then os-migrate_volume_completion)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_cloud, stop_cloud, unique
from tests.services.block_storage.conftest import Cinder, project_id

BACKENDS = ["lvmdriver-1", "lvmdriver-2"]
DATA = b"migrated bytes\n" * 4096


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Any:
    running = start_cloud(tmp_path_factory.mktemp("backends"), options={"block_storage": {"backends": BACKENDS}})
    admin_token, demo_token = running.token(), running.token("pocketstack")
    demo = Cinder(running.url, demo_token, project_id(running, demo_token))
    admin = Cinder(running.url, admin_token, demo.project_id)      # admin, on the demo project's URLs
    yield running, admin, demo
    stop_cloud(running)


def _path(admin: Cinder, demo: Cinder, volume_id: str) -> Path:
    r = admin.post(f"/volumes/{volume_id}/action", json={"os-initialize_connection": {"connector": {}}})
    assert r.status_code == 200, r.text
    return Path(r.json()["connection_info"]["data"]["device_path"])


def _host(admin: Cinder, demo: Cinder, volume_id: str) -> dict[str, Any]:
    return dict(admin.get(f"/volumes/{volume_id}").json()["volume"])


def _migrated(admin: Cinder, demo: Cinder, volume_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        vol = _host(admin, demo, volume_id)
        if vol["migration_status"] in ("success", "error") and vol["status"] in ("available", "in-use"):
            return vol
        assert time.time() < deadline, vol
        time.sleep(0.2)


def _type(admin: Cinder, specs: dict[str, str]) -> dict[str, Any]:
    r = admin.post("/types", json={"volume_type": {"name": unique("type"), "extra_specs": specs}})
    assert r.status_code == 200, r.text
    return dict(r.json()["volume_type"])


def _written(admin: Cinder, demo: Cinder, type_name: str) -> dict[str, Any]:
    vol = demo.volume(volume_type=type_name)
    with open(_path(admin, demo, vol["id"]), "r+b") as f:
        f.write(DATA)
    return vol


def test_each_backend_is_a_pool_a_service_and_a_scheduling_target(two: Any) -> None:
    _, admin, demo = two
    pools = admin.get("/scheduler-stats/get_pools", params={"detail": "true"}).json()["pools"]
    assert [p["name"].split("@")[1] for p in pools] == [f"{b}#{b}" for b in BACKENDS]
    assert [p["capabilities"]["volume_backend_name"] for p in pools] == BACKENDS
    services = {s["host"] for s in admin.get("/os-services").json()["services"] if s["binary"] == "cinder-volume"}
    assert {h.split("@")[1] for h in services} == set(BACKENDS)
    names = {t["name"] for t in admin.get("/types").json()["volume_types"]}
    assert set(BACKENDS) <= names                           # DevStack's type per backend
    for key in ("volume_backend_name", "capabilities:volume_backend_name"):
        for backend in BACKENDS:
            vol = demo.volume(volume_type=_type(admin, {key: backend})["name"])
            assert _host(admin, demo, vol["id"])["os-vol-host-attr:host"].endswith(f"@{backend}#{backend}")
    nowhere = demo.create("volume", size=1, volume_type=_type(admin, {"volume_backend_name": "lvmdriver-9"})["name"])
    assert demo.wait("volume", nowhere["id"], "error")["status"] == "error"
    host = pools[1]["name"].split("@")[0]
    assert admin.get(f"/capabilities/{host}@lvmdriver-2").json()["volume_backend_name"] == "lvmdriver-2"


def test_migrate_copies_the_bytes_to_the_other_backend_and_keeps_the_id(two: Any) -> None:
    _, admin, demo = two
    vol = _written(admin, demo, "lvmdriver-1")
    source = _host(admin, demo, vol["id"])
    dest = source["os-vol-host-attr:host"].replace("lvmdriver-1", "lvmdriver-2")
    url = f"/volumes/{vol['id']}/action"
    # negative: a member may not; the host must be another backend's service; the volume without snapshots
    assert demo.post(url, json={"os-migrate_volume": {"host": dest}}).status_code == 403
    for body, message in (({}, "One and only one of cluster and host must be set."),
                          ({"cluster": "mycluster"}, "No available service named 'mycluster'"),
                          ({"host": "nowhere@lvmdriver-1"}, "No available service named 'nowhere@lvmdriver-1'"),
                          ({"host": source["os-vol-host-attr:host"]}, "must be different than the current one"),
                          ({"host": dest, "lock_volume": "perhaps"}, "lock_volume")):
        r = admin.post(url, json={"os-migrate_volume": body})
        assert r.status_code == 400 and message in r.text, r.text
    snap = demo.create("snapshot", volume_id=vol["id"], name=unique("snap"))
    demo.wait("snapshot", snap["id"])
    r = admin.post(url, json={"os-migrate_volume": {"host": dest}})
    assert r.status_code == 400 and "have snapshots" in r.text, r.text
    demo.delete(f"/snapshots/{snap['id']}")
    demo.wait_gone("snapshot", snap["id"])

    r = admin.post(url, json={"os-migrate_volume": {"host": dest.split("#")[0]}})
    assert r.status_code == 202, r.text
    done = _migrated(admin, demo, vol["id"])
    assert done["migration_status"] == "success" and done["os-vol-host-attr:host"] == dest
    assert done["id"] == vol["id"] and done["status"] == "available" and done["name"] == vol["name"]
    assert _path(admin, demo, vol["id"]).read_bytes()[:len(DATA)] == DATA
    # the copy's record (which kept the old bytes) goes; a member never lists it
    deadline = time.time() + 30
    while len([v for v in admin.get("/volumes", params={"all_tenants": 1, "name": vol["name"]}).json()["volumes"]]) > 1:
        assert time.time() < deadline
        time.sleep(0.2)
    assert [v["id"] for v in demo.get("/volumes", params={"name": vol["name"]}).json()["volumes"]] == [vol["id"]]
    r = admin.post(url, json={"os-migrate_volume": {"host": dest}})
    assert r.status_code == 400                                  # already there


def test_retype_on_demand_migrates_and_never_leaves_the_volume(two: Any) -> None:
    _, admin, demo = two
    vol = _written(admin, demo, "lvmdriver-1")
    url = f"/volumes/{vol['id']}/action"
    r = demo.post(url, json={"os-retype": {"new_type": "lvmdriver-2", "migration_policy": "sometimes"}})
    assert r.status_code == 400, r.text
    assert demo.post(url, json={"os-retype": {"new_type": "lvmdriver-2"}}).status_code == 202
    time.sleep(1)                        # never (the default): the scheduler finds no backend without a move
    kept = _host(admin, demo, vol["id"])
    assert kept["volume_type"] == "lvmdriver-1" and kept["status"] == "available"
    r = demo.post(url, json={"os-retype": {"new_type": "lvmdriver-2", "migration_policy": "on-demand"}})
    assert r.status_code == 202, r.text
    done = _migrated(admin, demo, vol["id"])
    assert done["volume_type"] == "lvmdriver-2" and done["migration_status"] == "success"
    assert done["os-vol-host-attr:host"].endswith("@lvmdriver-2#lvmdriver-2")
    assert _path(admin, demo, vol["id"]).read_bytes()[:len(DATA)] == DATA
    # a type both backends satisfy is a retype in place
    either = _type(admin, {"storage_protocol": kept.get("storage_protocol") or "iSCSI"})
    assert demo.post(url, json={"os-retype": {"new_type": either["name"]}}).status_code == 202
    again = _host(admin, demo, vol["id"])
    assert again["volume_type"] == either["name"] and again["os-vol-host-attr:host"] == done["os-vol-host-attr:host"]


def test_an_attached_volume_is_migrated_by_the_compute_host(two: Any) -> None:
    running, admin, demo = two
    nova = httpx.Client(base_url=f"{running.url}/compute/v2.1", timeout=60,
                        headers={"X-Auth-Token": running.token("pocketstack"), "OpenStack-API-Version": "compute 2.79"})
    image = httpx.get(f"{running.url}/image/v2/images", headers=demo.headers).json()["images"][0]["id"]
    r = nova.post("/servers", json={"server": {"name": unique("srv"), "imageRef": image, "flavorRef": "1",
                                               "networks": "none"}})
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    deadline = time.time() + 60
    while nova.get(f"/servers/{sid}").json()["server"]["status"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.2)
    vol = _written(admin, demo, "lvmdriver-1")
    r = nova.post(f"/servers/{sid}/os-volume_attachments", json={"volumeAttachment": {"volumeId": vol["id"]}})
    assert r.status_code == 200, r.text
    demo.wait("volume", vol["id"], "in-use")
    dest = _host(admin, demo, vol["id"])["os-vol-host-attr:host"].replace("lvmdriver-1", "lvmdriver-2")
    url = f"/volumes/{vol['id']}/action"
    r = admin.post(url, json={"os-migrate_volume": {"host": dest}})
    assert r.status_code == 202, r.text
    done = _migrated(admin, demo, vol["id"])
    assert (done["migration_status"], done["status"], done["os-vol-host-attr:host"]) == ("success", "in-use", dest)
    assert [a["volumeId"] for a in nova.get(f"/servers/{sid}/os-volume_attachments").json()["volumeAttachments"]] \
        == [vol["id"]]
    assert _path(admin, demo, vol["id"]).read_bytes()[:len(DATA)] == DATA
    actions = [a["action"] for a in nova.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]]
    assert "swap_volume" in actions
    nova.delete(f"/servers/{sid}")

"""Server actions: nova's state machine driven by jobs, 409s for wrong states and locks, instance actions."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import unique


@pytest.fixture()
def server(nova_demo):
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    yield sid
    nova_demo.action(sid, {"unlock": None})
    nova_demo.delete(f"/servers/{sid}")


def _act(nova, sid, body, expect=202):
    r = nova.action(sid, body)
    assert r.status_code == expect, r.text
    return r


def test_power_cycle(nova_demo, server):
    for body, status in (({"os-stop": None}, "SHUTOFF"), ({"os-start": None}, "ACTIVE"),
                         ({"reboot": {"type": "SOFT"}}, "ACTIVE"), ({"pause": None}, "PAUSED"),
                         ({"unpause": None}, "ACTIVE"), ({"suspend": None}, "SUSPENDED"),
                         ({"resume": None}, "ACTIVE"), ({"shelve": None}, "SHELVED_OFFLOADED"),
                         ({"unshelve": None}, "ACTIVE"), ({"rescue": None}, "RESCUE"),
                         ({"unrescue": None}, "ACTIVE")):
        _act(nova_demo, server, body, 200 if "rescue" in body else 202)
        shown = nova_demo.wait(server, status)
        assert shown["status"] == status
    assert nova_demo.show(server)["OS-EXT-STS:power_state"] == 1
    actions = nova_demo.get(f"/servers/{server}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions][:3] == ["unrescue", "rescue", "unshelve"]
    assert actions[-1]["action"] == "create"
    one = nova_demo.get(f"/servers/{server}/os-instance-actions/{actions[-1]['request_id']}").json()
    assert one["instanceAction"]["events"][0]["event"] == "compute__do_build_and_run_instance"
    assert one["instanceAction"]["events"][0]["result"] == "Success"


def test_state_conflicts(nova_demo, server):
    _act(nova_demo, server, {"os-stop": None})
    nova_demo.wait(server, "SHUTOFF")
    r = _act(nova_demo, server, {"pause": None}, 409)
    assert r.json()["conflictingRequest"]["message"] == \
        f"Cannot 'pause' instance {server} while it is in vm_state stopped"
    _act(nova_demo, server, {"os-stop": None}, 409)
    _act(nova_demo, server, {"reboot": {"type": "SOFT"}}, 409)
    _act(nova_demo, server, {"reboot": {"type": "HARD"}})
    nova_demo.wait(server, "ACTIVE")
    _act(nova_demo, server, {"reboot": {"type": "BOGUS"}}, 400)
    _act(nova_demo, server, {"bogus": None}, 400)
    _act(nova_demo, server, {"confirmResize": None}, 409)


def test_lock(nova_demo, nova_admin, server):
    _act(nova_demo, server, {"lock": {"locked_reason": "maintenance"}})
    shown = nova_demo.show(server)
    assert shown["locked"] is True and shown["locked_reason"] == "maintenance"
    r = _act(nova_demo, server, {"os-stop": None}, 409)
    assert r.json()["conflictingRequest"]["message"] == f"Instance {server} is locked"
    assert nova_demo.delete(f"/servers/{server}").status_code == 409
    assert nova_demo.get("/servers?locked=true").json()["servers"][0]["id"] == server
    _act(nova_demo, server, {"unlock": None})
    assert nova_demo.show(server)["locked"] is False


def test_resize_confirm_and_revert(nova_demo, server):
    _act(nova_demo, server, {"resize": {"flavorRef": "1"}}, 400)
    _act(nova_demo, server, {"resize": {"flavorRef": "nope"}}, 400)
    _act(nova_demo, server, {"resize": {"flavorRef": "2"}})
    assert nova_demo.wait(server, "VERIFY_RESIZE")["flavor"]["original_name"] == "m1.small"
    _act(nova_demo, server, {"revertResize": None})
    assert nova_demo.wait(server, "ACTIVE")["flavor"]["original_name"] == "m1.tiny"
    _act(nova_demo, server, {"resize": {"flavorRef": "2"}})
    nova_demo.wait(server, "VERIFY_RESIZE")
    _act(nova_demo, server, {"confirmResize": None}, 204)
    assert nova_demo.wait(server, "ACTIVE")["flavor"]["original_name"] == "m1.small"


def test_rebuild_and_create_image(nova_demo, server, cloud, demo_token):
    from tests.services.compute.conftest import IMAGE
    r = _act(nova_demo, server, {"rebuild": {"imageRef": IMAGE[0], "name": "rebuilt"}})
    assert r.json()["server"]["status"] == "REBUILD" and r.json()["server"]["adminPass"]
    assert nova_demo.wait(server, "ACTIVE")["name"] == "rebuilt"
    r = _act(nova_demo, server, {"createImage": {"name": unique("snap"), "metadata": {"k": "v"}}})
    image_id = r.json()["image_id"]
    glance = httpx.Client(base_url=cloud.url + "/image", headers={"X-Auth-Token": demo_token})
    for _ in range(100):
        image = glance.get(f"/v2/images/{image_id}").json()
        if image["status"] == "active":
            break
        import time
        time.sleep(0.2)
    assert image["status"] == "active" and image["k"] == "v" and image["instance_uuid"] == server
    base = glance.get(f"/v2/images/{IMAGE[0]}").json()
    assert image["size"] == base["size"] and image["disk_format"] == base["disk_format"] == "qcow2"
    glance.delete(f"/v2/images/{image_id}")


def test_consoles_and_migrate(nova_demo, nova_admin, server):
    out = _act(nova_demo, server, {"os-getConsoleOutput": {"length": 3}}, 200).json()["output"]
    assert len(out.splitlines()) == 3 and "simulated" in out
    console = nova_demo.post(f"/servers/{server}/remote-consoles",
                             json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
    assert console.status_code == 200 and "token" in console.json()["remote_console"]["url"]
    legacy = nova_demo.action(server, {"os-getVNCConsole": {"type": "novnc"}}, headers=nova_demo.at("2.5"))
    assert legacy.status_code == 200 and legacy.json()["console"]["url"]
    bogus = nova_demo.action(server, {"os-getVNCConsole": {"type": "bogus"}}, headers=nova_demo.at("2.5"))
    assert bogus.status_code == 400
    _act(nova_demo, server, {"os-getVNCConsole": {"type": "novnc"}}, 404)      # nova: 2.1 to 2.5 only
    _act(nova_demo, server, {"migrate": None}, 403)
    r = _act(nova_admin, server, {"migrate": None}, 400)
    assert "No valid host" in r.json()["badRequest"]["message"]
    _act(nova_demo, server, {"changePassword": {"adminPass": "secret"}})
    assert nova_demo.get(f"/servers/{server}/os-server-password").json() == {"password": ""}


def test_anti_affinity_group_on_one_host(nova_demo):
    group = nova_demo.post("/os-server-groups", json={"server_group": {"name": unique(), "policy": "anti-affinity"}}
                           ).json()["server_group"]
    from tests.services.compute.conftest import IMAGE
    ids = []
    for _ in range(2):
        r = nova_demo.post("/servers", json={"server": {"name": unique(), "flavorRef": "1", "imageRef": IMAGE[0],
                                                        "networks": "none"},
                                             "os:scheduler_hints": {"group": group["id"]}})
        ids.append(r.json()["server"]["id"])
        if len(ids) == 1:
            nova_demo.wait(ids[0], "ACTIVE")
    second = nova_demo.wait(ids[1], "ERROR")
    assert second["fault"]["message"].startswith("No valid host was found")
    members = nova_demo.get(f"/os-server-groups/{group['id']}").json()["server_group"]["members"]
    assert set(members) == set(ids)
    assert nova_demo.show(ids[0])["server_groups"] == [group["id"]]
    for sid in ids:
        nova_demo.delete(f"/servers/{sid}")


def test_create_backup_rotates(nova_demo, server, cloud, demo_token):
    glance = httpx.Client(base_url=cloud.url + "/image", headers={"X-Auth-Token": demo_token})
    ids = []
    for i in range(3):
        r = _act(nova_demo, server, {"createBackup": {"name": unique("bk"), "backup_type": "daily", "rotation": 2}})
        ids.append(r.json()["image_id"])
        nova_demo.wait(server, "ACTIVE")
    import time
    for _ in range(100):
        left = glance.get(f"/v2/images?instance_uuid={server}&image_type=backup").json()["images"]
        if len(left) == 2:
            break
        time.sleep(0.1)
    assert sorted(i["id"] for i in left) == sorted(ids[1:])
    for image_id in ids[1:]:
        glance.delete(f"/v2/images/{image_id}")


def test_global_request_id_is_validated_as_oslo_middleware_does(nova_demo, server):
    """A valid inbound X-OpenStack-Request-ID becomes the instance action's request id (nova's
    global request id); an invalid one is ignored and the answer carries a new local id."""
    import re
    fmt = re.compile(r"req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")
    good = "req-0b5a3f2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    r = _act(nova_demo, server, {"lock": None}, 202)
    r = nova_demo.action(server, {"unlock": None}, headers={"X-OpenStack-Request-ID": good})
    assert r.status_code == 202 and r.headers["x-openstack-request-id"] != good
    assert fmt.fullmatch(r.headers["x-openstack-request-id"])
    bad = nova_demo.action(server, {"lock": None}, headers={"X-OpenStack-Request-ID": "req-<script>"})
    assert bad.status_code == 202 and fmt.fullmatch(bad.headers["x-openstack-request-id"])
    actions = nova_demo.get(f"/servers/{server}/os-instance-actions").json()["instanceActions"]
    by_action = {}
    for a in actions:
        by_action.setdefault(a["action"], a["request_id"])   # newest first
    assert by_action["unlock"] == good
    assert by_action["lock"] == bad.headers["x-openstack-request-id"]

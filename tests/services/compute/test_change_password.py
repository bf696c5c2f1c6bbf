"""changePassword (servers/actions.py change_password, drivers' set_admin_password): the fake driver takes
any password, as nova's fake driver does; nova's 409s for a server that is not ACTIVE or not running, its
400 for a bad body, and its policy (the owner or an admin) hold."""

from __future__ import annotations

import pytest

from pocketstack.services.compute.drivers import base
from pocketstack.services.compute.drivers.qemu.driver import QemuDriver


def test_change_password_through_openstacksdk_records_the_action(demo, nova_demo, server) -> None:
    demo.compute.change_server_password(server, "Newpass1234")
    nova_demo.wait(server, "ACTIVE")
    actions = nova_demo.get(f"/servers/{server}/os-instance-actions").json()["instanceActions"]
    change = [a for a in actions if a["action"] == "changePassword"]
    assert change and change[0]["message"] is None
    detail = nova_demo.get(f"/servers/{server}/os-instance-actions/{change[0]['request_id']}").json()
    events = detail["instanceAction"]["events"]
    assert [e["event"] for e in events] == ["compute_set_admin_password"] and events[0]["result"] == "Success"


def test_change_password_bad_body_is_400(nova_demo, server) -> None:
    for body in (None, {}, {"adminPass": 1}, {"adminPass": "x", "extra": 1}, "x"):
        r = nova_demo.action(server, {"changePassword": body})
        assert r.status_code == 400, (body, r.text)
        assert "badRequest" in r.json()


def test_change_password_of_a_stopped_server_is_409(nova_demo) -> None:
    sid = nova_demo.boot()["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        assert nova_demo.action(sid, {"os-stop": None}).status_code == 202
        nova_demo.wait(sid, "SHUTOFF")
        r = nova_demo.action(sid, {"changePassword": {"adminPass": "x"}})
        assert r.status_code == 409
        assert r.json()["conflictingRequest"]["message"] == \
            f"Cannot 'changePassword' instance {sid} while it is in vm_state stopped"
    finally:
        nova_demo.delete(f"/servers/{sid}")


def test_change_password_of_another_projects_server_is_404_and_admin_may(nova_alt, nova_admin, server) -> None:
    r = nova_alt.action(server, {"changePassword": {"adminPass": "x"}})
    assert r.status_code == 404
    assert nova_admin.action(server, {"changePassword": {"adminPass": "x"}}).status_code == 202


def test_qemu_driver_answers_as_libvirt_without_a_guest_agent() -> None:
    """nova's libvirt driver: no hw_qemu_guest_agent on the image, 409 QemuGuestAgentNotEnabled; with it, an
    agent that does not answer is nova's NotImplementedError, 501 'Unable to set password on instance'."""
    driver = QemuDriver.__new__(QemuDriver)            # no host needed: the answer comes from the image
    with pytest.raises(base.GuestAgentNotEnabled) as exc:
        driver.set_admin_password({"id": "x", "image_properties": {}}, "pw")
    assert exc.value.status == 409 and exc.value.message == "QEMU guest agent is not enabled"
    with pytest.raises(base.SetPasswordNotImplemented) as exc2:
        driver.set_admin_password({"id": "x", "image_properties": {"hw_qemu_guest_agent": "yes"}}, "pw")
    assert exc2.value.status == 501 and exc2.value.message == "Unable to set password on instance"

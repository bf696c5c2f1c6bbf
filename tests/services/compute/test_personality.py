"""Personality (servers/personality.py): injected files on create and rebuild up to 2.56, within the
injected_files quotas (nova's 403s), refused from 2.57 (400), and in the config drive as nova writes them."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from tests.conftest import unique
from tests.services.compute.conftest import IMAGE, build_config_drive

V256 = {"OpenStack-API-Version": "compute 2.56"}


def _file(path: str, text: str) -> dict[str, str]:
    return {"path": path, "contents": base64.b64encode(text.encode()).decode()}


def _create(nova, personality, version=V256, **extra):
    body = {"name": unique("pers"), "flavorRef": "1", "imageRef": IMAGE[0], "networks": "none",
            "personality": personality, **extra}
    return nova.post("/servers", json={"server": body}, headers=version)




def _config_drive(cloud, server_id: str, out: Path) -> tuple[dict, dict[str, bytes]]:
    import pycdlib
    build_config_drive(cloud, server_id, out)
    iso = pycdlib.PyCdlib()
    iso.open(str(out))
    try:
        def read(path: str) -> bytes:
            buf = io.BytesIO()
            iso.get_file_from_iso_fp(buf, rr_path="/" + path)
            return buf.getvalue()
        md = json.loads(read("openstack/latest/meta_data.json"))
        return md, {f["path"]: read("openstack" + f["content_path"]) for f in md.get("files", [])}
    finally:
        iso.close()


def test_files_reach_the_config_drive_and_rebuild_replaces_them(cloud, nova_demo, tmp_path) -> None:
    r = _create(nova_demo, [_file("/test.txt", "This is a test file."), _file("/etc/motd", "hello")],
                config_drive=True)
    assert r.status_code == 202, r.text
    sid = r.json()["server"]["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        md, files = _config_drive(cloud, sid, tmp_path / "one.config")
        assert md["files"] == [{"path": "/test.txt", "content_path": "/content/0000"},
                               {"path": "/etc/motd", "content_path": "/content/0001"}]
        assert files == {"/test.txt": b"This is a test file.", "/etc/motd": b"hello"}
        # nova's metadata service never lists injected files, and the server body does not show them
        assert "personality" not in nova_demo.show(sid)
        r = nova_demo.action(sid, {"rebuild": {"imageRef": IMAGE[0],
                                               "personality": [_file("rebuild.txt", "Test server rebuild.")]}},
                             headers=V256)
        assert r.status_code == 202, r.text
        nova_demo.wait(sid, "ACTIVE")
        assert _config_drive(cloud, sid, tmp_path / "two.config")[1] == {"rebuild.txt": b"Test server rebuild."}
        # a rebuild without personality injects nothing (nova's files_to_inject = [])
        assert nova_demo.action(sid, {"rebuild": {"imageRef": IMAGE[0]}}, headers=V256).status_code == 202
        nova_demo.wait(sid, "ACTIVE")
        md, files = _config_drive(cloud, sid, tmp_path / "three.config")
        assert "files" not in md and files == {}   # nova leaves the key out when there are none
    finally:
        nova_demo.delete(f"/servers/{sid}")


def test_max_number_of_files_passes_and_one_more_is_403(nova_demo) -> None:
    limit = nova_demo.get("/limits", headers=V256).json()["limits"]["absolute"]["maxPersonality"]
    assert limit == 5
    r = _create(nova_demo, [_file(f"/test{i}.txt", f"file {i}") for i in range(limit)])
    assert r.status_code == 202, r.text
    nova_demo.wait(r.json()["server"]["id"], "ACTIVE")
    nova_demo.delete(f"/servers/{r.json()['server']['id']}")
    over = _create(nova_demo, [_file(f"etc/test{i}.txt", "x") for i in range(limit + 1)])
    assert over.status_code == 403
    assert over.json() == {"forbidden": {"code": 403, "message": "Personality file limit exceeded"}}


def test_path_and_content_limits_are_403(nova_demo) -> None:
    long_path = _create(nova_demo, [_file("/" + "p" * 255, "x")])
    assert long_path.status_code == 403
    assert long_path.json()["forbidden"]["message"] == "Personality file path exceeds maximum 255"
    # nova counts the contents as sent (base64): 10,240 characters pass, 10,244 do not
    big = {"path": "/big", "contents": base64.b64encode(b"x" * 7683).decode()}
    r = _create(nova_demo, [big])
    assert r.status_code == 403
    assert r.json()["forbidden"]["message"] == "Personality file content exceeds maximum 10240"
    # the path is reported before the contents
    both = _create(nova_demo, [{"path": "/" + "p" * 300, "contents": big["contents"]}])
    assert both.json()["forbidden"]["message"] == "Personality file path exceeds maximum 255"


def test_bad_personality_is_400(nova_demo) -> None:
    for personality in ([{"path": "/a", "contents": "abc"}], [{"path": "/a", "bogus": "x"}],
                        [{"path": 1, "contents": ""}], "x", [["/a", "eA=="]]):
        r = _create(nova_demo, personality)
        assert r.status_code == 400, (personality, r.text)
        assert "badRequest" in r.json()


def test_personality_is_gone_from_2_57(nova_demo) -> None:
    r = _create(nova_demo, [_file("/a", "x")], version={"OpenStack-API-Version": "compute 2.57"})
    assert r.status_code == 400
    assert r.json()["badRequest"]["message"] == ("Invalid input for field/attribute server. Additional properties "
                                                 "are not allowed ('personality' was unexpected)")
    sid = nova_demo.boot()["id"]
    try:
        nova_demo.wait(sid, "ACTIVE")
        rb = nova_demo.action(sid, {"rebuild": {"imageRef": IMAGE[0], "personality": []}},
                              headers={"OpenStack-API-Version": "compute 2.57"})
        assert rb.status_code == 400
        assert "'personality' was unexpected" in rb.json()["badRequest"]["message"]
        # over quota on rebuild is nova's 403 too, and the server is left as it was
        over = nova_demo.action(sid, {"rebuild": {"imageRef": IMAGE[0],
                                                  "personality": [_file(f"/f{i}", "x") for i in range(6)]}},
                                headers=V256)
        assert over.status_code == 403
        assert over.json()["forbidden"]["message"] == "Personality file limit exceeded"
        assert nova_demo.show(sid)["status"] == "ACTIVE"
    finally:
        nova_demo.delete(f"/servers/{sid}")


def test_personality_counts_against_the_projects_own_quota(nova_admin, nova_alt, alt) -> None:
    """An admin lowers alt_demo's injected_files quota: alt is refused at 2, demo's limit is untouched."""
    project = alt.current_project_id
    r = nova_admin.put(f"/os-quota-sets/{project}", json={"quota_set": {"injected_files": 1}}, headers=V256)
    assert r.status_code == 200, r.text
    try:
        over = _create(nova_alt, [_file("/a", "x"), _file("/b", "y")])
        assert over.status_code == 403
        assert nova_alt.get("/limits", headers=V256).json()["limits"]["absolute"]["maxPersonality"] == 1
    finally:
        nova_admin.delete(f"/os-quota-sets/{project}")

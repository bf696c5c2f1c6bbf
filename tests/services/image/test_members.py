"""Image sharing: members, member status set by the member, shared listings, and the CLI flow."""

from __future__ import annotations

from tests.conftest import unique


def test_sharing_flow(glance_demo, glance_alt, cloud):
    alt_project = _project(cloud, "devstack-alt")
    image_id = glance_demo.create(name=unique())["id"]
    assert glance_alt.get(f"/v2/images/{image_id}").status_code == 404
    r = glance_demo.post(f"/v2/images/{image_id}/members", json={"member": alt_project})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending" and r.json()["schema"] == "/v2/schemas/member"
    assert glance_demo.post(f"/v2/images/{image_id}/members", json={"member": alt_project}).status_code == 409
    # the member sees it, but not in the default list until accepted
    assert glance_alt.get(f"/v2/images/{image_id}").status_code == 200
    assert image_id not in _ids(glance_alt)
    assert image_id in _ids(glance_alt, member_status="pending", visibility="shared")
    # only the member sets its status
    assert glance_demo.put(f"/v2/images/{image_id}/members/{alt_project}",
                           json={"status": "accepted"}).status_code == 403
    assert glance_alt.put(f"/v2/images/{image_id}/members/{alt_project}", json={"status": "bogus"}) \
        .status_code == 400
    r = glance_alt.put(f"/v2/images/{image_id}/members/{alt_project}", json={"status": "accepted"})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert image_id in _ids(glance_alt)
    members = glance_alt.get(f"/v2/images/{image_id}/members").json()
    assert [m["member_id"] for m in members["members"]] == [alt_project]
    # the member may not add members nor delete the image
    assert glance_alt.post(f"/v2/images/{image_id}/members", json={"member": "x"}).status_code == 403
    assert glance_alt.delete(f"/v2/images/{image_id}").status_code == 403
    assert glance_demo.delete(f"/v2/images/{image_id}/members/{alt_project}").status_code == 204
    assert glance_alt.get(f"/v2/images/{image_id}").status_code == 404
    assert glance_demo.get(f"/v2/images/{image_id}/members/{alt_project}").status_code == 404


def test_only_shared_images_have_members(glance_demo):
    image_id = glance_demo.create(visibility="private")["id"]
    r = glance_demo.post(f"/v2/images/{image_id}/members", json={"member": "someone"})
    assert r.status_code == 403


def test_cli_sharing(cli, cloud):
    name = unique("shared")
    image = cli("image", "create", "--disk-format", "raw", "--container-format", "bare", "--shared", name,
                os_cloud="devstack")
    alt_project = _project(cloud, "devstack-alt")
    cli("image", "add", "project", image["id"], alt_project, os_cloud="devstack")
    cli("image", "set", "--accept", image["id"], os_cloud="devstack-alt")
    listed = cli("image", "list", "--shared", os_cloud="devstack-alt")
    assert image["id"] in [i["ID"] for i in listed]
    members = cli("image", "member", "list", image["id"], os_cloud="devstack")
    assert [(m["Member ID"], m["Status"]) for m in members] == [(alt_project, "accepted")]


def _ids(glance, **params):
    return [i["id"] for i in glance.get("/v2/images", params={"limit": 1000, **params}).json()["images"]]


def _project(cloud, name):
    import httpx
    token = cloud.token(name)
    r = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]

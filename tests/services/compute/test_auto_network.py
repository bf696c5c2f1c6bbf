"""networks "auto": a project with no network gets Neutron's auto-allocated topology, once, for every
server of a multi-create (nova's _auto_allocate_network)."""

from __future__ import annotations

import httpx

from tests.conftest import unique
from tests.services.compute.conftest import IMAGE, Nova


def _fresh_member(cloud, admin):
    project = admin.identity.create_project(name=unique("auto"), domain_id="default")
    password = unique("pw")
    user = admin.identity.create_user(name=unique("auto"), password=password, domain_id="default")
    member = admin.identity.find_role("member")
    admin.identity.assign_project_role_to_user(project, user, member)
    r = httpx.post(f"{cloud.url}/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user.id, "password": password}}},
        "scope": {"project": {"id": project.id}}}})
    assert r.status_code == 201, r.text
    return project, user, r.headers["X-Subject-Token"]


def test_multi_create_with_auto_network(cloud, admin, nova_demo):
    project, user, token = _fresh_member(cloud, admin)
    nova = Nova(cloud.url, token)
    r = nova.post("/servers", json={"server": {"name": unique("auto"), "flavorRef": "1", "imageRef": IMAGE[0],
                                               "networks": "auto", "min_count": 3}})
    assert r.status_code == 202, r.text
    servers = [s for s in nova.get("/servers").json()["servers"]]
    assert len(servers) == 3
    nets = set()
    for s in servers:
        nova.wait(s["id"], "ACTIVE")
        addresses = nova.get(f"/servers/{s['id']}/ips").json()["addresses"]
        assert len(addresses) == 1
        nets |= set(addresses)
    assert nets == {"auto_allocated_network"}
    # "none" still means none, and a project with a network and "auto" uses that network
    r = nova.post("/servers", json={"server": {"name": unique("none"), "flavorRef": "1", "imageRef": IMAGE[0],
                                               "networks": "none"}})
    assert r.status_code == 202
    for s in nova.get("/servers").json()["servers"]:
        nova.delete(f"/servers/{s['id']}")
    for s in servers:
        nova.wait_gone(s["id"])
    admin.identity.delete_user(user)
    admin.identity.delete_project(project)

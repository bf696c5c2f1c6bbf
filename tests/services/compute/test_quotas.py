"""Limits and quota sets: defaults, detail, admin updates, and their enforcement on create."""

from __future__ import annotations

import httpx

from tests.conftest import unique


def _project(cloud, name: str) -> str:
    token = cloud.token(name)
    r = httpx.get(cloud.url + "/identity/v3/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return r.json()["token"]["project"]["id"]


def test_limits(nova_demo):
    absolute = nova_demo.get("/limits").json()["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 40 and absolute["maxTotalCores"] == 80      # the session config
    assert "maxSecurityGroups" not in absolute and "maxPersonality" not in absolute
    old = nova_demo.get("/limits", headers=nova_demo.at("2.1")).json()["limits"]["absolute"]
    assert old["maxSecurityGroups"] == -1 and old["maxImageMeta"] == 128


def test_quota_sets(nova_admin, nova_demo, cloud):
    project = _project(cloud, "devstack")
    shown = nova_demo.get(f"/os-quota-sets/{project}").json()["quota_set"]
    # the session cloud's `compute: {quotas: {instances: 40}}` (nova's [quota] instances; nova's default 10)
    assert shown["id"] == project and shown["instances"] == 40 and "floating_ips" not in shown
    detail = nova_demo.get(f"/os-quota-sets/{project}/detail").json()["quota_set"]
    assert set(detail["cores"]) == {"limit", "in_use", "reserved"}
    assert nova_demo.get(f"/os-quota-sets/{project}/defaults").json()["quota_set"]["key_pairs"] == 100
    assert nova_demo.put(f"/os-quota-sets/{project}", json={"quota_set": {"instances": 5}}).status_code == 403
    alt = _project(cloud, "devstack-alt")
    assert nova_demo.get(f"/os-quota-sets/{alt}").status_code == 403
    assert nova_admin.put(f"/os-quota-sets/{alt}", json={"quota_set": {"server_groups": "x"}}).status_code == 400


def test_server_group_quota(nova_admin, nova_alt, cloud):
    alt = _project(cloud, "devstack-alt")
    assert nova_admin.put(f"/os-quota-sets/{alt}", json={"quota_set": {"server_groups": 1}}).status_code == 200
    try:
        first = nova_alt.post("/os-server-groups", json={"server_group": {"name": unique(), "policy": "affinity"}})
        assert first.status_code == 200
        over = nova_alt.post("/os-server-groups", json={"server_group": {"name": unique(), "policy": "affinity"}})
        assert over.status_code == 403 and "Quota exceeded" in over.json()["forbidden"]["message"]
        nova_alt.delete(f"/os-server-groups/{first.json()['server_group']['id']}")
    finally:
        assert nova_admin.delete(f"/os-quota-sets/{alt}").status_code == 202
    assert nova_alt.get(f"/os-quota-sets/{alt}").json()["quota_set"]["server_groups"] == 10

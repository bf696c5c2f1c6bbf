"""An operator's policy file (<data_dir>/policy/<service-type>.yaml) overrides the defaults, as
a policy file does for the upstream service; without one the upstream defaults apply."""

from __future__ import annotations

import httpx

from tests.conftest import start_cloud, stop_cloud


def test_operator_policy_file_overrides_a_default(tmp_path):
    policy_dir = tmp_path / "data" / "policy"
    policy_dir.mkdir(parents=True)
    # nobody may list projects; a reader may create regions (both differ from keystone's defaults)
    (policy_dir / "identity.yaml").write_text('"identity:list_projects": "!"\n'
                                              '"identity:create_region": "role:reader"\n')
    cloud = start_cloud(tmp_path)
    try:
        admin = {"X-Auth-Token": cloud.token("pocketstack-admin")}
        demo = {"X-Auth-Token": cloud.token("pocketstack")}
        r = httpx.get(f"{cloud.url}/identity/v3/projects", headers=admin)
        assert r.status_code == 403 and "identity:list_projects" in r.json()["error"]["message"]
        r = httpx.post(f"{cloud.url}/identity/v3/regions", headers=demo, json={"region": {"id": "op-region"}})
        assert r.status_code == 201, r.text
        # rules the file does not name keep their defaults
        assert httpx.get(f"{cloud.url}/identity/v3/domains", headers=demo).status_code == 403
        assert httpx.get(f"{cloud.url}/identity/v3/domains", headers=admin).status_code == 200
    finally:
        stop_cloud(cloud)

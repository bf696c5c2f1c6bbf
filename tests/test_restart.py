"""A restart loses nothing: data and tokens issued before it are still there after it."""

from __future__ import annotations

import httpx

from tests.conftest import start_cloud, stop_cloud


def test_tokens_and_projects_survive_a_restart(tmp_path):
    first = start_cloud(tmp_path)
    try:
        token = first.token()
        r = httpx.post(f"{first.url}/identity/v3/projects", headers={"X-Auth-Token": token},
                       json={"project": {"name": "survivor"}})
        assert r.status_code == 201
        project_id = r.json()["project"]["id"]
        secret = httpx.post(f"{first.url}/key-manager/v1/secrets", headers={"X-Auth-Token": token},
                            json={"payload": "kept", "payload_content_type": "text/plain"}).json()["secret_ref"]
        clouds_before = first.clouds_yaml.read_text()
    finally:
        stop_cloud(first)
    second = start_cloud(tmp_path, port=int(first.url.rsplit(":", 1)[1]))
    try:
        h = {"X-Auth-Token": token, "X-Subject-Token": token}
        assert httpx.get(f"{second.url}/identity/v3/auth/tokens", headers=h).status_code == 200
        shown = httpx.get(f"{second.url}/identity/v3/projects/{project_id}", headers={"X-Auth-Token": token})
        assert shown.json()["project"]["name"] == "survivor"
        assert second.clouds_yaml.read_text() == clouds_before   # a later start changes nothing
        assert (second.clouds_yaml.stat().st_mode & 0o777) == 0o600
        # the services load on their first request after a restart: every catalog entry answers
        fresh = {"X-Auth-Token": second.token()}
        listed = httpx.get(f"{second.url}/identity/v3/auth/catalog", headers=fresh)
        assert listed.status_code == 200
        catalog = {e["type"]: e for e in listed.json()["catalog"]}
        assert {"identity", "compute", "image", "network", "volumev3", "block-storage", "object-store",
                "placement", "orchestration", "baremetal", "accelerator", "cloudformation", "key-manager"} <= set(catalog)
        roots = {"compute": "/compute/", "image": "/image/", "network": "/networking/", "placement": "/placement/",
                 "orchestration": "/heat-api/", "baremetal": "/baremetal/", "accelerator": "/accelerator/",
                 "volumev3": "/volume/", "key-manager": "/key-manager/"}
        for kind, root in roots.items():         # each one's version document, its first request since the start
            assert any(e["url"].startswith(second.url + root.rstrip("/")) for e in catalog[kind]["endpoints"])
            r = httpx.get(second.url + root, headers=fresh)
            assert r.status_code in (200, 300), (kind, r.status_code, r.text[:200])
        # a payload stored before the restart decrypts after it (the master key in the data dir, the KEK in the db)
        payload = httpx.get(secret + "/payload", headers={"X-Auth-Token": token, "Accept": "text/plain"})
        assert payload.text == "kept"
        flavors = httpx.get(f"{second.url}/compute/v2.1/flavors", headers=fresh)
        assert "m1.tiny" in {f["name"] for f in flavors.json()["flavors"]}
    finally:
        stop_cloud(second)

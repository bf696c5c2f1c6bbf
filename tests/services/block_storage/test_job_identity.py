"""Jobs keep ids, never a token: a volume job that runs after the user's token is revoked still
completes, acting as cinder's own service user for that user (issue 14)."""

from __future__ import annotations

import json
import sqlite3

import httpx

from tests.conftest import start_cloud, stop_cloud, wait_until as _wait


def test_upload_to_image_outlives_the_users_token(tmp_path):
    cloud = start_cloud(tmp_path, options={"jobs": {"start_delay": 3}})   # every job waits 3 s first
    try:
        waiter, doomed = cloud.token("pocketstack"), cloud.token("pocketstack")
        http = httpx.Client(base_url=cloud.url, timeout=60)
        as_waiter = {"X-Auth-Token": waiter}
        r = http.post("/volume/v3/volumes", headers=as_waiter, json={"volume": {"size": 1, "name": "v"}})
        assert r.status_code == 202, r.text
        vid = r.json()["volume"]["id"]
        _wait(lambda: http.get(f"/volume/v3/volumes/{vid}", headers=as_waiter).json()["volume"],
              lambda v: v["status"] == "available")

        r = http.post(f"/volume/v3/volumes/{vid}/action", headers={"X-Auth-Token": doomed}, json={
            "os-volume_upload_image": {"image_name": "from-volume", "disk_format": "raw",
                                       "container_format": "bare"}})
        assert r.status_code == 202, r.text
        image_id = r.json()["os-volume_upload_image"]["image_id"]

        payloads = [json.loads(p) for (p,) in sqlite3.connect(cloud.data_dir / "pocketstack.db").execute(
            "SELECT payload FROM jobs")]
        assert payloads and not [p for p in payloads if "token" in p]      # ids only, at rest
        assert any(p.get("caller", {}).get("user_id") and p["caller"].get("project_id") for p in payloads)

        revoke = http.delete("/identity/v3/auth/tokens", headers={"X-Auth-Token": waiter,
                                                                  "X-Subject-Token": doomed})
        assert revoke.status_code == 204
        assert http.get("/volume/v3/volumes", headers={"X-Auth-Token": doomed}).status_code == 401

        image = _wait(lambda: http.get(f"/image/v2/images/{image_id}", headers=as_waiter).json(),
                      lambda i: i.get("status") in ("active", "killed", "deleted") or "status" not in i)
        assert image.get("status") == "active", image
        volume = _wait(lambda: http.get(f"/volume/v3/volumes/{vid}", headers=as_waiter).json()["volume"],
                       lambda v: v["status"] != "uploading")
        assert volume["status"] == "available"
    finally:
        stop_cloud(cloud)

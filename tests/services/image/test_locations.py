"""GET /v2/images/{id}/locations (Glance 2.17): where the data lives, for service users only."""

from __future__ import annotations

import httpx

from tests.conftest import unique


def test_locations_for_service_users_only(cloud, glance_admin, glance_demo):
    image = glance_demo.create(name=unique("loc"))
    assert glance_admin.get(f"/v2/images/{image['id']}/locations").json() == []        # queued: no data
    assert glance_demo.upload(image["id"], b"located" * 100).status_code == 204
    r = glance_admin.get(f"/v2/images/{image['id']}/locations")
    assert r.status_code == 200, r.text
    (location,) = r.json()
    assert location["url"].startswith("file://") and location["url"].endswith(image["id"])
    with open(location["url"][len("file://"):], "rb") as f:
        assert f.read() == b"located" * 100
    assert location["metadata"]["store"]
    assert glance_demo.get(f"/v2/images/{image['id']}/locations").status_code == 403
    assert glance_admin.get("/v2/images/00000000-0000-0000-0000-000000000000/locations").status_code == 404
    assert httpx.get(f"{cloud.url}/image/v2/images/{image['id']}/locations").status_code == 401

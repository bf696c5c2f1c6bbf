"""A first start answers its first token before the other services are bootstrapped: identity is
bootstrapped before the server listens, the others' bootstraps follow in the background (or on the
first request that needs one of them, which waits for it), then every service's startup hook and the
`bootstrap` snapshot. Nothing is half made: a request to a service sees its bootstrap done, a reset
waits for the snapshot, a stop finishes the start first, and a start that finds bootstraps left over
(the first one was killed) finishes them."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from pocketstack.core import snapshots
from tests.conftest import ADMIN_PASSWORD, free_port, start_cloud, stop_cloud


def _marker(data_dir: Path) -> dict:
    with sqlite3.connect(data_dir / "pocketstack.db") as conn:
        return json.loads(conn.execute("SELECT value FROM pocketstack_state WHERE key = 'bootstrap'").fetchone()[0])


def _admin(url: str) -> dict[str, str]:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    r = httpx.post(url + "/identity/v3/auth/tokens", json=body, timeout=60)
    assert r.status_code == 201, r.text
    return {"X-Auth-Token": r.headers["X-Subject-Token"]}


def _devstack_resources(url: str, h: dict[str, str]) -> None:
    """What the other services' bootstraps make, seen by their first requests (which waited for them)."""
    flavors = httpx.get(url + "/compute/v2.1/flavors", headers=h, timeout=60).json()["flavors"]
    assert {"m1.tiny", "m1.small", "cirros256"} <= {f["name"] for f in flavors}
    images = httpx.get(url + "/image/v2/images", headers=h, timeout=60).json()["images"]
    assert any(i["name"].startswith("cirros-") for i in images)
    networks = httpx.get(url + "/networking/v2.0/networks", headers=h, timeout=60).json()["networks"]
    assert {"public", "private"} <= {n["name"] for n in networks}
    types = httpx.get(url + "/volume/v3/types", headers=h, timeout=60).json()["volume_types"]
    assert "lvmdriver-1" in {t["name"] for t in types}


def test_a_first_start_serves_tokens_first_and_each_service_after_its_bootstrap(tmp_path: Path) -> None:
    cloud = start_cloud(tmp_path, extra_args=["--allow-reset"])
    try:
        h = _admin(cloud.url)
        _devstack_resources(cloud.url, h)
        # a reset waits for the start's `bootstrap` snapshot, then returns to it
        assert httpx.post(cloud.url + "/identity/v3/projects", headers=h, timeout=60,
                          json={"project": {"name": "made-after-start"}}).status_code == 201
        r = httpx.post(cloud.url + "/pocketstack/v1/reset", headers=h, json={}, timeout=120)
        assert r.status_code == 200, r.text
        h = _admin(cloud.url)
        names = {p["name"] for p in httpx.get(cloud.url + "/identity/v3/projects", headers=h).json()["projects"]}
        assert "made-after-start" not in names and {"admin", "demo", "alt_demo", "service"} <= names
        _devstack_resources(cloud.url, h)
    finally:
        stop_cloud(cloud)
    assert "pending" not in _marker(cloud.data_dir)


def test_a_stop_right_after_the_first_token_finishes_the_start_first(tmp_path: Path) -> None:
    """Also with `startup: {warm_up: false}`: a first start completes whatever the config says."""
    cloud = start_cloud(tmp_path, options={"startup": {"warm_up": False}})
    _admin(cloud.url)
    cloud.process.send_signal(signal.SIGINT)
    assert cloud.process.wait(timeout=120) == 0
    assert "pending" not in _marker(cloud.data_dir)
    assert snapshots.exists(cloud.data_dir, snapshots.BOOTSTRAP)
    again = start_cloud(tmp_path, port=int(cloud.url.rsplit(":", 1)[1]))
    try:
        _devstack_resources(again.url, _admin(again.url))
    finally:
        stop_cloud(again)


def test_a_start_finishes_the_bootstraps_a_killed_first_start_left(tmp_path: Path) -> None:
    """prepare(defer=True) as `serve` runs it, then the process dies: identity alone is bootstrapped and
    the marker lists the rest; the next start bootstraps them, once, and takes the snapshot."""
    port = free_port()
    data = tmp_path / "data"
    code = ("import sys; from pathlib import Path; from pocketstack.config import Settings; "
            "from pocketstack.app import prepare; from pocketstack import bootstrap; "
            f"s = Settings(port={port}, data_dir=Path({str(data)!r}), admin_password={ADMIN_PASSWORD!r}, "
            "options={'identity': {'password_hash_rounds': 4}}); "
            "assert prepare(s, defer=True); print(bootstrap.pending())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "'compute'" in out.stdout and "'identity'" not in out.stdout
    assert _marker(data)["pending"][0] == "placement"
    assert not snapshots.exists(data, snapshots.BOOTSTRAP)
    cloud = start_cloud(tmp_path, port=port)
    try:
        h = _admin(cloud.url)
        _devstack_resources(cloud.url, h)
        flavors = httpx.get(cloud.url + "/compute/v2.1/flavors", headers=h).json()["flavors"]
        assert len([f for f in flavors if f["name"] == "m1.tiny"]) == 1       # bootstrapped once
    finally:
        stop_cloud(cloud)
    assert "pending" not in _marker(data)
    assert snapshots.exists(data, snapshots.BOOTSTRAP)


def test_requests_answered_before_prometheus_client_loads_are_counted() -> None:
    code = ("import sys; from pocketstack.core import metrics; "
            "metrics.observe('identity', '/v3/auth/tokens', 'POST', 201, 0.3); "
            "assert 'prometheus_client' not in sys.modules; "
            "body = metrics.exposition()[0].decode(); "
            "metrics.observe('identity', '/v3/auth/tokens', 'POST', 201, 0.3); "
            "print(body); print(metrics.exposition()[0].decode())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    line = 'pocketstack_requests_total{method="POST",route="/v3/auth/tokens",service="identity",status="201"}'
    assert f"{line} 1.0" in out and f"{line} 2.0" in out

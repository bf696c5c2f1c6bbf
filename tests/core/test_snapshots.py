"""Whole-cloud snapshots (core.snapshots, `pocketstack snapshot`, POST /pocketstack/v1/reset): rows
and bytes saved while the cloud serves, restored live (with --allow-reset) and on a stopped cloud,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from pocketstack.testing.cloud import PocketstackCloud

PG = os.environ.get("POCKETSTACK_TEST_PG") or "postgresql://postgres@127.0.0.1:5432/postgres"


def _pg_available() -> bool:
    try:
        import sqlalchemy as sa

        from pocketstack.core.db import normalize_url
        sa.create_engine(normalize_url(PG)).connect().close()
        return True
    except Exception:  # noqa: BLE001 - no server: the PostgreSQL case is skipped
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request):
    if request.param == "sqlite":
        yield None
        return
    if not _pg_available():
        pytest.skip(f"no PostgreSQL at {PG}")
    from tests.conftest import _drop_postgres, _fresh_postgres
    url = _fresh_postgres(PG)
    yield url
    _drop_postgres(url)


def _cli(*args: str, cloud: PocketstackCloud, database_url: str | None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pocketstack", "snapshot", *args, "--data-dir", str(cloud.data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_save_restore_live_and_stopped(tmp_path, database_url):
    payload = os.urandom(3 * 1024 * 1024 + 7)
    cloud = PocketstackCloud(tmp_path, database_url=database_url)
    try:
        conn = cloud.connection()
        conn.network.create_network(name="keep")
        conn.object_store.create_container(name="box")
        conn.object_store.upload_object(container="box", name="blob", data=payload)
        saved = _cli("save", "s1", cloud=cloud, database_url=database_url)     # while it serves
        assert saved.returncode == 0, saved.stderr
        conn.network.create_network(name="later")
        conn.object_store.delete_object("blob", container="box")
        r = cloud.control("POST", "/reset", json={"snapshot": "s1"})
        assert r.status_code == 200 and r.json()["reset"]["seconds"] >= 0     # timings: bench/reset.py
        assert [n.name for n in conn.network.networks(name="keep")] == ["keep"]
        assert list(conn.network.networks(name="later")) == []
        assert conn.object_store.download_object("blob", container="box") == payload
        refused = _cli("restore", "s1", cloud=cloud, database_url=database_url)
        assert refused.returncode == 1 and "stop it" in refused.stderr
        bad = httpx.post(f"{cloud.url}/pocketstack/v1/reset", json={"snapshot": "nope"},
                         headers={"X-Auth-Token": cloud.token()})
        assert bad.status_code == 400 and "no snapshot named nope" in bad.json()["error"]["message"]
    finally:
        cloud.stop()
    restored = _cli("restore", "bootstrap", cloud=cloud, database_url=database_url)     # a stopped cloud
    assert restored.returncode == 0, restored.stderr
    listed = _cli("list", "-f", "json", cloud=cloud, database_url=database_url)
    assert '"name": "bootstrap"' in listed.stdout and '"name": "s1"' in listed.stdout
    again = PocketstackCloud(tmp_path, database_url=database_url)
    try:
        conn = again.connection()
        assert list(conn.network.networks(name="keep")) == []
        assert [c.name for c in conn.object_store.containers()] == []
        assert {n.name for n in conn.network.networks()} >= {"public", "private"}
    finally:
        again.stop()
    assert _cli("delete", "s1", cloud=cloud, database_url=database_url).returncode == 0
    assert _cli("restore", "s1", cloud=cloud, database_url=database_url).returncode == 1


def test_a_reset_drops_pending_jobs_and_answers_only_admins(tmp_path):
    cloud = PocketstackCloud(tmp_path, config={"jobs": {"start_delay": 1.5}})
    try:
        conn = cloud.connection()
        image = next(conn.image.images())
        flavor = conn.compute.find_flavor("m1.tiny", ignore_missing=False)
        server = conn.compute.create_server(name="pending", image_id=image.id, flavor_id=flavor.id, networks="none")
        assert conn.compute.get_server(server.id).status == "BUILD"        # its build job waits
        demo = httpx.post(f"{cloud.url}/pocketstack/v1/reset", headers={"X-Auth-Token": cloud.token("pocketstack")})
        assert demo.status_code == 403
        cloud.reset()
        time.sleep(2.5)                                                     # past the job's start
        assert list(conn.compute.servers()) == []
        assert "Traceback" not in cloud.log_tail(400)
    finally:
        cloud.stop()

"""Durable jobs: a server killed right after accepting work finishes it after a restart; nothing stays
in a transitional state."""

from __future__ import annotations

import signal

from tests.conftest import start_cloud, stop_cloud
from tests.services.block_storage.conftest import Cinder, project_id


def test_killed_server_resumes_volume_jobs(tmp_path):
    first = start_cloud(tmp_path)
    try:
        token = first.token()
        cinder = Cinder(first.url, token, project_id(first, token))
        base = cinder.volume()
        created = [cinder.create("volume", size=1, source_volid=base["id"])["id"] for _ in range(4)]
        backup = cinder.create("backup", volume_id=base["id"])["id"]
        first.process.send_signal(signal.SIGKILL)      # no graceful shutdown: jobs may be half-way
        first.process.wait(timeout=15)
    finally:
        if first.process.poll() is None:
            stop_cloud(first)
    second = start_cloud(tmp_path, port=int(first.url.rsplit(":", 1)[1]))
    try:
        cinder = Cinder(second.url, second.token(), cinder.project_id)
        for volume_id in created:
            assert cinder.wait("volume", volume_id, timeout=120)["source_volid"] == base["id"]
        assert cinder.wait("backup", backup, timeout=120)["status"] == "available"
        assert cinder.wait("volume", base["id"], timeout=120)["status"] == "available"
    finally:
        stop_cloud(second)

"""A server stopped in the middle of an upload (SIGKILL or SIGTERM) leaves a consistent state:
after the restart the image is back to `queued`, with no data, staged or temp file left, and a
new upload of it works."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_cloud, stop_cloud

SENT = 8 << 20          # what the client sends of the...
DECLARED = 64 << 20     # ...size it announces


def leftovers(data_dir: Path, image_id: str) -> list[Path]:
    blobs = data_dir / "blobs"
    return [p for p in blobs.rglob("*") if p.is_file() and (image_id in p.name or p.name.startswith(".tmp-"))]


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("target", ["file", "stage"])
def test_stop_mid_upload_leaves_image_queued(tmp_path, how, target):
    first = start_cloud(tmp_path)
    port = int(first.url.rsplit(":", 1)[1])
    token = first.token()
    api = httpx.Client(base_url=first.url + "/image", headers={"X-Auth-Token": token}, timeout=30)
    image = api.post("/v2/images", json={"name": "interrupted", "disk_format": "raw",
                                         "container_format": "bare"}).json()
    image_id = image["id"]
    busy = "saving" if target == "file" else "uploading"
    upload = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        upload.putrequest("PUT", f"/image/v2/images/{image_id}/{target}")
        for name, value in (("X-Auth-Token", token), ("Content-Type", "application/octet-stream"),
                            ("Content-Length", str(DECLARED))):
            upload.putheader(name, value)
        upload.endheaders()
        block = os.urandom(1 << 20)
        for _ in range(SENT // len(block)):
            upload.send(block)
        # the server is mid-upload: the image is busy and a temp file holds what arrived
        wait_for(lambda: api.get(f"/v2/images/{image_id}").json()["status"] == busy)
        wait_for(lambda: any(p.name.startswith(".tmp-") and p.stat().st_size > 0
                             for p in leftovers(first.data_dir, image_id)))
        first.process.send_signal(getattr(signal, how))
        if how == "SIGTERM":
            upload.close()                       # the client goes away too; the server winds down
            try:
                first.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                first.process.kill()
                raise AssertionError("the server did not stop on SIGTERM") from None
        else:
            first.process.wait(timeout=20)
    finally:
        upload.close()
        api.close()
        if first.process.poll() is None:
            first.process.kill()
    second = start_cloud(tmp_path)      # same data dir; a fresh port (another server may have taken the old one)
    try:
        with httpx.Client(base_url=second.url + "/image", headers={"X-Auth-Token": second.token()},
                          timeout=30) as api:
            shown = api.get(f"/v2/images/{image_id}").json()
            assert shown["status"] == "queued"
            assert shown["size"] is None and shown["checksum"] is None
            assert leftovers(second.data_dir, image_id) == []
            data = os.urandom(1000)
            assert api.put(f"/v2/images/{image_id}/file", content=data,
                           headers={"Content-Type": "application/octet-stream"}).status_code == 204
            assert api.get(f"/v2/images/{image_id}/file").content == data
    finally:
        stop_cloud(second)

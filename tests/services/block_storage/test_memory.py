"""Memory stays flat while a big image becomes a volume and the volume is backed up to the object
store and restored: the bytes are streamed (the same RSS sampler and budget as the image tests)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import httpx

from tests.conftest import unique
from tests.services.block_storage.conftest import backing_file

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from image import RssSampler  # noqa: E402  (bench/image.py: the same sampler the benchmark uses)

SIZE = 256 << 20
BUDGET = 64 << 10        # KiB
BLOCK = bytes((i * 7 + 3) % 251 for i in range(1 << 20))     # compressible, but not zeros


def _head_digest(cloud, volume_id: str) -> str:
    h = hashlib.sha256()
    with open(backing_file(cloud, f"volumes/volume-{volume_id}"), "rb") as f:
        for _ in range(SIZE >> 20):
            h.update(f.read(1 << 20))
    return h.hexdigest()


def test_volume_from_big_image_backup_and_restore_keep_memory_flat(cloud, cinder_demo, demo_token):
    glance = httpx.Client(base_url=f"{cloud.url}/image", headers={"X-Auth-Token": demo_token}, timeout=300)
    r = glance.post("/v2/images", json={"name": unique("big"), "disk_format": "raw", "container_format": "bare"})
    image_id = r.json()["id"]
    r = glance.put(f"/v2/images/{image_id}/file", content=(BLOCK for _ in range(SIZE >> 20)),
                   headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    sampler = RssSampler(cloud.process.pid)
    before = sampler.rss_kib()
    sampler.start()
    try:
        vol = cinder_demo.volume(imageRef=image_id)
        backup = cinder_demo.wait("backup", cinder_demo.create("backup", volume_id=vol["id"])["id"], timeout=300)
        cinder_demo.wait("volume", vol["id"])
        r = cinder_demo.post(f"/backups/{backup['id']}/restore", json={"restore": {}})
        restored = cinder_demo.wait("volume", r.json()["restore"]["volume_id"], timeout=300)
    finally:
        peak = sampler.stop()
        glance.delete(f"/v2/images/{image_id}")
    assert peak - before < BUDGET, f"server RSS grew {(peak - before) >> 10} MiB"
    expected = hashlib.sha256(BLOCK * (SIZE >> 20)).hexdigest()
    assert _head_digest(cloud, vol["id"]) == expected == _head_digest(cloud, restored["id"])
    assert backup["object_count"] == 21

"""Memory stays flat while a big image goes up and comes down (the acceptance bar is 64 MiB of
server RSS growth for 2 GiB, measured by bench/image.py; this checks 256 MiB on every run)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.conftest import unique

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from image import RssSampler  # noqa: E402  (bench/image.py: the same sampler the benchmark uses)

SIZE = 256 << 20
BUDGET = 64 << 10        # KiB


def test_upload_and_download_keep_server_memory_flat(cloud, glance_demo):
    image = glance_demo.create(name=unique("big"))
    block = os.urandom(1 << 20)
    sampler = RssSampler(cloud.process.pid)
    before = sampler.rss_kib()
    sampler.start()
    try:
        r = glance_demo.put(f"/v2/images/{image['id']}/file", content=(block for _ in range(SIZE // len(block))),
                            headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        with glance_demo.stream("GET", f"/v2/images/{image['id']}/file") as r:
            assert sum(len(c) for c in r.iter_bytes(1 << 20)) == SIZE
    finally:
        peak = sampler.stop()
        glance_demo.delete(f"/v2/images/{image['id']}")
    assert peak - before < BUDGET, f"server RSS grew {(peak - before) >> 10} MiB"

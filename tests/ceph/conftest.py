"""A throwaway one-node Ceph cluster for the session (scripts/ceph-dev), and clouds whose blob
backend is ceph. Skipped, saying why, when not root or the Ceph packages are missing; the
daemons are stopped and their directory removed after the session.

POCKETSTACK_CEPH_DEV names another ceph-dev script; POCKETSTACK_CEPH_CONF an already running
cluster's conf (then nothing is started or stopped)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_cloud, stop_cloud

REPO = Path(__file__).resolve().parents[2]
POOL = "pocketstack"
BINARIES = ("ceph-mon", "ceph-osd", "ceph", "monmaptool", "ceph-authtool")


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the ceph tests start a throwaway Ceph cluster as root (scripts/ceph-dev); not root"
    absent = [b for b in BINARIES if not shutil.which(b)]
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
    if not glob.glob(f"/usr/lib/python3/dist-packages/rados.{tag}-*.so"):
        absent.append(f"python3-rados for {tag}")
    if absent:
        return (f"Ceph packages missing ({', '.join(absent)}): apt-get install ceph-mon ceph-osd "
                "ceph-common python3-rados")
    return None


@pytest.fixture(scope="session")
def ceph_conf() -> Any:
    if os.environ.get("POCKETSTACK_CEPH_CONF"):
        yield os.environ["POCKETSTACK_CEPH_CONF"]
        return
    if reason := _missing():
        pytest.skip(reason)
    script = Path(os.environ.get("POCKETSTACK_CEPH_DEV") or REPO / "scripts" / "ceph-dev")
    if not script.exists():
        pytest.skip(f"{script} is missing (set POCKETSTACK_CEPH_DEV to a ceph-dev script)")
    root = Path(tempfile.mkdtemp(prefix="ps-ceph-", dir="/tmp"))    # short: admin socket paths are limited
    shutil.rmtree(root)
    for attempt in range(2):
        proc = subprocess.run([sys.executable, str(script), "start", str(root), "--no-mgr", "--pool", POOL,
                               "--osd-size-gb", "8"], capture_output=True, text=True, timeout=300)
        if proc.returncode == 0:
            break
    else:
        pytest.fail(f"ceph-dev start failed:\n{proc.stderr[-3000:]}")
    try:
        yield proc.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([sys.executable, str(script), "stop", str(root)], capture_output=True, timeout=120)


def ceph_args(conf: str) -> list[str]:
    return ["--blob-backend", "ceph", "--ceph-conf", conf, "--ceph-pool", POOL]


def ceph_options(namespace: str, **extra: Any) -> dict[str, Any]:
    return {"blobs": {"ceph_namespace": namespace, **extra}}


@pytest.fixture(scope="session")
def ceph_cloud(ceph_conf: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A cloud of its own on ceph (a RADOS namespace of its own)."""
    tmp = tmp_path_factory.mktemp("ceph-cloud")
    running = start_cloud(tmp, options=ceph_options(f"t-{uuid.uuid4().hex[:8]}"), extra_args=ceph_args(ceph_conf))
    yield running
    stop_cloud(running)

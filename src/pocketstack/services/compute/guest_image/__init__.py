"""A small cirros-like guest image (the compute driver's and the tests' default image), built from
Debian packages: the cloud kernel, busybox-static, dropbear, sudo, lsblk and e2fsprogs.

`ensure()` builds it once into a cache keyed by the builder and the packages' versions; `build()`
always builds. The guest behaves like CirrOS 0.6.3: serial console on ttyS0, DHCP on eth0, metadata
from a config drive (label config-2) or http://169.254.169.254, user cirros / gocubsgo with sudo,
dropbear on port 22, the ACPI power button powers off."""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from pocketstack.services.compute.guest_image import _debs
from pocketstack.services.compute.guest_image._build import BUILDER_VERSION, build, source_digest

__all__ = ["BUILDER_VERSION", "build", "cache_key", "default_cache_dir", "ensure"]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pocketstack" / "guest-image"


def cache_key() -> str:
    """The builder's version and sources and the Debian packages' candidate versions."""
    versions = _debs.resolve()
    text = source_digest() + "".join(f"\n{n}={v}" for n, v in versions.items())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure(cache_dir: Path | None = None) -> Path:
    """The cached image for the current key, built first when missing (one builder at a time)."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    image = cache_dir / f"cirros-like-{cache_key()}.qcow2"
    if image.exists():
        return image
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not image.exists():
            build(image)
    return image

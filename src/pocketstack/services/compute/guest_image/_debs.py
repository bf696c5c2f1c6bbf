"""Debian packages as inputs: resolve the candidate versions, `apt-get download` them into a temp dir and
unpack them with `dpkg-deb -x` (nothing is installed on the host)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# linux-image-cloud-amd64 is a metapackage; resolve() replaces it with the real kernel package.
PACKAGES = ("linux-image-cloud-amd64", "busybox-static", "dropbear-bin", "libtomcrypt1", "libtommath1",
            "sudo", "libpam-modules", "util-linux", "e2fsprogs", "dosfstools")


def _show(names: list[str]) -> list[dict[str, str]]:
    out = subprocess.run(["apt-cache", "show", "--no-all-versions", *names], check=True,
                         capture_output=True, text=True).stdout
    stanzas = []
    for block in out.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", block, re.M))
        if "Package" in fields:
            stanzas.append(fields)
    return stanzas


def resolve() -> dict[str, str]:
    """Package name -> candidate version, the kernel metapackage replaced by its real package."""
    stanzas = {s["Package"]: s for s in _show(list(PACKAGES))}
    missing = set(PACKAGES) - stanzas.keys()
    if missing:
        raise RuntimeError(f"apt knows no candidate for {sorted(missing)} (apt-get update?)")
    versions = {name: s["Version"] for name, s in stanzas.items()}
    depends = stanzas["linux-image-cloud-amd64"].get("Depends", "")
    kernel = re.search(r"(linux-image-[0-9][^ ,]*-cloud-amd64)", depends)
    if not kernel:
        raise RuntimeError(f"cannot resolve linux-image-cloud-amd64's kernel from {depends!r}")
    del versions["linux-image-cloud-amd64"]
    versions[kernel.group(1)] = _show([kernel.group(1)])[0]["Version"]
    return dict(sorted(versions.items()))


def fetch(versions: dict[str, str], workdir: Path) -> Path:
    """Download exactly these versions into workdir/debs and unpack them all into workdir/debroot."""
    debs, root = workdir / "debs", workdir / "debroot"
    debs.mkdir()
    root.mkdir()
    debs.chmod(0o777)  # apt's _apt sandbox user may write here when we run as root
    subprocess.run(["apt-get", "download", "-q", *(f"{n}={v}" for n, v in versions.items())], cwd=debs,
                   check=True, capture_output=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root

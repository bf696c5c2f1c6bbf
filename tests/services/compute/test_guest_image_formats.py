"""The guest image builder's own formats, read back by other tools (no root, no QEMU)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pocketstack.services.compute.guest_image._formats import Cpio, Partition, mbr


@pytest.mark.skipif(not shutil.which("cpio"), reason="cpio is not installed")
def test_cpio_newc_lists_and_extracts_with_gnu_cpio(tmp_path: Path) -> None:
    archive = Cpio()
    archive.dir("bin")
    archive.file("bin/busybox", b"\x7fELF" + b"x" * 1001, 0o755)
    archive.symlink("bin/sh", "busybox")
    archive.chardev("dev/console", 5, 1)
    archive.file("init", b"#!/bin/sh\n", 0o755)
    data = archive.bytes()
    assert len(data) % 4 == 0
    listing = subprocess.run(["cpio", "-itv"], input=data, capture_output=True, check=True).stdout.decode()
    lines = {line.split()[-1] if "->" not in line else line.split()[-3]: line for line in listing.splitlines()}
    assert set(lines) == {"bin", "bin/busybox", "bin/sh", "dev/console", "init"}
    assert lines["bin/busybox"].startswith("-rwxr-xr-x") and " root " in lines["bin/busybox"]
    assert lines["dev/console"].startswith("crw-------") and "5," in lines["dev/console"]
    assert lines["bin/sh"].startswith("lrwxrwxrwx") and lines["bin/sh"].endswith("-> busybox")
    subprocess.run(["cpio", "-id", "--quiet", "--no-absolute-filenames", "--nonmatching", "dev/*"], input=data,
                   cwd=tmp_path, check=True)
    assert (tmp_path / "bin/busybox").read_bytes() == b"\x7fELF" + b"x" * 1001
    assert (tmp_path / "init").read_text() == "#!/bin/sh\n"


def test_mbr_sector_holds_boot_code_entries_and_signature() -> None:
    sector = mbr(b"\xfa" * 440, [Partition(2048, 65536, 0x0E, bootable=True), Partition(67584, 194560, 0x83)])
    assert len(sector) == 512 and sector[:440] == b"\xfa" * 440 and sector[510:] == b"\x55\xaa"
    entries = [struct.unpack("<B3sB3sII", sector[446 + 16 * i:462 + 16 * i]) for i in range(4)]
    assert [(e[0], e[2], e[4], e[5]) for e in entries] == [
        (0x80, 0x0E, 2048, 65536), (0, 0x83, 67584, 194560), (0, 0, 0, 0), (0, 0, 0, 0)]
    with pytest.raises(AssertionError):
        mbr(b"\0" * 441, [])

"""The two binary formats the builder writes itself: a newc cpio archive (the initramfs, with device
nodes and root ownership without privileges) and an MBR partition table."""

from __future__ import annotations

import stat
import struct
from dataclasses import dataclass
from pathlib import Path


class Cpio:
    """A newc ("070701") archive, every entry owned by root."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._ino += 1
        self._parts.append(header + encoded + b"\0" * (-(len(header) + len(encoded)) % 4))
        self._parts.append(data + b"\0" * (-len(data) % 4))

    def dir(self, name: str, perm: int = 0o755) -> None:
        self._entry(name, stat.S_IFDIR | perm)

    def file(self, name: str, data: bytes, perm: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name: str, major: int, minor: int, perm: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def tree(self, prefix: str, src: Path) -> None:
        """Add a host directory's files (regular files and directories) under prefix."""
        for path in sorted(src.rglob("*")):
            name = f"{prefix}/{path.relative_to(src)}"
            if path.is_dir():
                self.dir(name)
            else:
                self.file(name, path.read_bytes(), path.stat().st_mode & 0o777)

    def bytes(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return b"".join(self._parts)


@dataclass(frozen=True)
class Partition:
    start: int       # in 512-byte sectors
    sectors: int
    type_id: int     # 0x0e FAT16 (LBA), 0x83 Linux
    bootable: bool = False


def mbr(boot_code: bytes, partitions: list[Partition]) -> bytes:
    """Sector 0: boot code (up to 440 bytes, e.g. syslinux's mbr.bin), a disk id, 4 entries, 55AA."""
    assert len(boot_code) <= 440 and len(partitions) <= 4
    table = b""
    for p in partitions:
        # CHS fields are the "use LBA" sentinel 0xFEFFFF; every BIOS and kernel since 1998 reads LBA.
        table += struct.pack("<B3sB3sII", 0x80 if p.bootable else 0, b"\xfe\xff\xff", p.type_id,
                             b"\xfe\xff\xff", p.start, p.sectors)
    table += b"\0" * (64 - len(table))
    return boot_code.ljust(440, b"\0") + struct.pack("<IH", 0x50534B54, 0) + table + b"\x55\xaa"

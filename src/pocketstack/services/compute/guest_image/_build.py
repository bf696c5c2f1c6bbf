"""Build the cirros-like guest image from Debian packages, without mounting anything.

Layout of the raw disk (then converted to qcow2): syslinux's mbr.bin + an MBR table; partition 1, FAT16,
bootable, made with mkfs.vfat -C, holding syslinux (installed by `syslinux --install` on the file) with
the kernel and initramfs (copied in with mcopy); partition 2, ext4 labelled cirros-rootfs, made with
`mke2fs -d` from a staged tree, ownership fixed with debugfs so an unprivileged build works too."""

from __future__ import annotations

import gzip
import hashlib
import logging
import lzma
import os
import re
import shutil
import struct
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from pocketstack.services.compute.guest_image import _debs
from pocketstack.services.compute.guest_image._formats import Cpio, Partition, mbr

LOG = logging.getLogger(__name__)

BUILDER_VERSION = "1"
DISK_MIB = 128             # virtual size; the root partition grows to the disk at boot
BOOT_MIB = 32              # the FAT partition: kernel (~14 MB) + initramfs
ROOT_LABEL = "cirros-rootfs"
USER, PASSWORD, UID = "cirros", "gocubsgo", 1000
SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
KERNEL_CMDLINE = "console=tty0 console=ttyS0,115200n8"

# Loaded by the initramfs (the cloud kernel has these as modules; their dependencies are added). The
# cloud kernel has no AHCI: a config drive must be an IDE CD-ROM (-machine pc) or a virtio disk.
MODULES = ("virtio_pci", "virtio_blk", "virtio_net", "virtio_scsi", "virtio_rng", "virtio_balloon",
           "sd_mod", "sr_mod", "ata_piix", "ata_generic", "isofs", "vfat", "nls_cp437",
           "nls_ascii", "nls_utf8", "nls_iso8859_1", "button", "evdev",
           "8021q")  # loaded, so Tempest's VLAN tests see it in lsmod

# (path in the unpacked debs, path in the guest, mode or None to keep)
BINARIES = (
    ("usr/sbin/dropbear", "usr/sbin/dropbear", None),
    ("usr/bin/dropbearkey", "usr/bin/dropbearkey", None),
    ("usr/bin/sudo", "usr/bin/sudo", 0o4755),
    ("usr/libexec/sudo/sudoers.so", "usr/libexec/sudo/sudoers.so", 0o644),
    ("bin/lsblk", "bin/lsblk", None),
    ("sbin/blkid", "sbin/blkid", None),
    ("sbin/mke2fs", "sbin/mke2fs", None),
    ("sbin/resize2fs", "sbin/resize2fs", None),
    ("sbin/e2fsck", "sbin/e2fsck", None),
    ("sbin/tune2fs", "sbin/tune2fs", None),
    ("sbin/mkfs", "sbin/mkfs", None),              # Tempest's make_fs: `sudo mkfs -t vfat /dev/vdb`
    ("sbin/mkfs.fat", "sbin/mkfs.fat", None),
    ("lib/x86_64-linux-gnu/security/pam_permit.so", "lib/x86_64-linux-gnu/security/pam_permit.so", 0o644),
)
LINKS = {"sbin/mkfs.ext4": "mke2fs", "sbin/mkfs.ext3": "mke2fs", "sbin/mkfs.ext2": "mke2fs",
         "sbin/fsck.ext4": "e2fsck", "sbin/e2label": "tune2fs",
         "usr/sbin/mke2fs": "../../sbin/mke2fs",  # Tempest runs `sudo /usr/sbin/mke2fs -t ext4 /dev/vdb`
         "bin/ip": "busybox",                     # and `sudo /bin/ip ...`
         "sbin/mkfs.vfat": "mkfs.fat", "sbin/mkfs.msdos": "mkfs.fat", "sbin/mkdosfs": "mkfs.fat"}
# busybox applets the guest gets from Debian's real tools instead
# (Debian's static busybox runs its own applets before $PATH in ash, so `ping` is always busybox's: it
# gets cap_net_raw as a file capability, which lets user cirros ping as in cirros.)
NOT_BUSYBOX = {"mke2fs", "mkfs.ext2", "su", "mkdosfs"}
# security.capability of /bin/busybox: vfs_cap_data revision 2, effective, permitted CAP_NET_RAW (13)
BUSYBOX_CAPS = struct.pack("<5I", 0x02000001, 1 << 13, 0, 0, 0)

FILES = {  # package file -> (guest path, mode)
    "inittab": ("etc/inittab", 0o644),
    "rcS": ("etc/init.d/rcS", 0o755),
    "rcK": ("etc/init.d/rcK", 0o755),
    "udhcpc.script": ("usr/share/udhcpc/default.script", 0o755),
    "cirros-metadata": ("usr/bin/cirros-metadata", 0o755),
    "cirros-userdata": ("usr/bin/cirros-userdata", 0o755),
    "acpi-power": ("etc/acpi/PWRF/00000080", 0o755),
    "curl": ("usr/bin/curl", 0o755),
    "uevent-block": ("usr/sbin/uevent-block", 0o755),
    "profile": ("etc/profile", 0o644),
    "issue": ("etc/issue", 0o644),
}


def _files() -> resources.abc.Traversable:
    return resources.files(__package__) / "files"


def source_digest() -> str:
    """A hash of the builder itself (its modules and guest files), part of the cache key."""
    h = hashlib.sha256(BUILDER_VERSION.encode())
    pkg = resources.files(__package__)
    for entry in sorted([*pkg.iterdir(), *_files().iterdir()], key=lambda e: e.name):
        if entry.is_file() and not entry.name.endswith(".pyc"):
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()


def _run(*cmd: str | Path, **kw) -> str:
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if res.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({res.returncode}): {res.stderr.strip()}")
    return res.stdout


# ---- kernel and initramfs -----------------------------------------------------------------------------

def _module_bytes(ko: Path) -> bytes:
    """A module file, uncompressed (busybox insmod loads plain .ko; newer Debian kernels ship .ko.xz)."""
    return lzma.decompress(ko.read_bytes()) if ko.name.endswith(".xz") else ko.read_bytes()


def _module_name(ko: Path) -> str:
    return ko.name.split(".ko")[0].replace("-", "_")


def _modinfo_depends(ko: Path) -> list[str]:
    found = re.search(rb"(?:^|\0)depends=([^\0]*)", _module_bytes(ko))
    return [d for d in found.group(1).decode().split(",") if d] if found else []


def _module_order(moddir: Path, wanted: tuple[str, ...]) -> list[Path]:
    """The wanted modules and their dependencies, dependencies first (missing names are built in)."""
    by_name = {_module_name(p): p for p in moddir.rglob("*.ko*") if p.name.endswith((".ko", ".ko.xz"))}
    order: list[Path] = []

    def visit(name: str) -> None:
        path = by_name.get(name.replace("-", "_"))
        if path is None or path in order:
            return
        for dep in _modinfo_depends(path):
            visit(dep)
        order.append(path)

    for name in wanted:
        visit(name)
    return order


def _initramfs(debroot: Path, kver: str) -> bytes:
    moddir = debroot / "lib/modules" / kver
    cpio = Cpio()
    for d in ("bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "newroot"):
        cpio.dir(d)
    cpio.chardev("dev/console", 5, 1)
    cpio.chardev("dev/null", 1, 3, 0o666)
    cpio.file("bin/busybox", (debroot / "bin/busybox").read_bytes(), 0o755)
    cpio.symlink("bin/sh", "busybox")
    cpio.file("init", (_files() / "init").read_bytes(), 0o755)
    order = _module_order(moddir, MODULES)
    for ko in order:
        cpio.file(f"lib/modules/{_module_name(ko)}.ko", _module_bytes(ko))
    cpio.file("etc/modules.order", "".join(f"{_module_name(ko)}.ko\n" for ko in order).encode())
    return gzip.compress(cpio.bytes(), compresslevel=9, mtime=0)


# ---- the root file system -----------------------------------------------------------------------------

def _elf_deps(binary: Path, libpath: list[Path]) -> list[Path]:
    env = {**os.environ, "LD_LIBRARY_PATH": ":".join(map(str, libpath))}
    out = _run("ldd", binary, env=env)
    if "not found" in out:
        raise RuntimeError(f"ldd {binary}: unresolved libraries:\n{out}")
    deps = re.findall(r"=> (/\S+)", out) + re.findall(r"^\s+(/\S+ld-linux\S*)", out, re.M)
    return [Path(d) for d in deps]


def _copy_lib(lib: Path, debroot: Path, rootfs: Path) -> Path:
    try:
        guest = lib.relative_to(debroot)
    except ValueError:
        guest = Path(os.path.normpath(lib)).relative_to("/")
        if guest.parts[0] == "usr" and guest.parts[1] == "lib" and not (debroot / guest).exists():
            guest = Path("lib", *guest.parts[2:])  # bookworm's merged /usr: keep libs in /lib
    dest = rootfs / guest
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib, dest)  # dereferenced: the soname path holds the library
        dest.chmod(0o755)
    return dest


def _busybox_links(debroot: Path, rootfs: Path) -> None:
    bb = rootfs / "bin/busybox"
    shutil.copyfile(debroot / "bin/busybox", bb)
    bb.chmod(0o755)
    for applet in _run(bb, "--list-full").split():
        dest = rootfs / applet
        if dest.name in NOT_BUSYBOX or dest.name == "busybox" or dest.exists() or dest.is_symlink():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.symlink_to(os.path.relpath(bb, dest.parent))


def _etc(rootfs: Path, debroot: Path) -> None:
    etc = rootfs / "etc"
    pw_hash = _run(debroot / "bin/busybox", "mkpasswd", "-m", "sha512", PASSWORD).strip()
    assert pw_hash.startswith("$6$"), pw_hash
    text = {
        "passwd": f"root:x:0:0:root:/root:/bin/sh\n{USER}:x:{UID}:{UID}:{USER}:/home/{USER}:/bin/sh\n",
        "shadow": f"root:*:19000:0:99999:7:::\n{USER}:{pw_hash}:19000:0:99999:7:::\n",
        "group": f"root:x:0:\ntty:x:5:\nadm:x:4:{USER}\nsudo:x:27:{USER}\n{USER}:x:{UID}:\n",
        "shells": "/bin/sh\n/bin/ash\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n",
        "hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
        "hostname": "cirros\n",
        "fstab": f"LABEL={ROOT_LABEL} / ext4 rw 0 1\n",
        "resolv.conf": "",
        "sudoers": f"Defaults !fqdn, !lecture, secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                   f"/sbin:/bin\"\nroot ALL=(ALL:ALL) ALL\n{USER} ALL=(ALL:ALL) NOPASSWD: ALL\n",
        "pam.d/sudo": "".join(f"{t} sufficient pam_permit.so\n" for t in ("auth", "account", "password",
                                                                          "session")),
        "securetty": "ttyS0\ntty1\nconsole\n",
    }
    for name, content in text.items():
        path = etc / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (etc / "shadow").chmod(0o640)
    (etc / "sudoers").chmod(0o440)
    shutil.copyfile(debroot / "etc/mke2fs.conf", etc / "mke2fs.conf")
    for name, (guest, mode) in FILES.items():
        dest = rootfs / guest
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((_files() / name).read_bytes())
        dest.chmod(mode)


def _stage_rootfs(debroot: Path, rootfs: Path) -> None:
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "lib", "lib64", "etc/dropbear", "dev", "proc", "sys",
              "run", "tmp", "var/tmp", "var/log", "var/lib/cloud", "root", "mnt", "media", f"home/{USER}/.ssh"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    (rootfs / "tmp").chmod(0o1777)
    (rootfs / "var/tmp").chmod(0o1777)
    (rootfs / "root").chmod(0o700)
    (rootfs / f"home/{USER}/.ssh").chmod(0o700)
    (rootfs / "var/run").symlink_to("../run")
    _busybox_links(debroot, rootfs)
    libpath = [debroot / "usr/lib/x86_64-linux-gnu", debroot / "lib/x86_64-linux-gnu",
               debroot / "usr/libexec/sudo"]
    for src, dst, mode in BINARIES:
        dest = rootfs / dst
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(debroot / src, dest)
        dest.chmod(mode if mode is not None else 0o755)
        for lib in _elf_deps(debroot / src, libpath):
            _copy_lib(lib, debroot, rootfs)
    for link, target in LINKS.items():
        (rootfs / link).symlink_to(target)
    _etc(rootfs, debroot)


def _owner_script(rootfs: Path) -> str:
    """debugfs commands giving every inode root ownership, cirros's home to cirros."""
    lines = []
    for path in [rootfs, *sorted(rootfs.rglob("*"))]:
        rel = "/" + str(path.relative_to(rootfs)) if path != rootfs else "/"
        uid = gid = UID if rel.startswith(f"/home/{USER}") else 0
        if rel == "/etc/shadow":
            gid = 0
        lines += [f'sif "{rel}" uid {uid}', f'sif "{rel}" gid {gid}']
    return "\n".join(lines) + "\n"


# ---- the disk -------------------------------------------------------------------------------------------

def _boot_partition(path: Path, kernel: Path, initrd: Path) -> None:
    _run("mkfs.vfat", "-F", "16", "-n", "BOOT", "-C", path, str(BOOT_MIB * 1024))
    _run("syslinux", "--install", path)
    cfg = path.with_name("syslinux.cfg")
    cfg.write_text(f"DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n"
                   f"  APPEND initrd=initrd.img {KERNEL_CMDLINE}\n")
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    for src, name in ((kernel, "vmlinuz"), (initrd, "initrd.img"), (cfg, "syslinux.cfg")):
        _run("mcopy", "-o", "-i", path, src, f"::{name}", env=env)


def _root_partition(path: Path, rootfs: Path, mib: int, workdir: Path) -> None:
    _run("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-L", ROOT_LABEL, "-E", "root_owner=0:0",
         "-d", rootfs, path, f"{mib}M", env={**os.environ, "E2FSPROGS_FAKE_TIME": "0"})
    caps = workdir / "busybox.caps"
    caps.write_bytes(BUSYBOX_CAPS)
    script = workdir / "owners.debugfs"
    script.write_text(_owner_script(rootfs) + f"ea_set -f {caps} /bin/busybox security.capability\n")
    _run("debugfs", "-w", "-f", script, path)


def build(output: Path) -> Path:
    """Build the image into output (a qcow2 file, written to a temp name and renamed) and return it."""
    output = Path(output)
    versions = _debs.resolve()
    LOG.info("building the guest image from %s", versions)
    with tempfile.TemporaryDirectory(prefix="pocketstack-guest-image-") as tmp:
        work = Path(tmp)
        debroot = _debs.fetch(versions, work)
        kernels = sorted((debroot / "boot").glob("vmlinuz-*"))
        assert len(kernels) == 1, kernels
        kver = kernels[0].name.removeprefix("vmlinuz-")
        initrd = work / "initrd.img"
        initrd.write_bytes(_initramfs(debroot, kver))
        rootfs = work / "rootfs"
        _stage_rootfs(debroot, rootfs)

        sector = 512
        boot_start, boot_sectors = 2048, BOOT_MIB * 2048
        root_start = boot_start + boot_sectors
        root_sectors = DISK_MIB * 2048 - root_start
        boot_img, root_img, raw = work / "boot.img", work / "root.img", work / "disk.raw"
        _boot_partition(boot_img, kernels[0], initrd)
        _root_partition(root_img, rootfs, root_sectors // 2048, work)
        table = mbr(SYSLINUX_MBR.read_bytes()[:440], [
            Partition(boot_start, boot_sectors, 0x0E, bootable=True),
            Partition(root_start, root_sectors, 0x83)])
        with raw.open("wb") as disk:
            disk.truncate(DISK_MIB * 1024 * 1024)
            disk.write(table)
            for start, part in ((boot_start, boot_img), (root_start, root_img)):
                disk.seek(start * sector)
                with part.open("rb") as src:
                    shutil.copyfileobj(src, disk, 1 << 20)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
        try:
            _run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", raw, partial)
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    return output

"""A guest's disks: Glance images cached byte-exact as base files (<root>/_base/<image id>, checksum
verified, the format checked with qemu-img, never probed), qcow2 overlays on them resized to the flavor's
root disk, ephemeral and swap disks from the flavor, Cinder volumes as their backing files (connection
info `local`: the file itself, attached raw), and snapshots converted from the overlay and uploaded."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from pocketstack.core import hosts, internal_client, service_auth
from pocketstack.core.internal_client import Auth
from pocketstack.services.compute.drivers.qemu.machine import info

GIB = 1024 ** 3
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
VOLUME_HEADERS = {"OpenStack-API-Version": "volume 3.44"}
CONNECTOR = {"platform": "x86_64", "os_type": "linux", "ip": "127.0.0.1", "host": "pocketstack",
             "multipath": False, "do_local_attach": False}


class DiskError(Exception):
    """An image or volume the guest needs could not be made ready."""


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def run(*cmd: str, timeout: float = 3600) -> str:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise DiskError(f"{cmd[0]} {cmd[1] if len(cmd) > 1 else ''} failed: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def token() -> str:
    """Compute's service user (nova's [glance]/[cinder] service credentials)."""
    return service_auth.token("compute")


# --- images ------------------------------------------------------------------------------
def base_image(root: Path, image_id: str) -> tuple[Path, str, int]:
    """The cached base of an image: (path, format, virtual size in bytes). Fetched once, byte-exact from
    the image API, its checksum verified; raw and qcow2 are kept as they are, other formats converted."""
    base = root / "_base" / image_id
    with _lock("image:" + image_id):
        if not base.exists():
            _fetch(base, image_id)
        fmt = (base.parent / f"{image_id}.format").read_text().strip()
    return base, fmt, int(info(base, fmt)["virtual-size"])


def _fetch(base: Path, image_id: str) -> None:
    r = internal_client.call("GET", f"/image/v2/images/{image_id}", token=token())
    if r.status_code != 200:
        raise DiskError(f"Image {image_id} could not be found.")
    image = r.json()
    if image.get("status") != "active":
        raise DiskError(f"Image {image_id} is not active (status {image.get('status')}).")
    r = internal_client.call("GET", f"/image/v2/images/{image_id}/file", token=token())
    if r.status_code != 200:
        raise DiskError(f"Image {image_id} has no data ({r.status_code}).")
    data = r.content
    algo, want = image.get("os_hash_algo"), image.get("os_hash_value")
    if want and algo in hashlib.algorithms_available and hashlib.new(algo, data).hexdigest() != want:
        raise DiskError(f"Image {image_id}: {algo} of the downloaded bytes does not match os_hash_value.")
    if image.get("checksum") and hashlib.md5(data, usedforsecurity=False).hexdigest() != image["checksum"]:
        raise DiskError(f"Image {image_id}: md5 of the downloaded bytes does not match its checksum.")
    base.parent.mkdir(parents=True, exist_ok=True)
    part = base.with_name(base.name + ".part")
    part.write_bytes(data)
    fmt = image.get("disk_format") or "raw"
    if fmt == "qcow2":
        details = info(part, "qcow2")
        if details.get("backing-filename") or details.get("format") != "qcow2":
            part.unlink()
            raise DiskError(f"Image {image_id}: a qcow2 image with a backing file is refused.")
    elif fmt not in ("raw", "iso"):
        converted = base.with_name(base.name + ".conv")
        run("qemu-img", "convert", "-f", fmt, "-O", "qcow2", str(part), str(converted))
        part.unlink()
        converted.rename(part)
        fmt = "qcow2"
    if fmt == "iso":
        fmt = "raw"
    (base.parent / f"{image_id}.format").write_text(fmt)
    part.rename(base)


def overlay(root: Path, image_id: str, target: Path, root_gb: int) -> None:
    """A qcow2 overlay on the image's base, `root_gb` GiB (0: the image's own virtual size)."""
    base, fmt, size = base_image(root, image_id)
    want = root_gb * GIB if root_gb else size
    if want < size:
        raise DiskError(f"Flavor's disk is too small for requested image. Flavor disk is {want} bytes, "
                        f"image is {size} bytes.")
    target.unlink(missing_ok=True)
    run("qemu-img", "create", "-q", "-f", "qcow2", "-F", fmt, "-b", str(base), str(target), str(want))


def grow(path: Path, root_gb: int) -> None:
    if root_gb and int(info(path, "qcow2")["virtual-size"]) < root_gb * GIB:
        run("qemu-img", "resize", "-q", "-f", "qcow2", str(path), f"{root_gb}G")


def ephemeral(path: Path, size_gb: int) -> None:
    """The flavor's ephemeral disk: a sparse raw file with an ext4 file system labelled ephemeral0 (nova's
    default for Linux guests)."""
    if path.exists():
        return
    with open(path, "wb") as f:
        f.truncate(size_gb * GIB)
    if shutil.which("mkfs.ext4"):
        run("mkfs.ext4", "-q", "-F", "-L", "ephemeral0", "-E", "lazy_itable_init=1,lazy_journal_init=1",
            str(path))


def swap(path: Path, size_mb: int) -> None:
    if path.exists():
        return
    with open(path, "wb") as f:
        f.truncate(size_mb * 1024 * 1024)
    if shutil.which("mkswap"):
        run("mkswap", "-L", "swap0", str(path))


# --- volumes -----------------------------------------------------------------------------
def volume_path(project_id: str, volume_id: str) -> Path | str:
    """Where QEMU finds the volume, from Cinder's connection info: the backing file (driver_volume_type
    `local`) or, for an RBD image (`rbd`), QEMU's own rbd URL `rbd:pool/image:id=USER:conf=FILE`."""
    r = internal_client.call("POST", f"/volume/v3/{project_id}/volumes/{volume_id}/action", token=token(),
                             headers=VOLUME_HEADERS,
                             json={"os-initialize_connection": {"connector": {**CONNECTOR, "host": hosts.NAME}}})
    if r.status_code != 200:
        raise DiskError(f"Volume {volume_id}: no connection info ({r.status_code}: {r.text[:200]})")
    return source_of(volume_id, r.json()["connection_info"])


def source_of(volume_id: str, connection_info: dict[str, Any]) -> Path | str:
    kind, data = connection_info.get("driver_volume_type"), connection_info["data"]
    if kind == "local":
        return Path(data["device_path"])
    if kind == "rbd":
        url = f"rbd:{data['name']}"
        if data.get("auth_username"):
            url += f":id={data['auth_username']}"
        return url + (f":conf={data['conf']}" if data.get("conf") else "")
    raise DiskError(f"Volume {volume_id}: driver_volume_type {kind} is neither local nor rbd")


def attached_source(data: dict[str, Any]) -> Path | str:
    """The same for the connection info of a new-style attachment (Cinder's attachment `connection_info`,
    the driver's data: a `device_path`, or an RBD image's `name`)."""
    kind = "rbd" if "name" in data and "device_path" not in data else "local"
    return source_of(str(data.get("volume_id")), {"driver_volume_type": kind, "data": data})


def copy_raw(source: Path | str, target: Path | str) -> None:
    """A volume's bytes onto another (raw to raw, either a file or an rbd: URL), zeros left sparse."""
    run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", str(source), str(target))


def rbd_blockdev(url: str) -> dict[str, Any]:
    """QMP blockdev-add options of QEMU's rbd driver for an `rbd:pool/image[:key=value...]` URL."""
    name, *pairs = url.removeprefix("rbd:").split(":")
    pool, image = name.split("/", 1)
    options: dict[str, Any] = {"driver": "rbd", "pool": pool, "image": image}
    for key, value in (pair.split("=", 1) for pair in pairs):
        options["user" if key == "id" else key] = value
    return options


# --- snapshots ---------------------------------------------------------------------------
def upload_snapshot(source: Path | str, source_fmt: str, image_id: str, user_token: Auth | None,
                    workdir: Path | None = None) -> None:
    """Convert the disk (a file or an rbd: URL) to a standalone qcow2 (-U: the paused or stopped guest's
    QEMU may hold the lock) and upload it into the queued image, whose disk_format becomes qcow2 first
    (as nova's libvirt driver sets the snapshot's format to what it uploads)."""
    tmp = (workdir or Path(source).parent) / f"snapshot-{image_id}.qcow2"
    try:
        run("qemu-img", "convert", "-U", "-f", source_fmt, "-O", "qcow2", "-c", str(source), str(tmp))
        t = user_token or token()
        r = internal_client.call("PATCH", f"/image/v2/images/{image_id}", token=t,
                                 headers={"Content-Type": "application/openstack-images-v2.1-json-patch"},
                                 json=[{"op": "replace", "path": "/disk_format", "value": "qcow2"}])
        if r.status_code != 200:
            raise DiskError(f"snapshot image {image_id}: could not set disk_format ({r.status_code}: {r.text[:200]})")
        r = internal_client.call("PUT", f"/image/v2/images/{image_id}/file", token=t, content=tmp.read_bytes(),
                                 headers={"Content-Type": "application/octet-stream"})
        if r.status_code >= 400:
            raise DiskError(f"snapshot upload to {image_id} failed ({r.status_code}: {r.text[:200]})")
    finally:
        tmp.unlink(missing_ok=True)


def image_properties(image_id: str) -> dict[str, Any]:
    r = internal_client.call("GET", f"/image/v2/images/{image_id}", token=token())
    return dict(r.json()) if r.status_code == 200 else {}

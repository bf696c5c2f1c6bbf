"""Hot-plug over QMP: a volume's file as a virtio-blk disk (`blockdev-add` + `device_add`, serial = the
volume id as nova sets it, so /dev/disk/by-id/virtio-<id[:20]> names it), a port as a virtio-net NIC on a
tap in the integration namespace (`netdev_add` + `device_add`), and unplugging with `device_del`, which
waits for the guest to let go (DEVICE_DELETED), as nova's libvirt driver waits for its detach event. A
volume swap is a `blockdev-mirror` onto the new volume and the pivot (`job-complete`), as nova's libvirt
driver does it with a block copy: the guest keeps its device, which then reads and writes the new volume."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pocketstack.services.compute.drivers.qemu import disks, qmp
from pocketstack.services.compute.drivers.qemu.machine import DEV, Guest, tap


def volume_node(volume_id: str) -> str:
    return "vol-" + volume_id[:20]


def _add_node(q: qmp.Qmp, node: str, path: Path | str) -> None:
    source = disks.rbd_blockdev(path) if isinstance(path, str) and path.startswith("rbd:") else \
        {"driver": "file", "filename": str(path)}
    q.execute("blockdev-add", **{"node-name": node, "driver": "raw", "discard": "unmap", "file": source})


def plug_volume(g: Guest, volume_id: str, path: Path | str, shareable: bool = False) -> None:
    """`shareable`: a multiattach volume, which other guests write too (share-rw: QEMU then takes no
    exclusive write lock on the raw file, as libvirt's <shareable/> does)."""
    node = volume_node(volume_id)
    with qmp.Qmp(g.qmp_sock) as q:
        _add_node(q, node, path)
        try:
            q.execute("device_add", driver="virtio-blk-pci", drive=node, id="dev-" + node, serial=volume_id[:20],
                      **({"share-rw": True} if shareable else {}))
        except qmp.QmpError:
            q.execute("blockdev-del", **{"node-name": node})
            raise


def _drop_node(q: qmp.Qmp, node: str) -> None:
    try:
        q.execute("blockdev-del", **{"node-name": node})
    except qmp.QmpError:
        pass       # a disk the command line attached (-drive) goes with its device


def _block(q: qmp.Qmp, node: str) -> dict[str, Any] | None:
    """query-block's entry of the disk that shows volume node `node` to the guest: the one whose device is
    "dev-<node>" (a -drive one's backend is named `node`), or, after a swap, the device that now reads the
    node (the old volume's device: the guest keeps its device across the pivot)."""
    for block in q.execute("query-block"):
        qdev = (block.get("qdev") or "").removeprefix("/machine/peripheral/").split("/", 1)[0]
        if node in ((block.get("inserted") or {}).get("node-name"), block.get("device")) or qdev == "dev-" + node:
            return {**block, "qdev": qdev}
    return None


def unplug_volume(g: Guest, volume_id: str, timeout: float) -> None:
    node = volume_node(volume_id)
    with qmp.Qmp(g.qmp_sock) as q:
        block = _block(q, node) or {}
    inserted = (block.get("inserted") or {}).get("node-name") or ""
    unplug(g, block.get("qdev") or "dev-" + node, timeout,
           lambda q: _drop_node(q, inserted if inserted.startswith("vol-") else node))


def mirror_volume(g: Guest, old_id: str, new_id: str, new_path: Path | str, timeout: float) -> None:
    """Copy the guest's disk of volume `old_id` onto `new_path` while the guest runs and writes, then pivot
    its device onto the copy (blockdev-mirror, BLOCK_JOB_READY, job-complete, BLOCK_JOB_COMPLETED). On
    any failure the job is cancelled and the guest stays on the old volume."""
    new, job = volume_node(new_id), "swap-" + new_id[:20]
    with qmp.Qmp(g.qmp_sock) as q:
        if (block := _block(q, volume_node(old_id))) is None or not block.get("inserted"):
            raise RuntimeError(f"volume {old_id} is not a disk of this guest")
        source, old = block.get("device") or block["inserted"]["node-name"], block["inserted"]["node-name"]
        _add_node(q, new, new_path)
        try:
            q.execute("blockdev-mirror", **{"job-id": job, "device": source, "target": new, "sync": "full"})
            ready = q.wait_event("BLOCK_JOB_READY", timeout, device=job)
            if ready is None:
                raise RuntimeError(f"the copy of volume {old_id} was not ready within {timeout}s")
            q.execute("job-complete", id=job)
            done = q.wait_event("BLOCK_JOB_COMPLETED", timeout, device=job)
            if done is None or done["data"].get("error"):
                raise RuntimeError(f"the copy of volume {old_id} failed: {(done or {}).get('data')}")
        except (qmp.QmpError, RuntimeError):
            try:
                q.execute("job-cancel", id=job)
                q.wait_event("BLOCK_JOB_CANCELLED", 10, device=job)
            except qmp.QmpError:
                pass
            _drop_node(q, new)
            raise
        _drop_node(q, old)       # hot-plugged: its node is no longer in the graph; a -drive one went with it


def plug_nic(g: Guest, port: dict[str, Any]) -> None:
    short = port["id"][:DEV]
    with qmp.Qmp(g.qmp_sock) as q:
        q.execute("netdev_add", type="tap", id="net-" + short, ifname=tap(port["id"]), script="no", downscript="no")
        q.execute("device_add", driver="virtio-net-pci", netdev="net-" + short, id="nic-" + short,
                  mac=port["mac_address"])


def unplug_nic(g: Guest, port_id: str, timeout: float) -> None:
    unplug(g, "nic-" + port_id[:DEV], timeout, lambda q: q.execute("netdev_del", id="net-" + port_id[:DEV]))


def unplug(g: Guest, device_id: str, timeout: float, after: Callable[[qmp.Qmp], Any]) -> None:
    """device_del, then wait for DEVICE_DELETED (the guest has to let go of a PCI device)."""
    with qmp.Qmp(g.qmp_sock) as q:
        try:
            q.execute("device_del", id=device_id)
        except qmp.QmpError as err:
            if "not found" in str(err).lower():
                return
            raise
        if q.wait_event("DEVICE_DELETED", timeout, device=device_id) is None:
            raise RuntimeError(f"Device detach failed for {device_id}: the guest did not release it within "
                               f"{timeout}s")
        after(q)

"""Hot-plug over QMP: a volume's file as a virtio-blk disk (`blockdev-add` + `device_add`, serial = the
volume id as nova sets it, so /dev/disk/by-id/virtio-<id[:20]> names it), a port as a virtio-net NIC on a
tap in the integration namespace (`netdev_add` + `device_add`), and unplugging with `device_del`, which
waits for the guest to let go (DEVICE_DELETED), as nova's libvirt driver waits for its detach event."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pocketstack.services.compute.drivers.qemu import disks, qmp
from pocketstack.services.compute.drivers.qemu.machine import DEV, Guest, tap


def volume_node(volume_id: str) -> str:
    return "vol-" + volume_id[:20]


def plug_volume(g: Guest, volume_id: str, path: Path | str, shareable: bool = False) -> None:
    """`shareable`: a multiattach volume, which other guests write too (share-rw: QEMU then takes no
    exclusive write lock on the raw file, as libvirt's <shareable/> does)."""
    node = volume_node(volume_id)
    source = disks.rbd_blockdev(path) if isinstance(path, str) and path.startswith("rbd:") else \
        {"driver": "file", "filename": str(path)}
    with qmp.Qmp(g.qmp_sock) as q:
        q.execute("blockdev-add", **{"node-name": node, "driver": "raw", "discard": "unmap", "file": source})
        try:
            q.execute("device_add", driver="virtio-blk-pci", drive=node, id="dev-" + node, serial=volume_id[:20],
                      **({"share-rw": True} if shareable else {}))
        except qmp.QmpError:
            q.execute("blockdev-del", **{"node-name": node})
            raise


def unplug_volume(g: Guest, volume_id: str, timeout: float) -> None:
    def drop_node(q: qmp.Qmp) -> None:
        try:
            q.execute("blockdev-del", **{"node-name": volume_node(volume_id)})
        except qmp.QmpError:
            pass       # a disk the command line attached (-drive) goes with its device
    unplug(g, "dev-" + volume_node(volume_id), timeout, drop_node)


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

"""The config drive: an ISO 9660 image labelled `config-2` holding what the metadata service serves
(nova/virt/configdrive.py ConfigDriveBuilder, which runs `genisoimage -ldots -allow-lowercase -allow-multidot -l
-J -r -V config-2`). Written in pure Python with pycdlib, with Rock Ridge and Joliet names so the guest sees
`openstack/latest/meta_data.json` and not an 8.3 name."""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pocketstack.services.compute.metadata import instance, tree

LABEL = "config-2"
PUBLISHER = "OpenStack Compute (pocketstack)"


def build(server: dict[str, Any] | str, path: str | Path, *, admin_pass: str | None = None,
          files: Iterable[tuple[str, bytes]] | None = None) -> Path:
    """Write the config drive of `server` (a row of compute's servers table, or its id) to `path` and return it.

    Call it once the server's ports are allocated (in the driver's spawn): network_data.json and the EC2
    addresses come from the network service. `admin_pass` lands in meta_data.json as nova's `admin_pass`;
    `files` are injected files (personality), listed under `files` and stored in openstack/content/; by
    default the ones the server was created or last rebuilt with."""
    server_id = server if isinstance(server, str) else server["id"]
    data = instance.load(server_id)
    if data is None:
        raise LookupError(f"server {server_id} not found")
    extra_md = {"admin_pass": admin_pass} if admin_pass else None
    md = tree.InstanceMetadata(data, files=list(files if files is not None else injected_files(data.server)),
                               extra_md=extra_md)
    return write_iso(md.config_drive_files(), Path(path))


def injected_files(server: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The server's personality, decoded as nova's compute manager does (_decode_files)."""
    out = []
    for file_path, contents in server.get("injected_files") or []:
        try:
            out.append((file_path, base64.b64decode(contents)))
        except (binascii.Error, ValueError):
            out.append((file_path, contents.encode()))       # nova keeps what does not decode as it came
    return out


def write_iso(files: list[tuple[str, bytes]], path: Path) -> Path:
    """An ISO with Rock Ridge 1.09 and Joliet names; written to a temporary name and renamed into place."""
    import pycdlib   # imported here: only drivers that make config drives need it loaded

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=4, vol_ident=LABEL, pub_ident_str=PUBLISHER, rock_ridge="1.09", joliet=3)
    made: set[str] = set()
    for name, content in sorted(files):
        parts = name.split("/")
        for depth in range(1, len(parts)):
            directory = "/".join(parts[:depth])
            if directory not in made:
                iso.add_directory(_iso_name(directory), rr_name=parts[depth - 1], joliet_path="/" + directory)
                made.add(directory)
        iso.add_fp(io.BytesIO(content), len(content), _iso_name(name), rr_name=parts[-1], joliet_path="/" + name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    iso.write(str(partial))
    iso.close()
    os.replace(partial, path)
    return path


def _iso_name(name: str) -> str:
    """The plain ISO 9660 name (level 4 lets it be long); readers use the Rock Ridge or Joliet one."""
    return "/" + "/".join(part.upper().replace("-", "_") for part in name.split("/"))


__all__ = ["LABEL", "build", "write_iso"]

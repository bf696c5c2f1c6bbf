"""The metadata a guest reads, in both formats (nova/api/metadata/base.py InstanceMetadata): the EC2 tree
(/2009-04-04/meta-data/...) and the OpenStack documents (/openstack/<version>/meta_data.json, ...), looked up by
path for the metadata service and listed file by file for the config drive."""

from __future__ import annotations

import base64
import json
import os
import posixpath
from collections.abc import Sequence
from typing import Any

from pocketstack.core.clock import utcnow
from pocketstack.services.compute.metadata import netinfo
from pocketstack.services.compute.metadata.instance import InstanceData

EC2_VERSIONS = ["1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01",
                "2008-09-01", "2009-04-04"]
FOLSOM, GRIZZLY, HAVANA, LIBERTY = "2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15"
NEWTON_ONE, NEWTON_TWO, OCATA, ROCKY = "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27"
VICTORIA, EPOXY = "2020-10-14", "2025-04-04"
OPENSTACK_VERSIONS = [FOLSOM, GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, OCATA, ROCKY, VICTORIA, EPOXY]
# nova's [api]config_drive_skip_versions default: the EC2 versions left off a config drive
CONFIG_DRIVE_SKIP = EC2_VERSIONS[:-1]

MD_JSON, VD_JSON, VD2_JSON, NW_JSON, UD, PASSWORD = (
    "meta_data.json", "vendor_data.json", "vendor_data2.json", "network_data.json", "user_data", "password")
TEXT, JSON = "text/plain", "application/json"


class InvalidPath(Exception):
    """Nova's InvalidMetadataPath: the service answers 404."""


class PasswordPath(Exception):
    """The path is the password document: GET and POST are the caller's business (nova's handle_password)."""


class Options:
    """The operator's side: [api]dhcp_domain (default `novalocal`) and the static vendor data (StaticJSON)."""
    dhcp_domain = "novalocal"
    vendordata: dict[str, Any] = {}


class InstanceMetadata:
    def __init__(self, data: InstanceData, address: str | None = None, files: Sequence[tuple[str, bytes]] = (),
                 extra_md: dict[str, Any] | None = None) -> None:
        self.data, self.server, self.address = data, data.server, address
        raw = self.server.get("user_data")
        self.userdata_raw: bytes | None = base64.b64decode(raw) if raw is not None else None
        self.extra_md = extra_md or {}
        self.content: dict[str, bytes] = {}
        self.files: list[dict[str, str]] = []
        for path, contents in files:          # injected files (personality): config drive only, as in nova
            key = "%04i" % len(self.content)
            self.files.append({"path": path, "content_path": f"/content/{key}"})
            self.content[key] = contents
        self.ip_info = netinfo.ec2_ip_info(data.vifs)

    # --- EC2 -------------------------------------------------------------------------------
    def hostname(self) -> str:
        domain = Options.dhcp_domain
        return f"{self.server['hostname']}.{domain}" if domain else self.server["hostname"]

    def ec2_metadata(self, version: str) -> dict[str, Any]:
        version = EC2_VERSIONS[-1] if version == "latest" else version
        if version not in EC2_VERSIONS:
            raise InvalidPath(version)
        hostname, s = self.hostname(), self.server

        def at_least(since: str) -> bool:
            return EC2_VERSIONS.index(version) >= EC2_VERSIONS.index(since)
        meta: dict[str, Any] = {
            "ami-id": ec2_id("ami", s["image_id"]), "ami-launch-index": s["launch_index"],
            "ami-manifest-path": "FIXME",                      # quirk: nova's literal value
            "instance-id": ec2_id("i", s["id"]), "hostname": hostname,
            "local-ipv4": (self.ip_info["fixed_ips"] or [""])[0] or self.address,
            "reservation-id": s["reservation_id"], "security-groups": list(s["security_groups"] or [])}
        if self.data.keypair:
            # quirk: public-keys/ answers `0=<name>`, and public-keys/0/ lists `openssh-key`
            meta["public-keys"] = {"0": {"_name": "0=" + self.data.keypair["name"],
                                         "openssh-key": self.data.keypair["public_key"]}}
        if at_least("2007-01-19"):
            meta.update({"local-hostname": hostname, "public-hostname": hostname,
                         "public-ipv4": (self.ip_info["floating_ips"] or [""])[0]})
        if at_least("2007-08-29"):
            meta["instance-type"] = (s["flavor"] or {}).get("original_name") or s["flavor_id"]
        if at_least("2007-12-15"):
            meta["block-device-mapping"] = self.block_device_mapping()
        if at_least("2008-02-01"):
            meta["placement"] = {"availability-zone": s["availability_zone"]}
        if at_least("2008-09-01"):
            meta["instance-action"] = "none"
        out: dict[str, Any] = {"meta-data": meta}
        if self.userdata_raw is not None:
            out["user-data"] = self.userdata_raw
        return out

    def root_device_name(self) -> str:
        boot = [v["device"] for v in self.data.volumes if v["boot_index"] == 0]
        return boot[0] if boot else "/dev/vda"

    def block_device_mapping(self) -> dict[str, str]:
        """nova/block_device.py instance_block_mapping: ami, root, and ebsN for each volume by device name."""
        root = self.root_device_name()
        out = {"ami": root.removeprefix("/dev/"), "root": root}
        for n, device in enumerate(sorted(v["device"] for v in self.data.volumes)):
            out[f"ebs{n}"] = device
        return out

    # --- OpenStack -------------------------------------------------------------------------
    def meta_data(self, version: str) -> dict[str, Any]:
        s, at_least = self.server, _os_at_least(version)
        out: dict[str, Any] = {"uuid": s["id"]}
        if self.data.meta:
            out["meta"] = self.data.meta
        if self.files:
            out["files"] = self.files
        out.update(self.extra_md)
        if self.data.keypair:
            key = self.data.keypair
            out["public_keys"] = {key["name"]: key["public_key"]}
            out["keys"] = [{"name": key["name"], "type": key["type"], "data": key["public_key"]}]
        out.update({"hostname": self.hostname(), "name": s["name"], "launch_index": s["launch_index"],
                    "availability_zone": s["availability_zone"]})
        if at_least(GRIZZLY):
            out["random_seed"] = base64.b64encode(os.urandom(512)).decode()
        if at_least(LIBERTY):
            out["project_id"] = s["project_id"]
        if at_least(NEWTON_ONE):
            out["devices"] = self.devices(version)
        if at_least(VICTORIA):
            out["dedicated_cpus"] = []          # no pinned CPUs on this host (nova: the NUMA cells' pcpusets)
        return out

    def devices(self, version: str) -> list[dict[str, Any]]:
        """Tagged NICs and disks (nova's device metadata holds only tagged devices); the bus address is
        `none`: the API does not know where the hypervisor put them."""
        out: list[dict[str, Any]] = []
        for vif in self.data.vifs:
            if vif.tag:
                nic: dict[str, Any] = {"type": "nic", "mac": vif.mac}
                if _os_at_least(version)(ROCKY):
                    nic = {"vf_trusted": False, **nic}
                out.append({**nic, "bus": "none", "address": "none", "tags": [vif.tag]})
        for volume in self.data.volumes:
            if volume["tag"]:
                out.append({"type": "disk", "serial": volume["volume_id"], "path": volume["device"],
                            "bus": "none", "address": "none", "tags": [volume["tag"]]})
        return out

    def version_listing(self, version: str) -> list[str]:
        at_least = _os_at_least(version)
        out = [MD_JSON] + ([UD] if self.userdata_raw is not None else [])
        for since, name in ((GRIZZLY, PASSWORD), (HAVANA, VD_JSON), (LIBERTY, NW_JSON), (NEWTON_TWO, VD2_JSON)):
            if at_least(since):
                out.append(name)
        return out

    def openstack_item(self, tokens: list[str]) -> tuple[Any, str]:
        if tokens[0] == "content":
            if len(tokens) != 2 or tokens[1] not in self.content:
                raise InvalidPath("/".join(tokens))
            return self.content[tokens[1]], TEXT
        version = OPENSTACK_VERSIONS[-1] if tokens[0] == "latest" else tokens[0]
        if version not in OPENSTACK_VERSIONS:
            raise InvalidPath(tokens[0])
        name, at_least = "/".join(tokens[1:]), _os_at_least(version)
        if not name:
            return self.version_listing(version), TEXT
        if name == MD_JSON:
            return _json(self.meta_data(version)), JSON
        if name == UD and self.userdata_raw is not None:
            return self.userdata_raw, TEXT
        if name == NW_JSON and at_least(LIBERTY):
            return _json(netinfo.network_data(self.data.vifs) or {}), TEXT   # quirk: nova serves it as text/plain
        if name == VD_JSON and at_least(HAVANA):
            return _json(Options.vendordata), JSON
        if name == VD2_JSON and at_least(NEWTON_TWO):
            return _json({"static": Options.vendordata}), JSON
        if name == PASSWORD and at_least(GRIZZLY):
            raise PasswordPath(name)
        raise InvalidPath(name)

    # --- lookup ----------------------------------------------------------------------------
    def lookup(self, path: str) -> tuple[Any, str]:
        """(data, mimetype) for a guest's path; `/foo` is `/ec2/foo`, as in nova."""
        tokens = posixpath.normpath("/" + path.lstrip("/")).split("/")[1:]
        if tokens[0] not in ("ec2", "openstack"):
            tokens = ["ec2"] + ([t for t in tokens if t] or [])
        if len(tokens) == 1:
            if tokens[0] == "openstack":
                today = utcnow().strftime("%Y-%m-%d")
                return [v for v in OPENSTACK_VERSIONS if v <= today] + ["latest"], TEXT   # no future versions
            return EC2_VERSIONS + ["latest"], TEXT
        try:
            if tokens[0] == "openstack":
                return self.openstack_item(tokens[1:])
            return find_path(self.ec2_metadata(tokens[1]), tokens[2:]), TEXT
        except KeyError:
            raise InvalidPath(path) from None

    def is_password(self, path: str) -> bool:
        try:
            self.lookup(path)
        except PasswordPath:
            return True
        except InvalidPath:
            pass
        return False

    def config_drive_files(self) -> list[tuple[str, bytes]]:
        """nova's metadata_for_config_drive: (path, bytes) for every file of the drive."""
        out: list[tuple[str, bytes]] = []
        for version in EC2_VERSIONS + ["latest"]:
            if version in CONFIG_DRIVE_SKIP:
                continue
            data = self.ec2_metadata(version)
            if "user-data" in data:
                out.append((f"ec2/{version}/user-data", data.pop("user-data")))
            data["meta-data"].get("public-keys", {}).get("0", {}).pop("_name", None)
            out.append((f"ec2/{version}/meta-data.json", _json(data["meta-data"])))
        for version in OPENSTACK_VERSIONS + ["latest"]:
            names = [n for n in self.version_listing(version) if n != PASSWORD]
            for name in (MD_JSON, UD, VD_JSON, NW_JSON, VD2_JSON):
                if name in names:
                    out.append((f"openstack/{version}/{name}", as_bytes(self.openstack_item([version, name])[0])))
        out += [(f"openstack/content/{key}", value) for key, value in self.content.items()]
        return out


def _os_at_least(version: str) -> Any:
    index = OPENSTACK_VERSIONS.index(OPENSTACK_VERSIONS[-1] if version == "latest" else version)
    return lambda since: index >= OPENSTACK_VERSIONS.index(since)


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def ec2_id(kind: str, uuid: str) -> str:
    """nova's ec2 ids count rows of its id-mapping tables; ours are the uuid's first 32 bits, stable and
    distinct enough for a guest that only echoes them."""
    hex_digits = uuid.replace("-", "")[:8] or "0"
    return f"{kind}-{int(hex_digits, 16):08x}"


def find_path(data: Any, tokens: list[str]) -> Any:
    for i, token in enumerate(tokens):
        if isinstance(data, dict) and token in data:
            data = data[token]
        else:
            raise KeyError("/".join(tokens[:i]))
    return data


def ec2_md_print(data: Any) -> bytes:
    """nova's rendering of a tree node: a dict lists its keys (`key/` for a subtree, or its `_name`), a list
    its items one a line."""
    if isinstance(data, dict):
        lines = []
        for key in sorted(data):
            if key == "_name":
                continue
            value = data[key]
            lines.append(str(value["_name"]) if isinstance(value, dict) and "_name" in value else
                         key + "/" if isinstance(value, dict) else key)
        return "\n".join(lines).encode()
    if isinstance(data, list):
        return "\n".join(str(x) for x in data).encode()
    return as_bytes(data)


def as_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    return str(data).encode()

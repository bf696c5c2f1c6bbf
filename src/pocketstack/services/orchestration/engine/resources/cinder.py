"""Cinder resource types: OS::Cinder::Volume, VolumeAttachment, VolumeType, EncryptedVolumeType, QoSSpecs,
QoSAssociation and the cinder.* constraints (heat/engine/resources/openstack/cinder/*.py, volume_base.py)."""

from __future__ import annotations

import json
from typing import Any

from pocketstack.services.orchestration.engine.clients import ApiClient, ClientError, Clients, constraint
from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop, Range, ValidationError
from pocketstack.services.orchestration.engine.resource import Attr, Resource, ResourceError, ResourceInError
from pocketstack.services.orchestration.engine.resources.glance import image_id

# --- name resolution and constraints ----------------------------------------------------


def _finder(collection: str, key: str, entity: str) -> Any:
    def find(clients: Clients, name_or_id: str) -> str:
        try:
            return str(clients("volumev3").find(collection, name_or_id, key)["id"])
        except ClientError as exc:
            if exc.status == 404:
                raise ClientError(404, f"The {entity} ({name_or_id}) could not be found.") from None
            raise
    return find


volume_id = _finder("volumes", "volume", "Volume")
snapshot_id = _finder("snapshots", "snapshot", "VolumeSnapshot")
backup_id = _finder("backups", "backup", "Volume backup")
vtype_id = _finder("types", "volume_type", "VolumeType")
qos_id = _finder("qos-specs", "qos_specs", "QoSSpecs")


_check = constraint


CONSTRAINTS = {"cinder.volume": _check(volume_id), "cinder.snapshot": _check(snapshot_id),
               "cinder.backup": _check(backup_id), "cinder.vtype": _check(vtype_id),
               "cinder.qos_specs": _check(qos_id)}


def bdm_source(clients: Clients, m: dict[str, Any]) -> dict[str, Any]:
    """The source of one of a server's block_device_mapping_v2 entries, as Heat builds it (nova server.py)."""
    if m.get("volume_id"):
        return {"uuid": volume_id(clients, m["volume_id"]), "source_type": "volume", "destination_type": "volume",
                "boot_index": 0, "delete_on_termination": False}
    if m.get("snapshot_id"):
        snap = snapshot_id(clients, m["snapshot_id"])
        return {"uuid": snap, "source_type": "snapshot", "destination_type": "volume", "boot_index": 0,
                "delete_on_termination": False}
    if m.get("image") or m.get("image_id"):
        return {"uuid": image_id(clients, m.get("image") or m["image_id"]), "source_type": "image",
                "destination_type": "volume", "boot_index": 0, "delete_on_termination": False}
    if m.get("swap_size"):
        return {"source_type": "blank", "destination_type": "local", "boot_index": -1,
                "delete_on_termination": True, "guest_format": "swap", "volume_size": m["swap_size"]}
    if m.get("ephemeral_size") or m.get("ephemeral_format"):
        entry: dict[str, Any] = {"source_type": "blank", "destination_type": "local", "boot_index": -1,
                                 "delete_on_termination": True}
        if m.get("ephemeral_size"):
            entry["volume_size"] = m["ephemeral_size"]
        if m.get("ephemeral_format"):
            entry["guest_format"] = m["ephemeral_format"]
        return entry
    return {}


def _volume(client: ApiClient, vol_id: str) -> dict[str, Any]:
    return dict(client.get(f"/volumes/{vol_id}")["volume"])


def attach_done(clients: Clients, vol_id: str) -> bool:
    """cinder plugin check_attach_volume_complete."""
    status = _volume(clients("volumev3"), vol_id)["status"]
    if status in ("available", "attaching", "reserved"):
        return False
    if status == "in-use":
        return True
    raise ResourceError(f"Volume attachment failed - Unknown status {status}")


def detach_done(clients: Clients, vol_id: str) -> bool:
    """cinder plugin check_detach_volume_complete."""
    try:
        status = _volume(clients("volumev3"), vol_id)["status"]
    except ClientError as exc:
        if exc.status == 404:
            return True
        raise
    if status in ("in-use", "detaching"):
        return False
    if status == "available":
        return True
    raise ResourceInError(status, "detach")


# --- OS::Cinder::Volume -----------------------------------------------------------------


class Volume(Resource):
    type_name = "OS::Cinder::Volume"
    description = "A resource that implements Cinder volumes."
    properties_schema = {
        "availability_zone": Prop("string", "The availability zone in which the volume will be created."),
        "size": Prop("integer", "The size of the volume in GB. On update only increase in size is supported.",
                     update_allowed=True, constraints=[Range(min=1)]),
        "snapshot_id": Prop("string", "If specified, the snapshot to create the volume from.",
                            constraints=[Custom(name="cinder.snapshot")]),
        "backup_id": Prop("string", "If specified, the backup to create the volume from.", update_allowed=True,
                          constraints=[Custom(name="cinder.backup")]),
        "name": Prop("string", "A name used to distinguish the volume.", update_allowed=True),
        "description": Prop("string", "A description of the volume.", update_allowed=True),
        "volume_type": Prop("string", "If specified, the type of volume to use, mapping to a specific backend.",
                            update_allowed=True, constraints=[Custom(name="cinder.vtype")]),
        "metadata": Prop("map", "Key/value pairs to associate with the volume.", update_allowed=True, default={}),
        "imageRef": Prop("string", "The ID of the image to create the volume from.", support_status="HIDDEN"),
        "image": Prop("string", "If specified, the name or ID of the image to create the volume from.",
                      constraints=[Custom(name="glance.image")]),
        "source_volid": Prop("string", "If specified, the volume to use as source.",
                             constraints=[Custom(name="cinder.volume")]),
        "scheduler_hints": Prop("map", "Arbitrary key-value pairs specified by the client to help the Cinder "
                                "scheduler creating a volume."),
        "read_only": Prop("boolean", "Enables or disables read-only access mode of volume.", update_allowed=True),
        "multiattach": Prop("boolean", "Whether allow the volume to be attached more than once.", default=False),
    }
    attributes_schema = {
        "availability_zone": Attr("The availability zone in which the volume is located.", "string"),
        "size": Attr("The size of the volume in GB.", "string"),
        "snapshot_id": Attr("The snapshot the volume was created from, if any.", "string"),
        "display_name": Attr("Name of the volume.", "string"),
        "display_description": Attr("Description of the volume.", "string"),
        "volume_type": Attr("The type of the volume mapping to a backend, if any.", "string"),
        "metadata": Attr("Key/value pairs associated with the volume.", "string"),
        "metadata_values": Attr("Key/value pairs associated with the volume in raw dict form.", "map"),
        "source_volid": Attr("The volume used as source, if any.", "string"),
        "status": Attr("The current status of the volume.", "string"),
        "created_at": Attr("The timestamp indicating volume creation.", "string"),
        "bootable": Attr("Boolean indicating if the volume can be booted or not.", "string"),
        "encrypted": Attr("Boolean indicating if the volume is encrypted or not.", "string"),
        "attachments": Attr("A string representation of the list of attachments of the volume.", "string"),
        "attachments_list": Attr("The list of attachments of the volume.", "list"),
        "multiattach": Attr("Boolean indicating whether allow the volume to be attached more than once.",
                            "boolean"),
    }
    entity = ("volumev3", "/volumes/{id}", "volume")

    def validate(self) -> None:
        p = self.properties
        if p["image"] and p["imageRef"]:
            raise ValidationError("Cannot define the following properties at the same time: image, imageRef")
        if p["backup_id"]:
            return
        exclusive = [k for k in ("snapshot_id", "source_volid", "image", "imageRef") if p.get(k)]
        no_size = [k for k in ("snapshot_id", "source_volid") if p.get(k)]
        if p["size"] is None and (len(no_size) != 1 or len(exclusive) != 1):
            raise ValidationError('If neither "backup_id" nor "size" is provided, one and only one of '
                                  '"source_volid", "snapshot_id" must be specified, but currently specified '
                                  f"options: {exclusive}.")
        if p["size"] and len(exclusive) > 1:
            raise ValidationError('If "size" is provided, only one of "image", "imageRef", "source_volid", '
                                  f'"snapshot_id" can be specified, but currently specified options: {exclusive}.')

    def handle_create(self) -> None:
        p, cinder, clients = self.properties, self.client("volumev3"), self.stack.clients
        names = {"name": p["name"] or self.physical_resource_name(),
                 "description": p["description"] or self.physical_resource_name()}
        if p["backup_id"]:
            restored = cinder.post(f"/backups/{backup_id(clients, p['backup_id'])}/restore", json={"restore": {}})
            self.resource_id_set(restored["restore"]["volume_id"])
            cinder.put(f"/volumes/{self.resource_id}", json={"volume": names})
            return
        body: dict[str, Any] = {"size": p["size"], "availability_zone": p["availability_zone"] or None,
                                "multiattach": p["multiattach"], **names}
        if p["image"] or p["imageRef"]:
            body["imageRef"] = image_id(clients, p["image"]) if p["image"] else p["imageRef"]
        finders = {"snapshot_id": snapshot_id, "volume_type": vtype_id, "source_volid": volume_id}
        body.update({k: find(clients, p[k]) for k, find in finders.items() if p[k] is not None})
        if p["metadata"]:
            body["metadata"] = {k: str(v) for k, v in p["metadata"].items()}
        request: dict[str, Any] = {"volume": body}
        if p["scheduler_hints"]:
            request["OS-SCH-HNT:scheduler_hints"] = p["scheduler_hints"]
        self.resource_id_set(cinder.post("/volumes", json=request)["volume"]["id"])

    def check_create_complete(self) -> bool:
        vol = _volume(self.client("volumev3"), str(self.resource_id))
        if vol["status"] in ("creating", "restoring-backup", "downloading"):
            return False
        if vol["status"] == "error":
            raise ResourceInError("error")
        if vol["status"] != "available":
            raise ResourceError(f"Volume create failed - Unknown status {vol['status']}")
        if self.properties["read_only"] is not None:
            self._action({"os-update_readonly_flag": {"readonly": self.properties["read_only"]}})
        return True

    def _action(self, body: dict[str, Any]) -> None:
        self.client("volumev3").post(f"/volumes/{self.resource_id}/action", json=body)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        p, cinder = self.properties, self.client("volumev3")
        base = f"/volumes/{self.resource_id}"
        if "name" in prop_diff or "description" in prop_diff:
            cinder.put(base, json={"volume": {"name": p["name"] or self.physical_resource_name(),
                                              "description": p["description"] or self.physical_resource_name()}})
        if "metadata" in prop_diff:
            cinder.put(f"{base}/metadata", json={"metadata": {k: str(v) for k, v in (p["metadata"] or {}).items()}})
        if "volume_type" in prop_diff:
            self._action({"os-retype": {"new_type": vtype_id(self.stack.clients, p["volume_type"]),
                                        "migration_policy": "never"}})
        tasks: list[dict[str, Any]] = []
        if "backup_id" in prop_diff and p["backup_id"]:
            tasks.append({"op": "restore", "arg": backup_id(self.stack.clients, p["backup_id"])})
        if "read_only" in prop_diff and p["read_only"] is not None:
            tasks.append({"op": "read_only", "arg": p["read_only"]})
        if "size" in prop_diff and p["size"] is not None:
            current = _volume(cinder, str(self.resource_id))["size"]
            if p["size"] < current:
                raise ResourceError("Shrinking volume is not supported.")
            if p["size"] > current:
                tasks.append({"op": "extend", "arg": p["size"]})
        self.data["tasks"] = self._with_detach(tasks) if any(t["op"] != "extend" for t in tasks) else tasks

    def _with_detach(self, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Restore and access-mode changes need the volume detached (Heat's _detach_attach_progress)."""
        vol = _volume(self.client("volumev3"), str(self.resource_id))
        if not vol["attachments"]:
            return tasks
        att = vol["attachments"][0]
        where = {"server": att["server_id"], "device": att.get("device")}
        return [{"op": "detach", "arg": where}, *tasks, {"op": "attach", "arg": where}]

    def check_update_complete(self) -> bool:
        for task in self.data.get("tasks") or []:
            if not task.get("called"):
                task["called"] = self._start(task)
                return False
            if not task.get("complete"):
                task["complete"] = self._done(task)
                if not task["complete"]:
                    return False
        self.data["tasks"] = []
        return True

    def _start(self, task: dict[str, Any]) -> bool:
        op, arg, compute = task["op"], task["arg"], self.client("compute")
        if op == "extend":
            if _volume(self.client("volumev3"), str(self.resource_id))["status"] not in ("available", "in-use"):
                return False
            self._action({"os-extend": {"new_size": arg}})
        elif op == "restore":
            self.client("volumev3").post(f"/backups/{arg}/restore", json={"restore": {"volume_id": self.resource_id}})
        elif op == "read_only":
            self._action({"os-update_readonly_flag": {"readonly": arg}})
        elif op == "detach":
            compute.delete(f"/servers/{arg['server']}/os-volume_attachments/{self.resource_id}")
        elif op == "attach":
            body = {"volumeId": self.resource_id, **({"device": arg["device"]} if arg.get("device") else {})}
            compute.post(f"/servers/{arg['server']}/os-volume_attachments", json={"volumeAttachment": body})
        return True

    def _done(self, task: dict[str, Any]) -> bool:
        op = task["op"]
        if op == "detach":
            return detach_done(self.stack.clients, str(self.resource_id))
        if op == "attach":
            return attach_done(self.stack.clients, str(self.resource_id))
        status = _volume(self.client("volumev3"), str(self.resource_id))["status"]
        if status in ("extending", "restoring-backup"):
            return False
        if status not in ("available", "in-use"):
            what = "Volume resize failed" if op == "extend" else "Volume backup restore failed"
            raise ResourceError(f"{what} - Unknown status {status}")
        return True

    def handle_delete(self) -> None:
        if self.resource_id is None:
            return
        try:
            vol = _volume(self.client("volumev3"), self.resource_id)
        except ClientError as exc:
            if exc.status == 404:
                return
            raise
        if vol["status"] == "in-use":
            raise ResourceError("Volume in use")
        if vol["status"] != "deleting":
            self.client("volumev3").delete(f"/volumes/{self.resource_id}")

    def check_delete_complete(self) -> bool:
        if self.resource_id is None:
            return True
        try:
            vol = _volume(self.client("volumev3"), self.resource_id)
        except ClientError as exc:
            if exc.status == 404:
                return True
            raise
        if vol["status"].lower() == "error_deleting":
            raise ResourceInError(vol["status"], "delete")
        return False

    def handle_check(self) -> None:
        status = _volume(self.client("volumev3"), str(self.resource_id))["status"]
        if status not in ("available", "in-use"):
            raise ResourceError(f"'status': expected ['available', 'in-use'], got '{status}'")

    def resolve_attribute(self, name: str) -> Any:
        if self.resource_id is None:
            return None
        vol = _volume(self.client("volumev3"), self.resource_id)
        if name == "metadata":
            return json.dumps(vol.get("metadata") or {})
        if name == "metadata_values":
            return vol.get("metadata") or {}
        if name == "display_name":
            return vol.get("name")
        if name == "display_description":
            return vol.get("description")
        if name == "attachments_list":
            return vol.get("attachments") or []
        # quirk: Heat renders the other attributes with str(), so True is "True" and a list its repr
        return str(vol.get(name))


# --- OS::Cinder::VolumeAttachment -----------------------------------------------------------


class VolumeAttachment(Resource):
    type_name = "OS::Cinder::VolumeAttachment"
    description = "Resource for associating volume to instance."
    properties_schema = {
        "instance_uuid": Prop("string", "The ID of the server to which the volume attaches.", required=True,
                              update_allowed=True),
        "volume_id": Prop("string", "The ID of the volume to be attached.", required=True, update_allowed=True,
                          constraints=[Custom(name="cinder.volume")]),
        "mountpoint": Prop("string", "The location where the volume is exposed on the instance. This assignment "
                           "may not be honored and it is advised that the path /dev/disk/by-id/virtio-<VolumeId> "
                           "be used instead.", update_allowed=True),
    }

    def _attach(self) -> None:
        server = self.properties["instance_uuid"]
        vol = volume_id(self.stack.clients, self.properties["volume_id"])
        body: dict[str, Any] = {"volumeId": vol}
        if self.properties["mountpoint"]:
            body["device"] = self.properties["mountpoint"]
        att = self.client("compute").post(f"/servers/{server}/os-volume_attachments",
                                          json={"volumeAttachment": body})["volumeAttachment"]
        self.data.update({"server": server, "volume": vol})
        self.resource_id_set(att["id"])

    def handle_create(self) -> None:
        self._attach()

    def check_create_complete(self) -> bool:
        return attach_done(self.stack.clients, self.data["volume"])

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        self.handle_delete()
        self.data["phase"] = "detaching"

    def check_update_complete(self) -> bool:
        if self.data.get("phase") == "detaching":
            if not self._detached():
                return False
            self._attach()
            self.data["phase"] = "attaching"
            return False
        if self.data.get("phase") == "attaching" and not attach_done(self.stack.clients, self.data["volume"]):
            return False
        self.data.pop("phase", None)
        return True

    def handle_delete(self) -> None:
        if self.resource_id is not None and self.data.get("server"):
            self.client("compute").delete(f"/servers/{self.data['server']}/os-volume_attachments/"
                                          f"{self.resource_id}")

    def _detached(self) -> bool:
        if not detach_done(self.stack.clients, self.data["volume"]):
            return False
        try:
            self.client("compute").get(f"/servers/{self.data['server']}/os-volume_attachments/{self.resource_id}")
        except ClientError as exc:
            if exc.status == 404:
                return True
            raise
        return False

    def check_delete_complete(self) -> bool:
        if self.resource_id is None or not self.data.get("server"):
            return True
        return self._detached()


# --- volume types and QoS ---------------------------------------------------------------------


def _strs(specs: dict[str, Any] | None) -> dict[str, str]:
    return {k: str(v) for k, v in (specs or {}).items()}


class VolumeType(Resource):
    type_name = "OS::Cinder::VolumeType"
    description = "A resource for creating cinder volume types."
    properties_schema = {
        "name": Prop("string", "Name of the volume type.", required=True, update_allowed=True),
        "metadata": Prop("map", "The extra specs key and value pairs of the volume type.", update_allowed=True),
        "is_public": Prop("boolean", "Whether the volume type is accessible to the public.", default=True,
                          update_allowed=True),
        "description": Prop("string", "Description of the volume type.", update_allowed=True),
        "projects": Prop("list", "Projects to add volume type access to. NOTE: This property is only supported "
                         "since Cinder API V2.", default=[], update_allowed=True,
                         schema=Prop("string", "A project that may use this private volume type.",
                                     constraints=[Custom(name="keystone.project")])),
    }
    entity = ("volumev3", "/types/{id}", "volume_type")

    def _projects(self) -> list[str]:
        identity = self.client("identity")
        return [str(identity.find("projects", p, "project")["id"]) for p in self.properties["projects"] or []]

    def _access(self, action: str, project: str) -> None:
        self.client("volumev3").post(f"/types/{self.resource_id}/action", json={action: {"project": project}})

    def handle_create(self) -> None:
        p, cinder = self.properties, self.client("volumev3")
        body = {"name": p["name"], "os-volume-type-access:is_public": p["is_public"]}
        if p["description"] is not None:
            body["description"] = p["description"]
        self.resource_id_set(cinder.post("/types", json={"volume_type": body})["volume_type"]["id"])
        if p["metadata"]:
            cinder.post(f"/types/{self.resource_id}/extra_specs", json={"extra_specs": _strs(p["metadata"])})
        if not p["is_public"]:
            for project in self._projects():
                self._access("addProjectAccess", project)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        p, cinder, base = self.properties, self.client("volumev3"), f"/types/{self.resource_id}"
        changed = {k: prop_diff[k] for k in ("name", "description") if k in prop_diff}
        if "is_public" in prop_diff:
            changed["is_public"] = prop_diff["is_public"]
        if changed:
            cinder.put(base, json={"volume_type": changed})
        if "metadata" in prop_diff:
            for key in cinder.get(f"{base}/extra_specs")["extra_specs"]:
                cinder.delete(f"{base}/extra_specs/{key}")
            if p["metadata"]:
                cinder.post(f"{base}/extra_specs", json={"extra_specs": _strs(p["metadata"])})
        if "projects" in prop_diff and not p["is_public"]:
            old = {a["project_id"] for a in cinder.get(f"{base}/os-volume-type-access")["volume_type_access"]}
            new = set(self._projects())
            for project in old - new:
                self._access("removeProjectAccess", project)
            for project in new - old:
                self._access("addProjectAccess", project)


class EncryptedVolumeType(Resource):
    type_name = "OS::Cinder::EncryptedVolumeType"
    description = "A resource for encrypting a cinder volume type."
    properties_schema = {
        "provider": Prop("string", "The class that provides encryption support. For example, "
                         "nova.volume.encryptors.luks.LuksEncryptor.", required=True, update_allowed=True),
        "control_location": Prop("string", "Notional service where encryption is performed For example, "
                                 "front-end. For Nova.", default="front-end", update_allowed=True,
                                 constraints=[AllowedValues(allowed=["front-end", "back-end"])]),
        "cipher": Prop("string", "The encryption algorithm or mode. For example, aes-xts-plain64.",
                       update_allowed=True,
                       constraints=[AllowedValues(allowed=["aes-xts-plain64", "aes-cbc-essiv"])]),
        "key_size": Prop("integer", "Size of encryption key, in bits. For example, 128 or 256.",
                         update_allowed=True),
        "volume_type": Prop("string", "Name or id of volume type (OS::Cinder::VolumeType).", required=True,
                            constraints=[Custom(name="cinder.vtype")]),
    }

    def _specs(self) -> dict[str, Any]:
        return {k: self.properties[k] for k in ("provider", "control_location", "cipher", "key_size")
                if self.properties[k] is not None}

    def handle_create(self) -> None:
        vtype = vtype_id(self.stack.clients, self.properties["volume_type"])
        self.client("volumev3").post(f"/types/{vtype}/encryption", json={"encryption": self._specs()})
        self.resource_id_set(vtype)

    def _path(self) -> str:
        """cinderclient addresses the spec as .../encryption/provider, an id cinder ignores; the real
        encryption_id works on cinder as well (and this cloud insists on it)."""
        spec = self.client("volumev3").get(f"/types/{self.resource_id}/encryption") or {}
        return f"/types/{self.resource_id}/encryption/{spec.get('encryption_id') or 'provider'}"

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        specs = {k: v for k, v in prop_diff.items() if k != "volume_type"}
        if specs:
            self.client("volumev3").put(self._path(), json={"encryption": specs})

    def handle_delete(self) -> None:
        if self.resource_id is not None:
            try:
                self.client("volumev3").delete(self._path())
            except ClientError as exc:
                if exc.status != 404:
                    raise

    def check_delete_complete(self) -> bool:
        return True

    def show(self) -> Any:
        if self.resource_id is None:
            return None
        return self.client("volumev3").get(f"/types/{self.resource_id}/encryption")


class QoSSpecs(Resource):
    type_name = "OS::Cinder::QoSSpecs"
    description = "A resource for creating cinder QoS specs."
    properties_schema = {
        "name": Prop("string", "Name of the QoS."),
        "specs": Prop("map", "The specs key and value pairs of the QoS.", required=True, update_allowed=True),
    }
    entity = ("volumev3", "/qos-specs/{id}", "qos_specs")

    def handle_create(self) -> None:
        body = {"name": self.properties["name"] or self.physical_resource_name(), **_strs(self.properties["specs"])}
        self.resource_id_set(self.client("volumev3").post("/qos-specs", json={"qos_specs": body})["qos_specs"]["id"])

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        cinder, base = self.client("volumev3"), f"/qos-specs/{self.resource_id}"
        old = cinder.get(base)["qos_specs"].get("specs") or {}
        new = _strs(self.properties["specs"])
        if new:
            cinder.put(base, json={"qos_specs": new})
        removed = [k for k in old if k not in new]
        if removed:
            cinder.put(f"{base}/delete_keys", json={"keys": removed})

    def handle_delete(self) -> None:
        if self.resource_id is not None:
            try:
                self.client("volumev3").get(f"/qos-specs/{self.resource_id}/disassociate_all")
            except ClientError as exc:
                if exc.status != 404:
                    raise
            self.client("volumev3").delete(f"/qos-specs/{self.resource_id}")


class QoSAssociation(Resource):
    type_name = "OS::Cinder::QoSAssociation"
    description = "A resource to associate cinder QoS specs with volume types."
    properties_schema = {
        "qos_specs": Prop("string", "ID or Name of the QoS specs.", required=True,
                          constraints=[Custom(name="cinder.qos_specs")]),
        "volume_types": Prop("list", "List of volume type IDs or Names to be attached to QoS specs.",
                             required=True, update_allowed=True,
                             schema=Prop("string", "A volume type to attach specs.",
                                         constraints=[Custom(name="cinder.vtype")])),
    }

    def _link(self, verb: str, vtypes: list[str]) -> None:
        qos = qos_id(self.stack.clients, self.properties["qos_specs"])
        for vt in vtypes:
            self.client("volumev3").get(f"/qos-specs/{qos}/{verb}", params={"vol_type_id": vt})

    def handle_create(self) -> None:
        vtypes = [vtype_id(self.stack.clients, vt) for vt in self.properties["volume_types"]]
        self._link("associate", vtypes)
        self.data["volume_types"] = vtypes
        self.resource_id_set(self.stack.physical_name(self.name))

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        old = set(self.data.get("volume_types") or [])
        new = [vtype_id(self.stack.clients, vt) for vt in self.properties["volume_types"]]
        self._link("associate", [vt for vt in new if vt not in old])
        self._link("disassociate", [vt for vt in old if vt not in new])
        self.data["volume_types"] = new

    def handle_delete(self) -> None:
        try:
            self._link("disassociate", self.data.get("volume_types") or [])
        except ClientError as exc:
            if exc.status != 404:
                raise


TYPES: list[type[Resource]] = [Volume, VolumeAttachment, VolumeType, EncryptedVolumeType, QoSSpecs,
                               QoSAssociation]

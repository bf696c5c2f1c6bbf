"""OS::Nova::Server (heat/engine/resources/openstack/nova/server.py, server_network_mixin.py)."""

from __future__ import annotations

import base64
import ipaddress
from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.properties import Custom, Prop, ValidationError
from pocketstack.services.orchestration.engine.resource import (
    Attr, Resource, ResourceError, ResourceInError, UpdateReplace)
from pocketstack.services.orchestration.engine.resources.cinder import bdm_source, snapshot_id, volume_id
from pocketstack.services.orchestration.engine.resources.glance import UUID_RE, image_id
from pocketstack.services.orchestration.engine.resources.nova.common import (
    _BDM_SCHEMA, _BDM_V2_SCHEMA, _NETWORK_SCHEMA, _enum, _meta_serialize, _network_id, flavor_id)

# --- name resolution and constraints ----------------------------------------------------



class Server(Resource):
    type_name = "OS::Nova::Server"
    description = "A resource for managing Nova instances."
    properties_schema = {
        "name": Prop("string", "Server name.", update_allowed=True),
        "image": Prop("string", "The ID or name of the image to boot with.", update_allowed=True,
                      constraints=[Custom(name="glance.image")]),
        "block_device_mapping": Prop("list", "Block device mappings for this server.",
                                     schema=Prop("map", schema={**_BDM_SCHEMA, "device_name": Prop(
                                         "string", _BDM_SCHEMA["device_name"].description, required=True)})),
        "block_device_mapping_v2": Prop("list", "Block device mappings v2 for this server.",
                                        schema=Prop("map", schema=_BDM_V2_SCHEMA)),
        "flavor": Prop("string", "The ID or name of the flavor to boot onto.", required=True, update_allowed=True,
                       constraints=[Custom(name="nova.flavor")]),
        "flavor_update_policy": Prop("string", "How to apply a flavor update: resize or replace the server.",
                                     default="RESIZE", update_allowed=True, constraints=_enum("RESIZE", "REPLACE")),
        "image_update_policy": Prop("string", "How to apply an image update: rebuild or replace the server.",
                                    default="REBUILD", update_allowed=True,
                                    constraints=_enum("REBUILD", "REPLACE", "REBUILD_PRESERVE_EPHEMERAL")),
        "key_name": Prop("string", "Name of keypair to inject into the server.",
                         constraints=[Custom(name="nova.keypair")]),
        "admin_user": Prop("string", "Name of the administrative user to use on the server.", support_status="HIDDEN"),
        "availability_zone": Prop("string", "Name of the availability zone for server placement."),
        "security_groups": Prop("list", "List of security group names or IDs.", default=[]),
        "networks": Prop("list", "An ordered list of nics to be added to this server.", update_allowed=True,
                         schema=Prop("map", schema=_NETWORK_SCHEMA)),
        "scheduler_hints": Prop("map", "Arbitrary key-value pairs specified by the client to help boot a server."),
        "metadata": Prop("map", "Arbitrary key/value metadata for this server.", update_allowed=True, default={}),
        "user_data_format": Prop("string", "How the user_data should be formatted for the server.",
                                 default="HEAT_CFNTOOLS", constraints=_enum("HEAT_CFNTOOLS", "RAW", "SOFTWARE_CONFIG")),
        "software_config_transport": Prop("string", "How the server receives its software configuration metadata.",
                                          default="POLL_SERVER_CFN", update_allowed=True, constraints=_enum(
                                              "POLL_SERVER_CFN", "POLL_SERVER_HEAT", "POLL_TEMP_URL", "ZAQAR_MESSAGE")),
        "user_data_update_policy": Prop("string", "How to apply a user_data update: ignore, rebuild or replace.",
                                        default="REPLACE", update_allowed=True,
                                        constraints=_enum("REPLACE", "IGNORE", "REBUILD")),
        "user_data": Prop("string", "User data script to be executed by cloud-init or CoreOS ignition.",
                          default="", update_allowed=True),
        "reservation_id": Prop("string", "A UUID for the set of servers being requested."),
        "config_drive": Prop("boolean", "If True, enable config drive on the server."),
        "diskConfig": Prop("string", "Control how the disk is partitioned when the server is created.",
                           constraints=_enum("AUTO", "MANUAL")),
        "personality": Prop("map", "A map of files to create/overwrite on the server upon boot.", default={}),
        "admin_pass": Prop("string", "The administrator password for the server.", update_allowed=True),
        "tags": Prop("list", "Server tags.", update_allowed=True),
        "deployment_swift_data": Prop("map", "Swift container and object for the server's deployment data.",
                                      default={}, update_allowed=True),
    }
    attributes_schema = {
        "name": Attr("Name of the server.", "string"),
        "addresses": Attr("A dict of all network addresses with corresponding port_id and subnets.", "map"),
        "networks": Attr("Assigned network addresses by network name and by network id.", "map"),
        "first_address": Attr("The first assigned network address, or an empty string.", "string"),
        "instance_name": Attr("AWS compatible instance name.", "string"),
        "accessIPv4": Attr("The manually assigned alternative public IPv4 address of the server.", "string"),
        "accessIPv6": Attr("The manually assigned alternative public IPv6 address of the server.", "string"),
        "console_urls": Attr("URLs of server's consoles.", "map"),
        "tags": Attr("Tags from the server.", "list"),
        "os_collect_config": Attr("The os-collect-config configuration for the server's local agent.", "map"),
    }
    entity = ("compute", "/servers/{id}", "server")

    # --- create -------------------------------------------------------------------
    def validate(self) -> None:
        props = self.properties
        bootable = any(b.get("boot_index") in (None, 0) and (b.get("volume_id") or b.get("snapshot_id")
                                                              or b.get("image") or b.get("image_id"))
                       for b in props["block_device_mapping_v2"] or [])
        if not props["image"] and not props["block_device_mapping"] and not bootable:
            raise ValidationError("Neither image nor bootable volume is specified for instance "
                                  f"{self.name}")
        if props["block_device_mapping"] and props["block_device_mapping_v2"]:
            raise ValidationError("Cannot define the following properties at the same time: "
                                  "block_device_mapping, block_device_mapping_v2")
        for net in props["networks"] or []:
            self._validate_network(net)

    def _validate_network(self, net: dict[str, Any]) -> None:
        """Heat's ServerNetworkMixin._validate_network (`uuid` stands for `network`, as translated)."""
        network = net.get("network") or net.get("uuid")
        if not any((network, net.get("port"), net.get("subnet"), net.get("allocate_network"))):
            raise ValidationError("One of the properties \"network\", \"port\", \"allocate_network\" or "
                                  "\"subnet\" should be set for the specified network of server "
                                  f"\"{self.name}\".")
        if net.get("allocate_network") and len([k for k, v in net.items() if v is not None]) != 1:
            raise ValidationError('Can not specify "allocate_network" with other keys of networks at the same time.')
        if net.get("fixed_ip") and net.get("port") is not None:
            raise ValidationError("Cannot define the following properties at the same time: networks/fixed_ip, "
                                  "networks/port.")
        if net.get("floating_ip") is not None and network is not None and net.get("port") is None \
                and net.get("subnet") is None:
            raise ValidationError('Property "floating_ip" is not supported if only "network" is specified, '
                                  "because the corresponding port can not be retrieved.")

    def _server_name(self) -> str:
        return str(self.properties["name"] or self.physical_resource_name())

    def _user_data(self) -> str:
        """quirk: HEAT_CFNTOOLS is sent as RAW (no cfn-init multipart), SOFTWARE_CONFIG as its config text."""
        content = self.properties["user_data"] or ""
        if self.properties["user_data_format"] in ("RAW", "SOFTWARE_CONFIG") and UUID_RE.match(content):
            try:
                sc = self.client("orchestration").get(f"/software_configs/{content}")
                content = sc["software_config"]["config"] or ""
            except ClientError as exc:
                if exc.status != 404:
                    raise
        return content

    def handle_create(self) -> None:
        props = self.properties
        body: dict[str, Any] = {"name": self._server_name(),
                                "flavorRef": flavor_id(self.stack.clients, props["flavor"]),
                                "networks": self._build_nics(props["networks"] or [])}
        if props["image"]:
            body["imageRef"] = image_id(self.stack.clients, props["image"])
        optional = {"key_name": props["key_name"], "availability_zone": props["availability_zone"],
                    "config_drive": props["config_drive"], "adminPass": props["admin_pass"] or None,
                    "OS-DCF:diskConfig": props["diskConfig"], "reservation_id": props["reservation_id"],
                    "metadata": _meta_serialize(props["metadata"]) or None,
                    "block_device_mapping_v2": self._build_bdm_v2() or None}
        body.update({k: v for k, v in optional.items() if v is not None})
        if props["security_groups"] and not any(n.get("port") for n in props["networks"] or []):
            body["security_groups"] = [{"name": sg} for sg in props["security_groups"]]
        user_data = self._user_data()
        if user_data:
            body["user_data"] = base64.b64encode(user_data.encode()).decode()
        request: dict[str, Any] = {"server": body}
        if props["scheduler_hints"]:
            request["os:scheduler_hints"] = props["scheduler_hints"]
        server = self.client("compute").post("/servers", json=request)["server"]
        self.resource_id_set(server["id"])
        self.data["networks"] = props["networks"] or []

    def _build_bdm_v2(self) -> list[dict[str, Any]]:
        """Heat's _build_block_device_mapping_v2, and the legacy mapping in its v2 form."""
        clients, out = self.stack.clients, []
        for m in self.properties["block_device_mapping_v2"] or []:
            entry = bdm_source(clients, m)
            for key in ("device_name", "device_type", "disk_bus", "boot_index", "volume_size",
                        "delete_on_termination"):
                if m.get(key) is not None:
                    entry[key] = m[key]
            if entry:
                out.append(entry)
        for m in self.properties["block_device_mapping"] or []:
            src = "snapshot" if m.get("snapshot_id") else "volume"
            find = snapshot_id if src == "snapshot" else volume_id
            uuid = find(clients, m.get("snapshot_id") or m["volume_id"])
            entry = {"uuid": uuid, "source_type": src, "destination_type": "volume",
                     "device_name": m["device_name"], "delete_on_termination": bool(m.get("delete_on_termination")),
                     "boot_index": 0 if m["device_name"] in ("vda", "/dev/vda") else -1}
            if m.get("volume_size"):
                entry["volume_size"] = m["volume_size"]
            out.append(entry)
        return out

    def _build_nics(self, networks: list[dict[str, Any]]) -> Any:
        """Heat's _build_nics, in the API's form. quirk: no networks at all means "auto", as nova did
        before 2.37 (Heat leaves `networks` out, which 2.37+ refuses)."""
        if not networks:
            return "auto"
        str_net = next((n["allocate_network"] for n in networks if n.get("allocate_network")), None)
        if str_net:
            return str_net
        nics = []
        for idx, net in enumerate(networks):
            self._validate_belonging_subnet_to_net(net)
            nic: dict[str, Any] = {}
            net_id = self._net_id(net)
            if net_id:
                nic["uuid"] = net_id
            port = self._port_id(net.get("port")) or (self._create_internal_port(net, idx) if net.get("subnet")
                                                     else None)
            if port:
                nic["port"] = port
            elif net.get("fixed_ip"):
                nic["fixed_ip"] = net["fixed_ip"]
            if net.get("floating_ip") and port:
                fip: dict[str, Any] = {"port_id": port}
                if net.get("fixed_ip"):
                    fip["fixed_ip_address"] = net["fixed_ip"]
                self.client("network").put(f"/floatingips/{net['floating_ip']}", json={"floatingip": fip})
            if net.get("tag"):
                nic["tag"] = net["tag"]
            nics.append(nic)
        return nics

    def _validate_belonging_subnet_to_net(self, net: dict[str, Any]) -> None:
        if net.get("port") is None and net.get("subnet") and (net.get("network") or net.get("uuid")):
            network = self._net_id(net)
            subnet = self.client("network").find("subnets", net["subnet"], "subnet")
            if subnet["network_id"] != network:
                raise ValidationError(f"Specified subnet {net['subnet']} does not belongs to network {network}.")

    def _net_id(self, net: dict[str, Any]) -> str | None:
        name = net.get("network") or net.get("uuid")
        if name:
            return _network_id(self.stack.clients, name)
        if net.get("subnet"):
            subnet = self.client("network").find("subnets", net["subnet"], "subnet")
            return str(subnet["network_id"])
        return None

    def _port_id(self, port: str | None) -> str | None:
        return str(self.client("network").find("ports", port, "port")["id"]) if port else None

    def _create_internal_port(self, net: dict[str, Any], idx: int) -> str:
        network = self.client("network")
        port: dict[str, Any] = {"network_id": self._net_id(net), "name": f"{self.name}-port-{idx}"}
        fixed: dict[str, Any] = {}
        if net.get("fixed_ip"):
            fixed["ip_address"] = net["fixed_ip"]
        if net.get("subnet"):
            fixed["subnet_id"] = network.find("subnets", net["subnet"], "subnet")["id"]
        if fixed:
            port["fixed_ips"] = [fixed]
        if self.properties["security_groups"]:
            port["security_groups"] = [network.find("security-groups", sg, "security_group")["id"]
                                       for sg in self.properties["security_groups"]]
        port.update({k: v for k, v in (net.get("port_extra_properties") or {}).items() if v is not None})
        created = network.post("/ports", json={"port": port})["port"]
        self.data.setdefault("internal_ports", []).append(created["id"])
        return str(created["id"])

    def _get(self) -> dict[str, Any]:
        return dict(self.client("compute").get(f"/servers/{self.resource_id}")["server"])

    def check_create_complete(self) -> bool:
        server = self._get()
        if server["status"] == "ERROR":
            raise ResourceInError("ERROR", (server.get("fault") or {}).get("message", "Unknown"))
        if server["status"] != "ACTIVE":
            return False
        if self.properties["tags"]:
            self.client("compute").put(f"/servers/{self.resource_id}/tags", json={"tags": self.properties["tags"]})
        return True

    # --- update -------------------------------------------------------------------
    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        props, compute, base = self.properties, self.client("compute"), f"/servers/{self.resource_id}"
        if ("flavor" in prop_diff and props["flavor_update_policy"] == "REPLACE"
                or "image" in prop_diff and props["image_update_policy"] == "REPLACE"
                or "user_data" in prop_diff and props["user_data_update_policy"] == "REPLACE"):
            raise UpdateReplace(self.name)
        tasks: list[dict[str, Any]] = []
        if "metadata" in prop_diff:
            compute.put(f"{base}/metadata", json={"metadata": _meta_serialize(props["metadata"])})
        if "tags" in prop_diff:
            compute.put(f"{base}/tags", json={"tags": props["tags"] or []})
        if "name" in prop_diff:
            compute.put(base, json={"server": {"name": self._server_name()}})
        if "networks" in prop_diff:
            tasks += self._network_tasks(props["networks"] or [])
        if "flavor" in prop_diff:
            tasks += [{"op": "resize", "args": [flavor_id(self.stack.clients, props["flavor"])]},
                      {"op": "confirm", "args": []}]
        if "user_data" in prop_diff and props["user_data_update_policy"] == "REBUILD":
            tasks.append({"op": "rebuild", "args": [{"user_data": base64.b64encode(
                self._user_data().encode()).decode()}]})
        if "image" in prop_diff:
            rebuild = {"imageRef": image_id(self.stack.clients, props["image"]),
                       "preserve_ephemeral": props["image_update_policy"] == "REBUILD_PRESERVE_EPHEMERAL",
                       "metadata": _meta_serialize(props["metadata"])}
            if props["admin_pass"]:
                rebuild["adminPass"] = props["admin_pass"]
            tasks.append({"op": "rebuild", "args": [rebuild]})
        elif "admin_pass" in prop_diff and props["admin_pass"]:
            compute.post(f"{base}/action", json={"changePassword": {"adminPass": props["admin_pass"]}})
        self.data["tasks"] = tasks

    def check_update_complete(self) -> bool:
        """Push the queued tasks to completion in order (Heat's ServerUpdateProgress list)."""
        tasks = self.data.get("tasks") or []
        for task in tasks:
            if not task.get("called"):
                task["called"] = True
                task["result"] = getattr(self, "_do_" + task["op"])(*task["args"])
                return False
            if not task.get("complete"):
                task["complete"] = getattr(self, "_check_" + task["op"])(task)
                if not task["complete"]:
                    return False
        self.data["tasks"] = []
        self.data["networks"] = self.properties["networks"] or []
        return True

    def _action(self, body: dict[str, Any]) -> None:
        self.client("compute").post(f"/servers/{self.resource_id}/action", json=body)

    def _do_resize(self, flavor: str) -> None:
        self._action({"resize": {"flavorRef": flavor}})

    def _check_resize(self, task: dict[str, Any]) -> bool:
        status = self._get()["status"]
        if status not in ("RESIZE", "ACTIVE", "VERIFY_RESIZE"):
            raise ResourceError(f"Resizing to '{task['args'][0]}' failed, status '{status}'")
        return bool(status == "VERIFY_RESIZE")

    def _do_confirm(self) -> None:
        self._action({"confirmResize": None})

    def _check_confirm(self, task: dict[str, Any]) -> bool:
        status = self._get()["status"]
        if status not in ("ACTIVE", "VERIFY_RESIZE"):
            raise ResourceError(f"Confirm resize for server {self.resource_id} failed")
        return bool(status == "ACTIVE")

    def _do_rebuild(self, body: dict[str, Any]) -> None:
        self._action({"rebuild": body})

    def _check_rebuild(self, task: dict[str, Any]) -> bool:
        server = self._get()
        if server["status"] == "REBUILD" or server.get("OS-EXT-STS:task_state"):
            return False
        if server["status"] == "ERROR":
            raise ResourceError(f"Rebuilding server failed, status '{server['status']}'")
        return True

    def _do_detach(self, port_id: str) -> None:
        """Heat's interface_detach: a port nova no longer has counts as detached."""
        try:
            self.client("compute").delete(f"/servers/{self.resource_id}/os-interface/{port_id}")
        except ClientError as exc:
            if exc.status != 404:
                raise

    def _check_detach(self, task: dict[str, Any]) -> bool:
        port_id = task["args"][0]
        if port_id in [i["port_id"] for i in self._interfaces()]:
            return False
        # quirk: Heat deletes its internal port before asking nova to detach it; deleting it once
        # nova let go of it leaves the same end state without a detach of a vanished port
        self._delete_internal_port(port_id)
        return True

    def _do_attach(self, args: dict[str, Any]) -> str:
        args = dict(args)
        groups = args.pop("security_groups", None)
        attachment = self.client("compute").post(f"/servers/{self.resource_id}/os-interface",
                                                 json={"interfaceAttachment": args})
        port_id = str(attachment["interfaceAttachment"]["port_id"])
        if groups and not args.get("port_id"):
            # nova client plugin interface_attach: the groups go on the port nova made
            self.client("network").put(f"/ports/{port_id}", json={"port": {"security_groups": groups}})
        return port_id

    def _check_attach(self, task: dict[str, Any]) -> bool:
        return task.get("result") in [i["port_id"] for i in self._interfaces()]

    def _interfaces(self) -> list[dict[str, Any]]:
        return list(self.client("compute").get(f"/servers/{self.resource_id}/os-interface")["interfaceAttachments"])

    # Heat's ServerNetworkMixin.calculate_networks and helpers: an old and a new entry that name the
    # same interface (e.g. {subnet: S} and {network: N, subnet: S}, or {network: N} and {port: P} where
    # nova made P on N) keep their port; only what really left the list is detached and only what
    # really joined it is attached.
    _IFACE_KEYS = ("port", "network", "fixed_ip", "subnet")

    def _network_tasks(self, new_nets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        old_nets = [self._normalize_net(n) for n in self.data.get("networks") or []]
        new_nets = [self._normalize_net(n) for n in new_nets]
        ifaces = self._interfaces()
        remove: list[str] = []
        added: list[dict[str, Any]] = []
        new_str = _str_network(new_nets)
        if new_str:
            remove = [i["port_id"] for i in ifaces]
            added = [{}] if new_str == "auto" else []
        elif not new_nets and not old_nets:
            return []   # None <-> []: the server keeps the port nova gave it
        else:
            kept: list[dict[str, Any]] = []
            if not old_nets or _str_network(old_nets):
                remove = [i["port_id"] for i in ifaces]
            else:
                kept = self._exclude_not_updated_networks(old_nets, new_nets, ifaces)
                for net in old_nets:
                    if net.get("port"):
                        remove.append(net["port"])
                    if net.get("floating_ip"):
                        self._disassociate(net["floating_ip"])
            added = new_nets if (new_nets or kept) else [{}]
        tasks = [{"op": "detach", "args": [p]} for p in remove]
        return tasks + [{"op": "attach", "args": [self._attach_args(n, i)]} for i, n in enumerate(added)]

    def _normalize_net(self, net: dict[str, Any]) -> dict[str, Any]:
        """Heat's translation rules: `uuid` becomes `network`, and network, subnet and port names
        become ids (kept as given when they no longer resolve)."""
        out = {k: net.get(k) or None for k in _NETWORK_SCHEMA}
        out["network"], out["uuid"] = out["network"] or out["uuid"], None
        network = self.client("network")
        for key, collection, kind in (("network", "networks", "network"), ("subnet", "subnets", "subnet"),
                                      ("port", "ports", "port")):
            if out[key]:
                try:
                    out[key] = str(network.find(collection, out[key], kind)["id"])
                except ClientError as exc:
                    if exc.status not in (404, 409):
                        raise
        return out

    def _exclude_not_updated_networks(self, old_nets: list[dict[str, Any]], new_nets: list[dict[str, Any]],
                                      ifaces: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Match old entries to the server's interfaces, then new entries to old ones; what matched
        leaves both lists and is returned."""
        props = []
        for iface in ifaces:
            fixed = (iface.get("fixed_ips") or [{}])[0]
            props.append({"port": iface["port_id"], "network": iface["net_id"],
                          "fixed_ip": fixed.get("ip_address"), "subnet": fixed.get("subnet_id")})
        for old in old_nets:
            if old["port"] is None:
                old["network"] = self._net_id(old)
            reduced = {k: old[k] for k in self._IFACE_KEYS if old[k] is not None}
            match = _find_best_match(props, reduced)
            if match is not None:
                old.update(match)
                props.remove(match)
        kept = []
        for new in list(new_nets):
            reduced = {k: v for k, v in new.items() if k not in self._IFACE_KEYS or v is not None}
            match = _find_best_match(old_nets, reduced)
            if match is not None:
                kept.append(match)
                new_nets.remove(new)
                old_nets.remove(match)
        return kept

    def _attach_args(self, net: dict[str, Any], idx: int) -> dict[str, Any]:
        groups = self.properties["security_groups"]
        if not net:
            return {"security_groups": self._group_ids(groups)} if groups else {}
        port = self._port_id(net.get("port")) or (self._create_internal_port(net, idx) if net.get("subnet")
                                                 else None)
        args: dict[str, Any] = {"port_id": port} if port else {"net_id": self._net_id(net)}
        if not port and net.get("fixed_ip"):
            args["fixed_ips"] = [{"ip_address": net["fixed_ip"]}]
        if not port and groups:
            args["security_groups"] = self._group_ids(groups)
        if net.get("floating_ip") and port:
            fip: dict[str, Any] = {"port_id": port}
            if net.get("fixed_ip"):
                fip["fixed_ip_address"] = net["fixed_ip"]
            self.client("network").put(f"/floatingips/{net['floating_ip']}", json={"floatingip": fip})
        if net.get("tag"):
            args["tag"] = net["tag"]
        return args

    def _group_ids(self, groups: list[str]) -> list[str]:
        network = self.client("network")
        return [str(network.find("security-groups", sg, "security_group")["id"]) for sg in groups]

    def _delete_internal_port(self, port_id: str) -> None:
        if port_id in (self.data.get("internal_ports") or []):
            try:
                self.client("network").delete(f"/ports/{port_id}")
            except ClientError as exc:
                if exc.status != 404:
                    raise
            self.data["internal_ports"].remove(port_id)

    def _disassociate(self, fip: str) -> None:
        try:
            self.client("network").put(f"/floatingips/{fip}", json={"floatingip": {"port_id": None}})
        except ClientError as exc:
            if exc.status != 404:
                raise

    # --- delete, suspend, resume -----------------------------------------------------
    def handle_delete(self) -> None:
        if self.resource_id is not None:
            for net in self.data.get("networks") or []:
                if net.get("floating_ip"):
                    self._disassociate(net["floating_ip"])
            self.client("compute").delete(f"/servers/{self.resource_id}")

    def check_delete_complete(self) -> bool:
        if self.resource_id is not None:
            try:
                server = self._get()
            except ClientError as exc:
                if exc.status != 404:
                    raise
            else:
                if server["status"] == "ERROR":
                    fault = server.get("fault") or {}
                    raise ResourceError(f"Server {server['name']} delete failed: ({fault.get('code', 500)}) "
                                        f"{fault.get('message', 'Unknown')}")
                if server["status"] != "DELETED":
                    return False
        for port in list(self.data.get("internal_ports") or []):
            self._delete_internal_port(port)
        return True

    def handle_suspend(self) -> None:
        if self._get()["status"] != "SUSPENDED":
            self._action({"suspend": None})

    def check_suspend_complete(self) -> bool:
        return self._wait_for("SUSPENDED", "Suspend")

    def handle_resume(self) -> None:
        if self._get()["status"] != "ACTIVE":
            self._action({"resume": None})

    def check_resume_complete(self) -> bool:
        return self._wait_for("ACTIVE", "Resume")

    def _wait_for(self, wanted: str, what: str) -> bool:
        server = self._get()
        if server["status"] == wanted and not server.get("OS-EXT-STS:task_state"):
            return True
        if server["status"] in ("ACTIVE", "SUSPENDED", "BUILD", "REBOOT", "HARD_REBOOT", "RESIZE"):
            return False
        raise ResourceError(f"{what} of server {server['name']} failed with unknown status: {server['status']}")

    # --- attributes ---------------------------------------------------------------
    def resolve_attribute(self, name: str) -> Any:
        if self.resource_id is None:
            return None
        if name == "name":
            return self._server_name()
        if name == "os_collect_config":
            return self.metadata.get("os-collect-config", {})
        try:
            server = self._get()
        except ClientError as exc:
            if exc.status == 404:
                return ""
            raise
        if name == "first_address":
            nets = _networks(server)
            return next((nets[n][0] for n in sorted(nets, reverse=True) if nets[n]), "")
        if name == "networks":
            return self._extend_networks(_networks(server))
        if name == "addresses":
            return self._extend_networks(self._addresses())
        if name == "instance_name":
            return server.get("OS-EXT-SRV-ATTR:instance_name")
        if name in ("accessIPv4", "accessIPv6"):
            return server.get(name)
        if name == "console_urls":
            return self._console_urls()
        if name == "tags":
            return self.client("compute").get(f"/servers/{self.resource_id}/tags")["tags"]
        return None

    def _addresses(self) -> dict[str, list[dict[str, Any]]]:
        network, nets = self.client("network"), {}   # type: ignore[var-annotated]
        for port in network.get("/ports", params={"device_id": self.resource_id})["ports"]:
            net = network.get(f"/networks/{port['network_id']}")["network"]
            entries = nets.setdefault(net["name"], [])
            subnets = [network.get(f"/subnets/{f['subnet_id']}")["subnet"] for f in port["fixed_ips"]
                       if f.get("subnet_id")]
            for fixed in port["fixed_ips"]:
                addr = fixed.get("ip_address")
                version = ipaddress.ip_address(addr).version if addr else None
                fips = network.get("/floatingips", params={"fixed_ip_address": addr})["floatingips"] if addr else []
                entries += [{"addr": f["floating_ip_address"], "version": version, "OS-EXT-IPS-MAC:mac_addr":
                             port["mac_address"], "OS-EXT-IPS:type": "floating", "port": None} for f in fips]
                entries.append({"addr": addr, "version": version, "OS-EXT-IPS-MAC:mac_addr": port["mac_address"],
                                "OS-EXT-IPS:type": "fixed", "port": port["id"], "subnets": subnets,
                                "network": net})
        return nets

    def _extend_networks(self, nets: dict[str, Any]) -> dict[str, Any]:
        """The same entries again under each network's id (Heat's _extend_networks)."""
        out = dict(nets)
        for label in nets:
            try:
                out[_network_id(self.stack.clients, label)] = nets[label]
            except ClientError as exc:
                if exc.status not in (404, 409):
                    raise
        return out

    def _console_urls(self) -> dict[str, str]:
        try:
            body = self.client("compute").post(f"/servers/{self.resource_id}/remote-consoles",
                                               json={"remote_console": {"protocol": "vnc", "type": "novnc"}})
        except ClientError:
            return {}
        return {"novnc": body["remote_console"]["url"]}


def _str_network(nets: list[dict[str, Any]]) -> str | None:
    """The `allocate_network` value (auto or none) of a networks list, if any."""
    return next((n["allocate_network"] for n in nets if n.get("allocate_network")), None)


def _find_best_match(candidates: list[dict[str, Any]], wanted: dict[str, Any]) -> dict[str, Any] | None:
    """Heat's _find_best_match: the first candidate holding all of `wanted` (by port, else by
    fixed_ip, else by the largest shared subset, which for a subset is all of `wanted`)."""
    if not wanted:
        return None
    return next((c for c in candidates if all(c.get(k) == v for k, v in wanted.items())), None)


def _networks(server: dict[str, Any]) -> dict[str, list[str]]:
    """novaclient's Server.networks: label -> its addresses."""
    return {label: [a["addr"] for a in addrs] for label, addrs in (server.get("addresses") or {}).items()}


# --- OS::Nova::Flavor, KeyPair, ServerGroup ---------------------------------------------

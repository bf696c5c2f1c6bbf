"""OS::Nova::Flavor, KeyPair and ServerGroup (heat/engine/resources/openstack/nova/flavor.py,
keypair.py, server_group.py)."""

from __future__ import annotations

import json
from typing import Any

from pocketstack.services.orchestration.engine.properties import Custom, Length, Prop
from pocketstack.services.orchestration.engine.resource import (
    Attr, Resource)
from pocketstack.services.orchestration.engine.resources.nova.common import _enum

# --- name resolution and constraints ----------------------------------------------------



class Flavor(Resource):
    type_name = "OS::Nova::Flavor"
    description = "A resource for creating OpenStack virtual hardware templates."
    properties_schema = {
        "tenants": Prop("list", "List of tenants.", default=[], update_allowed=True,
                        schema=Prop("string", "A tenant that may use this private flavor.",
                                    constraints=[Custom(name="keystone.project")])),
        "flavorid": Prop("string", "Unique ID of the flavor; an UUID is generated if not specified."),
        "name": Prop("string", "Name of the flavor."),
        "ram": Prop("integer", "Memory in MB for the flavor.", required=True),
        "vcpus": Prop("integer", "Number of VCPUs for the flavor.", required=True),
        "disk": Prop("integer", "Size of local disk in GB.", default=0),
        "swap": Prop("integer", "Swap space in MB.", default=0),
        "ephemeral": Prop("integer", "Size of a secondary ephemeral data disk in GB.", default=0),
        "rxtx_factor": Prop("number", "RX/TX factor.", default=1.0),
        "extra_specs": Prop("map", "Key/Value pairs to extend the capabilities of the flavor.", update_allowed=True),
        "is_public": Prop("boolean", "Scope of flavor accessibility. Public or private.", default=True),
    }
    attributes_schema = {"is_public": Attr("Whether the flavor is shared across all projects.", "boolean"),
                         "extra_specs": Attr("Extra specs of the flavor in key-value pairs.", "map")}
    entity = ("compute", "/flavors/{id}", "flavor")

    def handle_create(self) -> None:
        p, compute = self.properties, self.client("compute")
        body = {"name": p["name"] or self.physical_resource_name(), "id": p["flavorid"] or None, "ram": p["ram"],
                "vcpus": p["vcpus"], "disk": p["disk"], "swap": p["swap"], "OS-FLV-EXT-DATA:ephemeral":
                p["ephemeral"], "rxtx_factor": p["rxtx_factor"], "os-flavor-access:is_public": p["is_public"]}
        flavor = compute.post("/flavors", json={"flavor": body})["flavor"]
        self.resource_id_set(flavor["id"])
        if p["extra_specs"]:
            compute.post(f"/flavors/{self.resource_id}/os-extra_specs",
                         json={"extra_specs": _specs(p["extra_specs"])})
        if not p["is_public"]:
            for tenant in self._tenants() or [self.stack.project_id]:
                self._access("addTenantAccess", tenant)

    def _tenants(self) -> list[str]:
        identity = self.client("identity")
        return [str(identity.find("projects", t, "project")["id"]) for t in self.properties["tenants"] or []]

    def _access(self, action: str, tenant: str) -> None:
        self.client("compute").post(f"/flavors/{self.resource_id}/action", json={action: {"tenant": tenant}})

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        compute, base = self.client("compute"), f"/flavors/{self.resource_id}"
        if "extra_specs" in prop_diff:
            for key in compute.get(f"{base}/os-extra_specs")["extra_specs"]:
                compute.delete(f"{base}/os-extra_specs/{key}")
            if prop_diff["extra_specs"]:
                compute.post(f"{base}/os-extra_specs", json={"extra_specs": _specs(prop_diff["extra_specs"])})
        if "tenants" in prop_diff and not self.properties["is_public"]:
            old = {a["tenant_id"] for a in compute.get(f"{base}/os-flavor-access")["flavor_access"]}
            new = set(self._tenants())
            for tenant in old - new:
                self._access("removeTenantAccess", tenant)
            for tenant in new - old:
                self._access("addTenantAccess", tenant)

    def resolve_attribute(self, name: str) -> Any:
        if self.resource_id is None:
            return None
        base = f"/flavors/{self.resource_id}"
        if name == "is_public":
            return self.client("compute").get(base)["flavor"]["os-flavor-access:is_public"]
        if name == "extra_specs":
            return self.client("compute").get(f"{base}/os-extra_specs")["extra_specs"]
        return None


def _specs(specs: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in specs.items()}


class KeyPair(Resource):
    type_name = "OS::Nova::KeyPair"
    description = "A resource for creating Nova key pairs."
    properties_schema = {
        "name": Prop("string", "The name of the key pair.", required=True, constraints=[Length(min=1, max=255)]),
        "save_private_key": Prop("boolean", "True if the system should remember a generated private key.",
                                 default=False),
        "public_key": Prop("string", "The optional public key; without one, a new key pair is generated."),
        "type": Prop("string", "Keypair type. Supported since Nova api version 2.2.", constraints=_enum("ssh", "x509")),
        "user": Prop("string", "ID or name of user to whom to add key-pair (administrators only).",
                     constraints=[Custom(name="keystone.user")]),
    }
    attributes_schema = {"public_key": Attr("The public key.", "string"),
                         "private_key": Attr("The private key if it has been saved.", "string")}
    entity = ("compute", "/os-keypairs/{id}", "keypair")

    def _user_id(self) -> str | None:
        user = self.properties["user"]
        return str(self.client("identity").find("users", user, "user")["id"]) if user else None

    def handle_create(self) -> None:
        body = {"name": self.properties["name"]}
        if self.properties["public_key"]:
            body["public_key"] = self.properties["public_key"]
        if self.properties["type"]:
            body["type"] = self.properties["type"]
        user_id = self._user_id()
        if user_id:
            body["user_id"] = user_id
            self.data["user_id"] = user_id
        keypair = self.client("compute").post("/os-keypairs", json={"keypair": body})["keypair"]
        if self.properties["save_private_key"] and keypair.get("private_key"):
            self.data["private_key"] = keypair["private_key"]
        self.data["public_key"] = keypair.get("public_key")
        self.resource_id_set(keypair["name"])

    def _params(self) -> dict[str, Any] | None:
        return {"user_id": self.data["user_id"]} if self.data.get("user_id") else None

    def handle_delete(self) -> None:
        if self.resource_id is not None:
            self.client("compute").delete(f"/os-keypairs/{self.resource_id}", params=self._params())

    def handle_check(self) -> None:
        self.client("compute").get(f"/os-keypairs/{self.resource_id}", params=self._params())

    def resolve_attribute(self, name: str) -> Any:
        if name == "private_key":
            return str(self.data.get("private_key", ""))
        if name == "public_key":
            if self.properties["public_key"]:
                return self.properties["public_key"]
            if self.data.get("public_key"):
                return self.data["public_key"]
            if self.resource_id:
                return self.client("compute").get(f"/os-keypairs/{self.resource_id}",
                                                  params=self._params())["keypair"]["public_key"]
        return None


class ServerGroup(Resource):
    type_name = "OS::Nova::ServerGroup"
    description = "A resource for managing a Nova server group."
    properties_schema = {
        "name": Prop("string", "Server Group name."),
        "policies": Prop("list", "A list of exactly one policy to apply. Defaults to anti-affinity.",
                         default=["anti-affinity"], schema=Prop("string"),
                         constraints=_enum("anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity")),
        "rules": Prop("map", "A dict of rules to apply to the policy (since nova microversion 2.64)."),
    }
    entity = ("compute", "/os-server-groups/{id}", "server_group")

    def handle_create(self) -> None:
        # at 2.64+ nova takes one `policy` and its `rules` (Heat sends policies[0])
        body: dict[str, Any] = {"name": self.properties["name"] or self.physical_resource_name(),
                                "policy": (self.properties["policies"] or ["anti-affinity"])[0]}
        if self.properties["rules"]:
            body["rules"] = self.properties["rules"]
        group = self.client("compute").post("/os-server-groups", json={"server_group": body})["server_group"]
        self.resource_id_set(group["id"])



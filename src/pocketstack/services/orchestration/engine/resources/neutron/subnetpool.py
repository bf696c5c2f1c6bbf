"""OS::Neutron::SubnetPool, AddressScope and RBACPolicy (heat/engine/resources/openstack/neutron/
subnetpool.py, address_scope.py, rbac_policy.py)."""

from __future__ import annotations

import ipaddress
from typing import Any

from pocketstack.services.orchestration.engine.properties import (
    AllowedValues, Custom, Length, Prop, Range, ValidationError)
from pocketstack.services.orchestration.engine.resources.neutron.base import HeatError, NeutronResource
from pocketstack.services.orchestration.engine.resources.neutron.net import tags


def covered(old: list[str], new: list[str]) -> bool:
    """Heat's is_prefix_subset: every address of the old prefixes is inside the new ones."""
    merged: dict[int, list[Any]] = {}
    for text in new:
        net = ipaddress.ip_network(text, strict=False)
        merged.setdefault(net.version, []).append(net)
    blocks = {v: list(ipaddress.collapse_addresses(nets)) for v, nets in merged.items()}
    for text in old:
        net = ipaddress.ip_network(text, strict=False)
        if not any(net.subnet_of(block) for block in blocks.get(net.version, [])):
            return False
    return True


def prefixlen(description: str) -> Prop:
    return Prop("integer", description, update_allowed=True, constraints=[Range(min=0)])


class SubnetPool(NeutronResource):
    type_name = "OS::Neutron::SubnetPool"
    description = "A resource that implements neutron subnet pool."
    collection, body_key = "subnetpools", "subnetpool"
    properties_schema = {
        "name": Prop("string", "Name of the subnet pool.", update_allowed=True),
        "prefixes": Prop("list", "List of subnet prefixes to assign.", required=True, update_allowed=True,
                         constraints=[Length(min=1)],
                         schema=Prop("string", constraints=[Custom(name="net_cidr")])),
        "address_scope": Prop("string", "An address scope ID to assign to the subnet pool.", update_allowed=True,
                              constraints=[Custom(name="neutron.address_scope")]),
        "default_quota": Prop("integer", "A per-tenant quota on the prefix space that can be allocated from the "
                              "subnet pool for tenant subnets.", update_allowed=True, constraints=[Range(min=0)]),
        "default_prefixlen": prefixlen("The size of the prefix to allocate when the cidr or prefixlen attributes "
                                       "are not specified while creating a subnet."),
        "min_prefixlen": prefixlen("Smallest prefix size that can be allocated from the subnet pool."),
        "max_prefixlen": prefixlen("Maximum prefix size that can be allocated from the subnet pool."),
        "is_default": Prop("boolean", "Whether this is default IPv4/IPv6 subnet pool. There can only be one "
                           "default subnet pool for each IP family. Note that the default policy setting restricts "
                           "administrative users to set this to True.", default=False, update_allowed=True),
        "tenant_id": Prop("string", "The ID of the tenant who owns the subnet pool. Only administrative users can "
                          "specify a tenant ID other than their own."),
        "shared": Prop("boolean", "Whether the subnet pool will be shared across all tenants. Note that the "
                       "default policy setting restricts usage of this attribute to administrative users only.",
                       default=False),
        "tags": tags("subnetpool"),
    }

    def validate(self) -> None:
        low, default, high = (self.properties.get(k) for k in ("min_prefixlen", "default_prefixlen",
                                                                "max_prefixlen"))
        pairs = [("max_prefixlen", high, "min_prefixlen", low)] if low and high and low > high else []
        if default and high and default > high:
            pairs.append(("max_prefixlen", high, "default_prefixlen", default))
        if default and low and low > default:
            pairs.append(("min_prefixlen", low, "default_prefixlen", default))
        if pairs:
            k1, v1, k2, v2 = pairs[0]
            raise ValidationError(f"Illegal prefix bounds: {k1}={v1}, {k2}={v2}.")

    def handle_create(self) -> None:
        body = self.prepare()
        if body.get("address_scope"):
            body["address_scope_id"] = self.find_id("address_scope", body.pop("address_scope"))
        tag_list = body.pop("tags", None)
        self.create(body)
        if tag_list:
            self.set_tags(tag_list)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        diff = self.prepare_update(prop_diff)
        if "prefixes" in diff:
            old = self.live()["prefixes"]
            if not covered(old, diff["prefixes"]):
                raise HeatError("StackValidationFailed", f"Property prefixes updated value "
                                f"{sorted(diff['prefixes'])} should be superset of existing value {sorted(old)}.")
        if "address_scope" in diff:
            diff["address_scope_id"] = self.find_id("address_scope", diff.pop("address_scope"))
        if "tags" in diff:
            self.set_tags(diff.pop("tags"))
        self.update(diff)


class AddressScope(NeutronResource):
    type_name = "OS::Neutron::AddressScope"
    description = "A resource for Neutron address scope."
    collection, body_key = "address-scopes", "address_scope"
    properties_schema = {
        "name": Prop("string", "The name for the address scope.", update_allowed=True),
        "shared": Prop("boolean", "Whether the address scope should be shared to other tenants. Note that the "
                       "default policy setting restricts usage of this attribute to administrative users only, and "
                       "restricts changing of shared address scope to unshared with update.", default=False,
                       update_allowed=True),
        "tenant_id": Prop("string", "The owner tenant ID of the address scope. Only administrative users can "
                          "specify a tenant ID other than their own.", constraints=[Custom(name="keystone.project")]),
        "ip_version": Prop("integer", "Address family of the address scope, which is 4 or 6.", default=4,
                           constraints=[AllowedValues(allowed=[4, 6])]),
    }

    def handle_create(self) -> None:
        self.create(self.prepare())

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        self.update(self.prepare_update(prop_diff))


RBAC_ACTIONS = {"network": ["access_as_shared", "access_as_external"], "qos_policy": ["access_as_shared"]}


class RBACPolicy(NeutronResource):
    type_name = "OS::Neutron::RBACPolicy"
    description = "A Resource for managing RBAC policy in Neutron."
    collection, body_key = "rbac-policies", "rbac_policy"
    properties_schema = {
        "object_type": Prop("string", "Type of the object that RBAC policy affects.", required=True,
                            constraints=[AllowedValues(allowed=list(RBAC_ACTIONS))]),
        "target_tenant": Prop("string", "ID of the tenant to which the RBAC policy will be enforced.",
                              required=True, update_allowed=True),
        "action": Prop("string", "Action for the RBAC policy. The allowed actions differ for different object "
                       "types - only network objects can have an access_as_external action.", required=True,
                       constraints=[AllowedValues(allowed=["access_as_shared", "access_as_external"])]),
        "object_id": Prop("string", "ID or name of the RBAC object.", required=True),
        "tenant_id": Prop("string", "The owner tenant ID. Only required if the caller has an administrative role "
                          "and wants to create a RBAC for another tenant."),
    }

    def validate(self) -> None:
        action, kind = self.properties.get("action"), self.properties.get("object_type")
        valid = RBAC_ACTIONS.get(str(kind), [])
        if action not in valid:
            raise ValidationError(f'Invalid action "{action}" for object type {kind}. Valid actions: '
                                  f"{', '.join(valid)}", ["resources", self.name, "properties", "action"],
                                  error="Property error")

    def handle_create(self) -> None:
        body = self.prepare()
        finder = "policy" if body["object_type"] == "qos_policy" else body["object_type"]
        body["object_id"] = self.find_id(finder, body["object_id"])
        self.create(body)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        self.update(dict(prop_diff))

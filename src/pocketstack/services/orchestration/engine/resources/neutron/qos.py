"""OS::Neutron::QoSPolicy and its rule types (heat/engine/resources/openstack/neutron/qos.py)."""

from __future__ import annotations

from typing import Any, ClassVar

from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop, Range
from pocketstack.services.orchestration.engine.resource import Attr
from pocketstack.services.orchestration.engine.resources.neutron.base import NeutronResource

DSCP_MARKS = [0, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 46, 48, 56]
ADMIN_ONLY = "The default policy usage of this resource is limited to administrators only."


class QoSPolicy(NeutronResource):
    type_name = "OS::Neutron::QoSPolicy"
    description = f"A resource for Neutron QoS Policy. {ADMIN_ONLY}"
    collection, body_key = "qos/policies", "policy"
    properties_schema = {
        "name": Prop("string", "The name for the QoS policy.", update_allowed=True),
        "description": Prop("string", "The description for the QoS policy.", update_allowed=True),
        "shared": Prop("boolean", "Whether this QoS policy should be shared to other tenants.", default=False,
                       update_allowed=True),
        "tenant_id": Prop("string", "The owner tenant ID of this QoS policy."),
    }
    attributes_schema = {"rules": Attr("A list of all rules for the QoS policy.", "list")}

    def handle_create(self) -> None:
        self.create(self.prepare())

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        self.update(self.prepare_update(prop_diff))


class QoSRule(NeutronResource):
    """A rule lives under its policy: /qos/policies/{policy_id}/<kind>s/{id}."""

    properties_schema = {
        "policy": Prop("string", "ID or name of the QoS policy.", required=True,
                       constraints=[Custom(name="neutron.qos_policy")]),
        "tenant_id": Prop("string", "The owner tenant ID of this rule."),
    }
    rule_schema: ClassVar[dict[str, Prop]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls.properties_schema = {**cls.rule_schema, **QoSRule.properties_schema}

    def policy_id(self) -> str:
        if "policy_id" not in self.data:
            self.data["policy_id"] = self.find_id("policy", self.properties["policy"])
        return str(self.data["policy_id"])

    def item_path(self) -> str:
        return f"/qos/policies/{self.policy_id()}/{self.body_key}s/{self.resource_id}"

    def handle_create(self) -> None:
        body = self.prepare()
        body.pop("policy")
        made = self.neutron.post(f"/qos/policies/{self.policy_id()}/{self.body_key}s", json={self.body_key: body})
        self.resource_id_set(made[self.body_key]["id"])

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        self.update(dict(prop_diff))


DIRECTION = "Traffic direction from the point of view of the port."


class QoSBandwidthLimitRule(QoSRule):
    type_name = "OS::Neutron::QoSBandwidthLimitRule"
    description = f"A resource for Neutron QoS bandwidth limit rule. {ADMIN_ONLY}"
    body_key = "bandwidth_limit_rule"
    rule_schema = {
        "max_kbps": Prop("integer", "Max bandwidth in kbps.", required=True, update_allowed=True,
                         constraints=[Range(min=0)]),
        "max_burst_kbps": Prop("integer", "Max burst bandwidth in kbps.", default=0, update_allowed=True,
                               constraints=[Range(min=0)]),
        "direction": Prop("string", DIRECTION, default="egress", update_allowed=True,
                          constraints=[AllowedValues(allowed=["egress", "ingress"])]),
    }


class QoSDscpMarkingRule(QoSRule):
    type_name = "OS::Neutron::QoSDscpMarkingRule"
    description = f"A resource for Neutron QoS DSCP marking rule. {ADMIN_ONLY}"
    body_key = "dscp_marking_rule"
    rule_schema = {
        "dscp_mark": Prop("integer", "DSCP mark between 0 and 56, except 2-6, 42, 44, and 50-54.", required=True,
                          update_allowed=True, constraints=[AllowedValues(allowed=DSCP_MARKS)]),
    }


class QoSMinimumBandwidthRule(QoSRule):
    type_name = "OS::Neutron::QoSMinimumBandwidthRule"
    description = f"A resource for guaranteeing bandwidth. {ADMIN_ONLY}"
    body_key = "minimum_bandwidth_rule"
    rule_schema = {
        "min_kbps": Prop("integer", "Min bandwidth in kbps.", required=True, update_allowed=True,
                         constraints=[Range(min=0)]),
        "direction": Prop("string", DIRECTION, default="egress", update_allowed=True,
                          constraints=[AllowedValues(allowed=["egress", "ingress"])]),
    }

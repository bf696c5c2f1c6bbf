"""OS::Neutron::SecurityGroup and SecurityGroupRule (heat/engine/resources/openstack/neutron/security_group.py,
security_group_rule.py)."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.properties import AllowedValues, Custom, Prop, Range, ValidationError
from pocketstack.services.orchestration.engine.resources.neutron.base import NeutronResource, conflict

DIRECTION = ("The direction in which the security group rule is applied. For a compute instance, an ingress "
             "security group rule matches traffic that is incoming (ingress) for that instance. An egress rule is "
             "applied to traffic leaving the instance.")
PORT_MIN = ("The minimum port number in the range that is matched by the security group rule. If the protocol is "
            "TCP or UDP, this value must be less than or equal to the value of the port_range_max attribute. If the "
            "protocol is ICMP, this value must be an ICMP type.")
PORT_MAX = ("The maximum port number in the range that is matched by the security group rule. The port_range_min "
            "attribute constrains the port_range_max attribute. If the protocol is ICMP, this value must be an ICMP "
            "%s.")
REMOTE_PREFIX = "The remote IP prefix (CIDR) to be associated with this security group rule."
PROTOCOLS: list[Any] = [*range(256), "ah", "dccp", "egp", "esp", "gre", "icmp", "icmpv6", "igmp", "ipv6-encap",
                        "ipv6-frag", "ipv6-icmp", "ipv6-nonxt", "ipv6-opts", "ipv6-route", "ospf", "pgm", "rsvp",
                        "sctp", "tcp", "udp", "udplite", "vrrp"]
# neutron creates these in every new group; Heat puts them back when it resets a group's rules
DEFAULT_EGRESS = [{"direction": "egress", "ethertype": "IPv4"}, {"direction": "egress", "ethertype": "IPv6"}]


def common_rule_props() -> dict[str, Prop]:
    return {
        "direction": Prop("string", DIRECTION, default="ingress",
                          constraints=[AllowedValues(allowed=["ingress", "egress"])]),
        "ethertype": Prop("string", "Ethertype of the traffic.", default="IPv4",
                          constraints=[AllowedValues(allowed=["IPv4", "IPv6"])]),
        "port_range_min": Prop("integer", PORT_MIN, constraints=[Range(min=0, max=65535)]),
        "port_range_max": Prop("integer", PORT_MAX % "type", constraints=[Range(min=0, max=65535)]),
    }


RULE = {
    **common_rule_props(),
    "protocol": Prop("string", "The protocol that is matched by the security group rule. Valid values include "
                     "tcp, udp, and icmp."),
    "remote_mode": Prop("string", "Whether to specify a remote group or a remote IP prefix.",
                        default="remote_ip_prefix",
                        constraints=[AllowedValues(allowed=["remote_ip_prefix", "remote_group_id"])]),
    "remote_group_id": Prop("string", "The remote group ID to be associated with this security group rule. If no "
                            "value is specified then this rule will use this security group for the "
                            'remote_group_id. The remote mode parameter must be set to "remote_group_id".',
                            constraints=[Custom(name="neutron.security_group")]),
    "remote_ip_prefix": Prop("string", REMOTE_PREFIX, constraints=[Custom(name="net_cidr")]),
}


def port_strings(rule: dict[str, Any]) -> dict[str, Any]:
    # quirk: Heat sends the port range as strings; neutron converts them
    for key in ("port_range_min", "port_range_max"):
        if rule.get(key) is not None:
            rule[key] = str(rule[key])
    return rule


class SecurityGroup(NeutronResource):
    type_name = "OS::Neutron::SecurityGroup"
    description = "A resource for managing Neutron security groups."
    collection, body_key = "security-groups", "security_group"
    properties_schema = {
        "name": Prop("string", "A string specifying a symbolic name for the security group, which is not "
                     "required to be unique.", update_allowed=True),
        "description": Prop("string", "Description of the security group.", update_allowed=True),
        "rules": Prop("list", "List of security group rules.", default=[], update_allowed=True,
                      schema=Prop("map", schema=RULE)),
    }

    def validate(self) -> None:
        if self.properties.get("name") == "default":
            raise ValidationError('Security groups cannot be assigned the name "default".')

    def handle_create(self) -> None:
        body = self.prepare()
        rules = body.pop("rules", [])
        self.create(body)
        self.create_rules(rules)

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        diff = self.prepare_update(prop_diff)
        rules = None
        if "rules" in diff:
            rules = diff.pop("rules")
            self.delete_rules()
            self.create_rules(DEFAULT_EGRESS)
        self.update(diff)
        if rules:
            self.create_rules(rules)

    def handle_delete(self) -> None:
        if self.resource_id is None:
            return
        self.delete_rules()
        super().handle_delete()

    def rule_body(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Heat's _format_rule: remote_mode picks which remote field is sent."""
        out = {**rule, "security_group_id": self.resource_id}
        if "remote_mode" in out:
            if out.pop("remote_mode") == "remote_group_id":
                out["remote_ip_prefix"] = None
                out["remote_group_id"] = self.find_id("security_group", out.get("remote_group_id")) \
                    or self.resource_id
            else:
                out["remote_group_id"] = None
        return port_strings(out)

    def create_rules(self, rules: list[dict[str, Any]]) -> None:
        egress_cleared = False
        for rule in rules:
            # the first egress rule replaces neutron's default allow-all egress rules
            if rule.get("direction") == "egress" and not egress_cleared:
                egress_cleared = True
                self.delete_rules("egress")
            try:
                self.neutron.post("/security-group-rules", json={"security_group_rule": self.rule_body(rule)})
            except ClientError as exc:
                if exc.status != 409:        # the rule is already there
                    raise

    def delete_rules(self, direction: str | None = None) -> None:
        group = self.show()
        for rule in (group or {}).get("security_group_rules") or []:
            if direction is None or rule["direction"] == direction:
                self.neutron.delete(f"/security-group-rules/{rule['id']}")


class SecurityGroupRule(NeutronResource):
    type_name = "OS::Neutron::SecurityGroupRule"
    description = "A resource for managing Neutron security group rules."
    collection, body_key = "security-group-rules", "security_group_rule"
    properties_schema = {
        "security_group": Prop("string", "Security group name or ID to add rule.", required=True,
                               constraints=[Custom(name="neutron.security_group")]),
        "description": Prop("string", "Description of the security group rule."),
        **common_rule_props(),
        "protocol": Prop("string", "The protocol that is matched by the security group rule. Allowed values are "
                         "ah, dccp, egp, esp, gre, icmp, icmpv6, igmp, ipv6-encap, ipv6-frag, ipv6-icmp, "
                         "ipv6-nonxt, ipv6-opts, ipv6-route, ospf, pgm, rsvp, sctp, tcp, udp, udplite, vrrp and "
                         "integer representations [0-255].", default="tcp",
                         constraints=[AllowedValues(allowed=PROTOCOLS)]),
        "remote_group": Prop("string", "The remote group name or ID to be associated with this security group "
                             "rule.", constraints=[Custom(name="neutron.security_group")]),
        "remote_ip_prefix": Prop("string", REMOTE_PREFIX, constraints=[Custom(name="net_cidr")]),
    }
    properties_schema["port_range_max"] = Prop("integer", PORT_MAX % "code", constraints=[Range(min=0, max=65535)])

    def validate(self) -> None:
        p = self.properties
        if p.get("remote_group") is not None and p.get("remote_ip_prefix") is not None:
            raise conflict("remote_group", "remote_ip_prefix")
        low, high = p.get("port_range_min"), p.get("port_range_max")
        if (low is not None and high is not None and p.get("protocol") not in ("icmp", "icmpv6", "ipv6-icmp")
                and high < low):
            raise ValidationError("The minimum port number must be less than or equal to the maximum port number.")

    def handle_create(self) -> None:
        body = self.prepare()
        body["security_group_id"] = self.find_id("security_group", body.pop("security_group"))
        if "remote_group" in body:
            body["remote_group_id"] = self.find_id("security_group", body.pop("remote_group"))
        self.create(port_strings(body))

"""Networking policy rules: upstream names and (new-default) check strings, neutron/conf/policies/*.py.

Visibility (shared and external networks, other projects' resources) is applied in logic and
answers 404 as neutron does; these rules then decide between 200 and 403. Attribute rules such
as `create_network:shared` are enforced by logic when the attribute is set to a non-default value.
"""

from __future__ import annotations

from pocketstack.core.policy import RuleDefault, rule

ADMIN = "rule:admin_only"
MEMBER = "role:member and project_id:%(project_id)s"
READER = "role:reader and project_id:%(project_id)s"
ADMIN_OR_MEMBER = f"({ADMIN}) or ({MEMBER})"
ADMIN_OR_READER = f"({ADMIN}) or ({READER})"
SHARED_READER = f"{ADMIN_OR_READER} or 'True':%(shared)s or 'True':%(external)s"
NET_OWNER_MEMBER = f"({ADMIN}) or (role:member and project_id:%(network_project_id)s)"
NET_OWNER_OR_MEMBER = f"{ADMIN_OR_MEMBER} or (role:member and project_id:%(network_project_id)s)"
ANY_MEMBER = f"({ADMIN}) or role:member"
ANY_READER = f"({ADMIN}) or role:reader"
V2 = "/v2.0"

RULES: list[RuleDefault] = [
    RuleDefault("context_is_admin", "role:admin", "Rule for cloud admin access"),
    RuleDefault("admin_only", "rule:context_is_admin", "Rule for admin-only access"),
    RuleDefault("admin_or_owner", "rule:context_is_admin or project_id:%(project_id)s",
                "Rule for admin or owner access"),
    RuleDefault("regular_user", "", "Rule for regular user access"),
    RuleDefault("default", "rule:admin_or_owner", "Default access rule"),
]


def _crud(resource: str, plural: str, *, get: str = ADMIN_OR_READER, write: str = ADMIN_OR_MEMBER,
          create: str | None = None, admin_attrs: dict[str, tuple[str, ...]] | None = None) -> None:
    coll, item = f"{V2}/{plural}", f"{V2}/{plural}/{{id}}"
    RULES.extend([
        rule(f"create_{resource}", create or write, f"Create a {resource}", [("POST", coll)], ["project"]),
        rule(f"get_{resource}", get, f"Get a {resource}", [("GET", coll), ("GET", item)], ["project"]),
        rule(f"update_{resource}", write, f"Update a {resource}", [("PUT", item)], ["project"]),
        rule(f"delete_{resource}", write, f"Delete a {resource}", [("DELETE", item)], ["project"]),
    ])
    for action, attrs in (admin_attrs or {}).items():
        method = {"create": "POST", "get": "GET", "update": "PUT"}[action]
        for attr in attrs:
            RULES.append(rule(f"{action}_{resource}:{attr}", ADMIN, f"{action} `{attr}` of a {resource}",
                              [(method, coll if action == "create" else item)], ["project"]))


PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id", "segments")
_crud("network", "networks", get=SHARED_READER, admin_attrs={
    "create": ("shared", "router:external", "is_default", *PROVIDER),
    "update": ("shared", "router:external", "is_default", *PROVIDER),
    "get": PROVIDER})
_crud("subnet", "subnets", get=f"{SHARED_READER} or (role:reader and project_id:%(network_project_id)s)",
      # neutron defines create/update_subnet:service_types as admin-only but never enforces them: the
      # attribute carries no enforce_policy flag (neutron_lib subnet_service_types)
      write=NET_OWNER_OR_MEMBER, admin_attrs={"create": ("segment_id",),
                                             "update": ("segment_id",),
                                             "get": ("segment_id",)})
_crud("port", "ports", get=f"{ADMIN_OR_READER} or (role:reader and project_id:%(network_project_id)s)",
      write=NET_OWNER_OR_MEMBER, admin_attrs={
          "create": ("binding:host_id", "binding:profile"),
          "update": ("binding:host_id", "binding:profile", "mac_address"),
          "get": ("binding:vif_type", "binding:vif_details", "binding:host_id", "binding:profile",
                  "resource_request")})
RULES.extend([
    rule(f"{a}_port:{attr}", NET_OWNER_MEMBER, f"Specify `{attr}` of a port",
         [("POST" if a == "create" else "PUT", f"{V2}/ports" if a == "create" else f"{V2}/ports/{{id}}")],
         ["project"])
    for a in ("create", "update") for attr in ("fixed_ips:ip_address", "device_owner", "port_security_enabled",
                                               "allowed_address_pairs", "allowed_address_pairs:mac_address")] + [
    rule("create_port:mac_address", NET_OWNER_MEMBER, "Specify `mac_address` of a port",
         [("POST", f"{V2}/ports")], ["project"])])
_crud("security_group", "security-groups", get=f"{ADMIN_OR_READER} or 'True':%(shared)s")
RULES.extend([
    rule("create_security_group_rule", ADMIN_OR_MEMBER, "Create a security group rule",
         [("POST", f"{V2}/security-group-rules")], ["project"]),
    rule("get_security_group_rule", f"{ADMIN_OR_READER} or (role:reader and project_id:%(sg_project_id)s)",
         "Get a security group rule", [("GET", f"{V2}/security-group-rules/{{id}}")], ["project"]),
    rule("delete_security_group_rule", f"{ADMIN_OR_MEMBER} or (role:member and project_id:%(sg_project_id)s)",
         "Delete a security group rule", [("DELETE", f"{V2}/security-group-rules/{{id}}")], ["project"]),
])
_crud("router", "routers", admin_attrs={"create": ("distributed", "ha", "external_gateway_info:enable_snat",
                                                   "external_gateway_info:external_fixed_ips"),
                                        "update": ("distributed", "ha", "external_gateway_info:enable_snat",
                                                   "external_gateway_info:external_fixed_ips"),
                                        "get": ("distributed", "ha")})
RULES.extend([
    rule("add_router_interface", ADMIN_OR_MEMBER, "Add an interface to a router",
         [("PUT", f"{V2}/routers/{{id}}/add_router_interface")], ["project"]),
    rule("remove_router_interface", ADMIN_OR_MEMBER, "Remove an interface from a router",
         [("PUT", f"{V2}/routers/{{id}}/remove_router_interface")], ["project"]),
    rule("add_extraroutes", ADMIN_OR_MEMBER, "Add extra route to a router",
         [("PUT", f"{V2}/routers/{{id}}/add_extraroutes")], ["project"]),
    rule("remove_extraroutes", ADMIN_OR_MEMBER, "Remove extra route from a router",
         [("PUT", f"{V2}/routers/{{id}}/remove_extraroutes")], ["project"]),
])
_crud("subnetpool", "subnetpools", get=SHARED_READER,
      admin_attrs={"create": ("shared", "is_default"), "update": ("is_default",)})
RULES.extend([
    rule(f"{_op}_prefixes", ADMIN_OR_MEMBER, f"{_op.title()} prefixes of a subnetpool",
         [("PUT", f"{V2}/subnetpools/{{id}}/{_op}_prefixes")], ["project"]) for _op in ("add", "remove")])
_crud("floatingip", "floatingips", admin_attrs={"create": ("floating_ip_address",)})
RULES.extend([
    rule("get_quota", ADMIN_OR_READER, "Get resource quota(s)",
         [("GET", f"{V2}/quotas"), ("GET", f"{V2}/quotas/{{project_id}}")], ["project"]),
    rule("update_quota", ADMIN, "Update resource quota", [("PUT", f"{V2}/quotas/{{id}}")], ["project"]),
    rule("delete_quota", ADMIN, "Delete resource quota", [("DELETE", f"{V2}/quotas/{{id}}")], ["project"]),
    rule("get_agent", ADMIN, "Get an agent", [("GET", f"{V2}/agents"), ("GET", f"{V2}/agents/{{id}}")],
         ["project"]),
    rule("update_agent", ADMIN, "Update an agent", [("PUT", f"{V2}/agents/{{id}}")], ["project"]),
    rule("delete_agent", ADMIN, "Delete an agent", [("DELETE", f"{V2}/agents/{{id}}")], ["project"]),
    rule("get_availability_zone", ANY_READER, "List availability zones",
         [("GET", f"{V2}/availability_zones")], ["project"]),
    rule("get_network_ip_availability", ADMIN, "Get network IP availability",
         [("GET", f"{V2}/network-ip-availabilities"), ("GET", f"{V2}/network-ip-availabilities/{{id}}")],
         ["project"]),
    rule("get_extension", "", "Get extensions", [("GET", f"{V2}/extensions")], ["project"]),
    rule("get_floatingip_pool", ADMIN_OR_READER, "Get floating IP pools",
         [("GET", f"{V2}/floatingip_pools"), ("GET", f"{V2}/floatingip-pools")],
         ["project"]),
])
for _res, _plural in (("network", "networks"), ("subnet", "subnets"), ("port", "ports"), ("router", "routers"),
                      ("floatingip", "floatingips"), ("security_group", "security-groups"),
                      ("subnetpool", "subnetpools"), ("policy", "policies")):
    for _verb, _method in (("get", "GET"), ("update", "PUT"), ("delete", "DELETE")):
        RULES.append(rule(f"{_verb}_{_plural.replace('-', '_')}_tags",
                          f"rule:{'get' if _verb == 'get' else 'update'}_{_res}",
                          f"{_verb} the tags of a {_res}", [(_method, f"{V2}/{_plural}/{{id}}/tags")], ["project"]))
# QoS (neutron/conf/policies/qos.py): policies and rules are written by admins, read by the policy's
# project (and anyone when the policy is shared).
_Q = f"{V2}/qos"
RULES.extend([
    rule("get_policy", SHARED_READER, "Get QoS policies", [("GET", f"{_Q}/policies"), ("GET", f"{_Q}/policies/{{id}}")],
         ["project"]),
    rule("create_policy", ADMIN, "Create a QoS policy", [("POST", f"{_Q}/policies")], ["project"]),
    rule("update_policy", ADMIN, "Update a QoS policy", [("PUT", f"{_Q}/policies/{{id}}")], ["project"]),
    rule("delete_policy", ADMIN, "Delete a QoS policy", [("DELETE", f"{_Q}/policies/{{id}}")], ["project"]),
    rule("get_rule_type", ANY_READER, "Get available QoS rule types",
         [("GET", f"{_Q}/rule-types"), ("GET", f"{_Q}/rule-types/{{rule_type}}")], ["project"]),
])
for _rule in ("bandwidth_limit_rule", "minimum_bandwidth_rule", "dscp_marking_rule"):
    _coll = f"{_Q}/policies/{{policy_id}}/{_rule}s"
    _alias = f"{_Q}/alias-{_rule.replace('_', '-')}s/{{rule_id}}"
    RULES.extend([
        rule(f"get_policy_{_rule}", SHARED_READER, f"Get a QoS {_rule}",
             [("GET", _coll), ("GET", _coll + "/{rule_id}")], ["project"]),
        rule(f"create_policy_{_rule}", ADMIN, f"Create a QoS {_rule}", [("POST", _coll)], ["project"]),
        rule(f"update_policy_{_rule}", ADMIN, f"Update a QoS {_rule}", [("PUT", _coll + "/{rule_id}")], ["project"]),
        rule(f"delete_policy_{_rule}", ADMIN, f"Delete a QoS {_rule}", [("DELETE", _coll + "/{rule_id}")],
             ["project"]),
        rule(f"get_alias_{_rule}", f"rule:get_policy_{_rule}", f"Get a QoS {_rule} by alias", [("GET", _alias)],
             ["project"]),
        rule(f"update_alias_{_rule}", f"rule:update_policy_{_rule}", f"Update a QoS {_rule} by alias",
             [("PUT", _alias)], ["project"]),
        rule(f"delete_alias_{_rule}", f"rule:delete_policy_{_rule}", f"Delete a QoS {_rule} by alias",
             [("DELETE", _alias)], ["project"]),
    ])
# trunk (neutron/conf/policies/trunk.py)
_crud("trunk", "trunks")
RULES.extend([
    rule("add_subports", ADMIN_OR_MEMBER, "Add subports to a trunk", [("PUT", f"{V2}/trunks/{{id}}/add_subports")],
         ["project"]),
    rule("remove_subports", ADMIN_OR_MEMBER, "Delete subports from a trunk",
         [("PUT", f"{V2}/trunks/{{id}}/remove_subports")], ["project"]),
    rule("get_subports", ADMIN_OR_READER, "List subports attached to a trunk",
         [("GET", f"{V2}/trunks/{{id}}/get_subports")], ["project"]),
])
for _verb, _method in (("get", "GET"), ("update", "PUT"), ("delete", "DELETE")):
    RULES.append(rule(f"{_verb}_trunks_tags", f"rule:{'get' if _verb == 'get' else 'update'}_trunk",
                      f"{_verb} the tags of a trunk", [(_method, f"{V2}/trunks/{{id}}/tags")], ["project"]))
# Service providers and flavors (neutron/conf/policies/service_type.py, flavor.py).
_F, _S = f"{V2}/flavors", f"{V2}/service_profiles"
RULES.extend([
    rule("get_service_provider", ANY_READER, "Get service providers", [("GET", f"{V2}/service-providers")],
         ["project"]),
    rule("get_flavor", ANY_READER, "Get a flavor", [("GET", _F), ("GET", _F + "/{id}")], ["project"]),
    rule("create_flavor", ADMIN, "Create a flavor", [("POST", _F)], ["project"]),
    rule("update_flavor", ADMIN, "Update a flavor", [("PUT", _F + "/{id}")], ["project"]),
    rule("delete_flavor", ADMIN, "Delete a flavor", [("DELETE", _F + "/{id}")], ["project"]),
    rule("get_service_profile", ADMIN, "Get a service profile", [("GET", _S), ("GET", _S + "/{id}")], ["project"]),
    rule("create_service_profile", ADMIN, "Create a service profile", [("POST", _S)], ["project"]),
    rule("update_service_profile", ADMIN, "Update a service profile", [("PUT", _S + "/{id}")], ["project"]),
    rule("delete_service_profile", ADMIN, "Delete a service profile", [("DELETE", _S + "/{id}")], ["project"]),
    rule("get_flavor_service_profile", ADMIN_OR_READER, "Get a flavor's service profiles",
         [("GET", _F + "/{flavor_id}/service_profiles")], ["project"]),
    rule("create_flavor_service_profile", ADMIN, "Associate a flavor with a service profile",
         [("POST", _F + "/{flavor_id}/service_profiles")], ["project"]),
    rule("delete_flavor_service_profile", ADMIN, "Disassociate a flavor from a service profile",
         [("DELETE", _F + "/{flavor_id}/service_profiles/{profile_id}")], ["project"]),
])
# Agent schedulers (neutron/conf/policies/agent.py): admin only.
_A = f"{V2}/agents/{{id}}"
RULES.extend([
    rule("get_dhcp-networks", ADMIN, "List networks on a DHCP agent", [("GET", _A + "/dhcp-networks")], ["project"]),
    rule("create_dhcp-network", ADMIN, "Add a network to a DHCP agent", [("POST", _A + "/dhcp-networks")],
         ["project"]),
    rule("delete_dhcp-network", ADMIN, "Remove a network from a DHCP agent",
         [("DELETE", _A + "/dhcp-networks/{network_id}")], ["project"]),
    rule("get_dhcp-agents", ADMIN, "List DHCP agents hosting a network",
         [("GET", f"{V2}/networks/{{network_id}}/dhcp-agents")], ["project"]),
    rule("get_l3-routers", ADMIN, "List routers on an L3 agent", [("GET", _A + "/l3-routers")], ["project"]),
    rule("create_l3-router", ADMIN, "Add a router to an L3 agent", [("POST", _A + "/l3-routers")], ["project"]),
    rule("delete_l3-router", ADMIN, "Remove a router from an L3 agent", [("DELETE", _A + "/l3-routers/{router_id}")],
         ["project"]),
    rule("get_l3-agents", ADMIN, "List L3 agents hosting a router", [("GET", f"{V2}/routers/{{router_id}}/l3-agents")],
         ["project"]),
])
# rbac-policies (neutron/conf/policies/rbac.py); a '*' target is admin-only (enforced in rbac_policies.py)
_crud("rbac_policy", "rbac-policies")
RULES.extend([
    rule("get_auto_allocated_topology", ADMIN_OR_READER, "Get a project's auto-allocated topology",
         [("GET", f"{V2}/auto-allocated-topology/{{project_id}}")], ["project"]),
    rule("delete_auto_allocated_topology", ADMIN_OR_MEMBER, "Delete a project's auto-allocated topology",
         [("DELETE", f"{V2}/auto-allocated-topology/{{project_id}}")], ["project"]),
])
# address scopes (neutron/conf/policies/address_scope.py)
_crud("address_scope", "address-scopes", get=f"{ADMIN_OR_READER} or 'True':%(shared)s",
      admin_attrs={"create": ("shared",), "update": ("shared",)})
# binding-extended (neutron/conf/policies/port_bindings.py)
_PB = f"{V2}/ports/{{port_id}}/bindings"
RULES.extend([
    rule("get_port_binding", ADMIN, "Get port binding information", [("GET", _PB), ("GET", _PB + "/{host}")],
         ["project"]),
    rule("create_port_binding", ADMIN, "Create port binding on the host", [("POST", _PB)], ["project"]),
    rule("update_port_binding", ADMIN, "Update a port binding on the host", [("PUT", _PB + "/{host}")],
         ["project"]),
    rule("delete_port_binding", ADMIN, "Delete port binding on the host", [("DELETE", _PB + "/{host}")],
         ["project"]),
    rule("activate", ADMIN, "Activate port binding on the host", [("PUT", _PB + "/{host}/activate")], ["project"]),
])
# Metering (neutron/conf/policies/metering.py): project managers write, readers read.
_ADMIN_OR_MANAGER = f"({ADMIN}) or (role:manager and project_id:%(project_id)s)"
for _res, _path in (("metering_label", "metering-labels"), ("metering_label_rule", "metering-label-rules")):
    _coll = f"{V2}/metering/{_path}"
    RULES.extend([
        rule(f"create_{_res}", _ADMIN_OR_MANAGER, f"Create a {_res}", [("POST", _coll)], ["project"]),
        rule(f"get_{_res}", ADMIN_OR_READER, f"Get a {_res}", [("GET", _coll), ("GET", _coll + "/{id}")],
             ["project"]),
        rule(f"delete_{_res}", _ADMIN_OR_MANAGER, f"Delete a {_res}", [("DELETE", _coll + "/{id}")], ["project"]),
    ])
# floating IP port forwardings (neutron/conf/policies/port_forwarding.py): the floating IP's project
_PF = f"{V2}/floatingips/{{floatingip_id}}/port_forwardings"
RULES.extend([
    rule("create_floatingip_port_forwarding", ADMIN_OR_MEMBER, "Create a floating IP port forwarding",
         [("POST", _PF)], ["project"]),
    rule("get_floatingip_port_forwarding", ADMIN_OR_READER, "Get floating IP port forwardings",
         [("GET", _PF), ("GET", _PF + "/{id}")], ["project"]),
    rule("update_floatingip_port_forwarding", ADMIN_OR_MEMBER, "Update a floating IP port forwarding",
         [("PUT", _PF + "/{id}")], ["project"]),
    rule("delete_floatingip_port_forwarding", ADMIN_OR_MEMBER, "Delete a floating IP port forwarding",
         [("DELETE", _PF + "/{id}")], ["project"]),
])

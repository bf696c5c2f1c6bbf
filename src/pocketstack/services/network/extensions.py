"""The extension catalogue: GET /v2.0/extensions[/{alias}] (api-ref: network, Extensions).

An alias is listed only when pocketstack implements its behaviour; clients (tempest, the SDK,
the CLI) decide what to try from this list. Names, descriptions and dates follow
neutron_lib/api/definitions and neutron/extensions.
"""

from __future__ import annotations

from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import NotFound
from pocketstack.core.policy import ANY_USER, PUBLIC
from pocketstack.core.routing import ApiRequest, route

CATALOGUE: dict[str, tuple[str, str, str]] = {
    "agent": ("agent", "The agent management extension.", "2013-02-03T10:00:00-00:00"),
    "allowed-address-pairs": ("Allowed Address Pairs", "Provides allowed address pairs",
                              "2013-07-23T10:00:00-00:00"),
    "availability_zone": ("Availability Zone", "The availability zone extension.", "2015-01-01T10:00:00-00:00"),
    "availability_zone_filter": ("Availability Zone Filter Extension",
                                 "Add filter parameters to AvailabilityZone resource", "2018-06-22T10:00:00-00:00"),
    "binding": ("Port Binding", "Expose port bindings of a virtual port to external application",
                "2014-02-03T10:00:00-00:00"),
    "dns-integration": ("DNS Integration", "Provides integration with DNS.", "2015-08-15T18:00:00-00:00"),
    "dns-domain-ports": ("dns_domain for ports", "Allows the DNS domain to be specified for a network port.",
                         "2017-04-24T10:00:00-00:00"),
    "empty-string-filtering": ("Empty String Filtering Extension",
                               "Allow filtering by attributes with empty string value", "2018-05-01T10:00:00-00:00"),
    "ext-gw-mode": ("Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for "
                    "specifying whether SNAT should occur on the external gateway", "2013-03-28T10:00:00-00:00"),
    "metering": ("Neutron Metering", "Neutron Metering extension.", "2013-06-12T10:00:00-00:00"),
    "external-net": ("Neutron external network", "Adds external network attribute to network resource.",
                     "2013-01-14T10:00:00-00:00"),
    "extra_dhcp_opt": ("Neutron Extra DHCP options", "Extra options configuration for DHCP. For example PXE boot "
                       "options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, "
                       "bootfile-name)", "2013-03-17T12:00:00-00:00"),
    "extraroute": ("Neutron Extra Route", "Extra routes configuration for L3 router", "2013-02-01T10:00:00-00:00"),
    "extraroute-atomic": ("Atomically add/remove extra routes", "Edit extra routes of a router on server side by "
                          "atomically adding/removing extra routes", "2019-07-10T00:00:00+00:00"),
    "filter-validation": ("Filter parameters validation", "Provides validation on filter parameters.",
                          "2018-07-04T10:00:00-00:00"),
    "floating-ip-port-forwarding": ("Floating IP Port Forwarding", "Provides floating IP port forwarding "
                                    "function", "2018-08-09T10:00:00-00:00"),
    "floatingip-pools": ("Floating IP Pools Extension", "Provides a floating IP pools API.",
                         "2018-03-21T10:00:00-00:00"),
    "fip-port-details": ("Floating IP Port Details Extension", "Add port_details attribute to Floating IP resource",
                         "2018-04-09T10:00:00-00:00"),
    "ip-substring-filtering": ("IP address substring filtering", "Provides IP address substring filtering when "
                               "listing ports", "2017-11-28T09:00:00-00:00"),
    "l2_adjacency": ("L2 Adjacency", "Display L2 Adjacency for Neutron Networks.", "2016-04-12T16:00:00-00:00"),
    "net-mtu": ("Network MTU", "Provides MTU attribute for a network resource.", "2015-03-25T10:00:00-00:00"),
    "net-mtu-writable": ("Network MTU (writable)", "Provides a writable MTU attribute for a network resource.",
                         "2017-07-12T00:00:00-00:00"),
    "network_availability_zone": ("Network Availability Zone", "Availability zone support for network.",
                                  "2015-01-01T10:00:00-00:00"),
    "network-ip-availability": ("Network IP Availability", "Provides IP availability data for each network and "
                                "subnet.", "2015-09-24T00:00:00-00:00"),
    "pagination": ("Pagination support", "Extension that indicates that pagination is enabled.",
                   "2016-06-12T00:00:00-00:00"),
    "port-mac-address-regenerate": ("Neutron Port MAC address regenerate", "Network port MAC address regenerate",
                                    "2018-05-03T10:00:00-00:00"),
    "port-resource-request": ("Port Resource Request", "Expose resource request to Port", "2018-05-08T10:00:00-00:00"),
    "port-security": ("Port Security", "Provides port security", "2012-07-23T10:00:00-00:00"),
    "port-security-groups-filtering": ("Port filtering on security groups", "Provides security groups filtering "
                                       "when listing ports", "2018-01-09T09:00:00-00:00"),
    "project-id": ("project_id field enabled", "Extension that indicates that project_id field is enabled.",
                   "2016-09-09T09:09:09-09:09"),
    "provider": ("Provider Network", "Expose mapping of virtual networks to physical networks",
                 "2012-09-07T10:00:00-00:00"),
    "quotas": ("Quota management support", "Expose functions for quotas management per project",
               "2012-07-29T10:00:00-00:00"),
    "quota_details": ("Quota details management support", "Expose functions for quotas usage statistics per "
                      "project", "2017-02-10T10:00:00-00:00"),
    "revision-if-match": ("If-Match constraints based on revision_number", "Extension indicating that If-Match "
                          "based on revision_number is supported.", "2016-12-11T00:00:00-00:00"),
    "router": ("Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and "
               "access to external networks via a NAT gateway.", "2012-07-20T10:00:00-00:00"),
    "router_availability_zone": ("Router Availability Zone", "Availability zone support for router.",
                                 "2015-01-01T10:00:00-00:00"),
    "security-group": ("security-group", "The security groups extension.", "2012-10-05T10:00:00-00:00"),
    "sorting": ("Sorting support", "Extension that indicates that sorting is enabled.", "2016-06-12T00:00:00-00:00"),
    "standard-attr-description": ("standard-attr-description", "Extension to add descriptions to standard "
                                  "attributes", "2016-02-10T10:00:00-00:00"),
    "standard-attr-revisions": ("Resource revision numbers", "This extension will display the revision number of "
                                "neutron resources.", "2016-04-11T10:00:00-00:00"),
    "standard-attr-tag": ("Tag support for resources with standard attribute: subnet, trunk, network_segment_range, "
                          "router, network, policy, subnetpool, port, security_group, floatingip",
                          "Enables to set tag on resources with standard attribute.", "2017-01-01T00:00:00-00:00"),
    "standard-attr-timestamp": ("Resource timestamps", "Adds created_at and updated_at fields to all Neutron "
                                "resources that have Neutron standard attributes.", "2016-09-12T10:00:00-00:00"),
    "tag-ext": ("Tag support for resources: subnet, port, subnetpool, router", "Extends tag support to more L2 "
                "and L3 resources.", "2017-01-01T00:00:00-00:00"),
    "tag-ports-during-bulk-creation": ("Tag Ports During Bulk Creation", "Allow to tag ports during bulk creation",
                                       "2019-12-29T19:00:00-00:00"),
    "uplink-status-propagation": ("Uplink status propagation extension", "Provides ability to propagate port uplink "
                                  "status.", "2018-05-31T18:00:00-00:00"),
    "stateful-security-group": ("Stateful security group", "Indicates if the security group is stateful or not",
                                "2019-11-26T09:00:00-00:00"),
    "subnet_allocation": ("Subnet Allocation", "Enables allocation of subnets from a subnet pool",
                          "2015-03-30T10:00:00-00:00"),
    "default-subnetpools": ("Default Subnetpools", "Provides ability to mark and use a subnetpool as the default.",
                            "2016-02-18T18:00:00-00:00"),
    "subnetpool-prefix-ops": ("Subnet Pool Prefix Operations", "Provides support for adjusting the prefix list "
                              "of subnet pools", "2019-02-08T10:00:00-00:00"),
    "subnet-service-types": ("Subnet service types", "Provides ability to set the subnet service_types field",
                             "2016-03-15T18:00:00-00:00"),
    "qos": ("Quality of Service", "The Quality of Service extension.", "2015-06-08T10:00:00-00:00"),
    "qos-default": ("QoS default policy", "Expose the QoS default policy per project", "2017-041-06T10:00:00-00:00"),
    "qos-bw-limit-direction": ("Direction for QoS bandwidth limit rule", "Allow to configure QoS bandwidth limit "
                               "rule with specific direction: ingress or egress", "2017-04-10T10:00:00-00:00"),
    "qos-bw-minimum-ingress": ("Ingress direction for QoS minimum bandwidth rule", "Allow to configure QoS minumum "
                               "bandwidth rule with ingress direction.", "2018-07-09T10:00:00-00:00"),
    "qos-rule-type-details": ("Details of QoS rule types", "Expose details about QoS rule types supported by loaded "
                              "backend drivers", "2017-06-22T10:00:00-00:00"),
    "qos-rules-alias": ("Quality of Service rules alias API", "API to enable GET, PUT and DELETE operations on QoS "
                        "policy rules without specifying policy ID", "2018-10-07T10:00:00-00:00"),
    "qos-fip": ("Floating IP QoS", "The floating IP Quality of Service extension", "2017-07-20T00:00:00-00:00"),
    "service-type": ("Neutron Service Type Management", "API for retrieving service providers for Neutron "
                     "advanced services", "2013-01-20T00:00:00-00:00"),
    "flavors": ("Neutron Service Flavors", "Flavor specification for Neutron advanced services.",
                "2015-09-17T10:00:00-00:00"),
    "l3-flavors": ("Router Flavor Extension", "Flavor support for routers.", "2016-05-17T00:00:00-00:00"),
    "dhcp_agent_scheduler": ("DHCP Agent Scheduler", "Schedule networks among dhcp agents",
                             "2013-02-07T10:00:00-00:00"),
    "l3_agent_scheduler": ("L3 Agent Scheduler", "Schedule routers among l3 agents", "2013-02-07T10:00:00-00:00"),
    "dvr": ("Distributed Virtual Router", "Enables configuration of Distributed Virtual Routers.",
            "2014-06-1T10:00:00-00:00"),
    "l3-ha": ("HA Router extension", "Adds HA capability to routers.", "2014-04-26T00:00:00-00:00"),
    "auto-allocated-topology": ("Auto Allocated Topology Services", "Auto Allocated Topology Services.",
                                "2016-01-01T00:00:00-00:00"),
    "qos-gateway-ip": ("Router gateway IP QoS", "The Router gateway IP Quality of Service extension",
                       "2018-02-24T00:00:00-00:00"),
    "trunk": ("Trunk Extension", "Provides support for trunk ports", "2016-01-01T10:00:00-00:00"),
    "trunk-details": ("Trunk port details", "Expose trunk port details", "2016-01-01T10:00:00-00:00"),
    "address-scope": ("Address scope", "Address scopes extension.", "2015-07-26T10:00:00-00:00"),
    "rbac-address-scope": ("Add address_scope type to RBAC", "Add address_scope type to RBAC",
                           "2018-05-07T10:00:00-00:00"),
    "rbac-security-groups": ("Add security_group type to network RBAC", "Add security_group type to network RBAC",
                             "2019-02-14T00:00:00-00:00"),
    "rbac-subnetpool": ("Add subnetpool type to RBAC", "Add subnetpool type to RBAC", "2020-02-05T00:00:00-00:00"),
    "binding-extended": ("Port Bindings Extended", "Expose port bindings of a virtual port to external "
                         "application", "2017-07-17T10:00:00-00:00"),
    "multi-provider": ("Multi Provider Network", "Expose mapping of virtual networks to multiple physical "
                       "networks", "2013-06-27T10:00:00-00:00"),
    "rbac-policies": ("RBAC Policies", "Allows creation and modification of policies that control tenant access "
                      "to resources.", "2015-06-17T12:15:12-00:00"),
}


# --- views ---------------------------------------------------------------------------
def render_extension(alias: str) -> dict[str, Any]:
    name, description, updated = CATALOGUE[alias]
    return {"name": name, "alias": alias, "description": description, "updated": updated, "links": []}


# --- routes --------------------------------------------------------------------------
def list_extensions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"extensions": [render_extension(a) for a in sorted(CATALOGUE)]}


def show_extension(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    alias = rq.params["alias"]
    if alias not in CATALOGUE:
        raise NotFound(f"Extension with alias {alias} does not exist")
    return {"extension": render_extension(alias)}


def list_versions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    href = f"{ctx.base_url}{rq.service_prefix}/v2.0/"
    return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}]}


RESOURCES = (("subnet", "subnets"), ("network", "networks"), ("port", "ports"))


def list_resources(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    base = f"{ctx.base_url}{rq.service_prefix}/v2.0"
    return {"resources": [{"name": n, "collection": c, "links": [{"rel": "self", "href": f"{base}/{c}"}]}
                          for n, c in RESOURCES]}


ROUTES = [
    route("GET", "/", list_versions, policy=PUBLIC, auth=False),
    route("GET", "/v2.0", list_resources, policy=ANY_USER),
    route("GET", "/v2.0/extensions", list_extensions, policy=ANY_USER),
    route("GET", "/v2.0/extensions/{alias}", show_extension, policy=ANY_USER),
]

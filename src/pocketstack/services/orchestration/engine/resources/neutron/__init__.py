"""The OS::Neutron::* resource types and the neutron.* / address constraints
(heat/engine/resources/openstack/neutron/)."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine.resources.neutron.constraints import CONSTRAINTS
from pocketstack.services.orchestration.engine.resources.neutron.floatingip import FloatingIP, FloatingIPAssociation
from pocketstack.services.orchestration.engine.resources.neutron.net import Net, ProviderNet, Subnet
from pocketstack.services.orchestration.engine.resources.neutron.port import Port, Trunk
from pocketstack.services.orchestration.engine.resources.neutron.qos import (
    QoSBandwidthLimitRule, QoSDscpMarkingRule, QoSMinimumBandwidthRule, QoSPolicy)
from pocketstack.services.orchestration.engine.resources.neutron.router import ExtraRouteSet, Router, RouterInterface
from pocketstack.services.orchestration.engine.resources.neutron.security_group import SecurityGroup, SecurityGroupRule
from pocketstack.services.orchestration.engine.resources.neutron.subnetpool import AddressScope, RBACPolicy, SubnetPool

TYPES: list[Any] = [
    Net, ProviderNet, Subnet, Port, Trunk, Router, RouterInterface, ExtraRouteSet, FloatingIP, FloatingIPAssociation,
    SecurityGroup, SecurityGroupRule, QoSPolicy, QoSBandwidthLimitRule, QoSDscpMarkingRule, QoSMinimumBandwidthRule,
    SubnetPool, AddressScope, RBACPolicy,
]

__all__ = ["CONSTRAINTS", "TYPES"]

"""Nova resource types: OS::Nova::Server, Flavor, KeyPair, ServerGroup and the nova.* constraints
(heat/engine/resources/openstack/nova/)."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine.resources.nova.common import CONSTRAINTS
from pocketstack.services.orchestration.engine.resources.nova.compute_extras import Flavor, KeyPair, ServerGroup
from pocketstack.services.orchestration.engine.resources.nova.server import Server

TYPES: list[Any] = [Server, Flavor, KeyPair, ServerGroup]

__all__ = ["CONSTRAINTS", "TYPES"]

"""The resource types this Heat knows, and the custom constraints they bring, by module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pocketstack.services.orchestration.engine.resource import Resource
from pocketstack.services.orchestration.engine.resources import (
    cinder, glance, heat, ironic, keystone, neutron, nova, software, swift)

MODULES = (heat, software, nova, neutron, cinder, glance, swift, keystone, ironic)

REGISTRY: dict[str, type[Resource]] = {cls.type_name: cls for mod in MODULES for cls in mod.TYPES}

# name -> check(clients: Clients, value) returning None when valid, else a message ("" for no detail)
CONSTRAINTS: dict[str, Callable[[Any, Any], str | None]] = {
    name: check for mod in MODULES for name, check in mod.CONSTRAINTS.items()}

"""Every start: the conductor's job kinds (provisioning, power, allocation) and its step delay."""

from __future__ import annotations

from typing import Any

from pocketstack.services.baremetal import allocations, provisioning


def startup(settings: Any) -> None:
    provisioning.startup(settings)
    allocations.startup()

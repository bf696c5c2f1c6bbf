"""Acceleration (Cyborg v2): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.accelerator import (
    accelerator_requests, bootstrap, device_profiles, devices, discovery, errors, policies)
from pocketstack.services.accelerator.versions import MICROVERSIONS

SERVICE = Service(
    **about("accelerator"),
    routes=[*discovery.ROUTES, *devices.ROUTES, *device_profiles.ROUTES, *accelerator_requests.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    microversions=MICROVERSIONS,
    bootstrap=bootstrap.run,
    startup=accelerator_requests.startup,
)

__all__ = ["SERVICE"]

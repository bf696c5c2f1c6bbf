"""Placement: everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.placement import (
    aggregates, allocation_candidates, allocations, bootstrap, common, errors, inventories, policies, reshaper,
    resource_classes, resource_providers, root, traits, usages)
from pocketstack.services.placement.versions import MICROVERSIONS

SERVICE = Service(
    **about("placement"),
    routes=common.with_older([
        *root.ROUTES, *resource_providers.ROUTES, *inventories.ROUTES, *usages.ROUTES, *allocations.ROUTES,
        *allocation_candidates.ROUTES, *traits.ROUTES, *resource_classes.ROUTES, *aggregates.ROUTES,
        *reshaper.ROUTES]),
    render_error=errors.render,
    policies=policies.RULES,
    microversions=MICROVERSIONS,
    startup=bootstrap.startup,
)

__all__ = ["SERVICE"]

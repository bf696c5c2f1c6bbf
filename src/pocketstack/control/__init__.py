"""pocketstack's own admin API at /pocketstack/v1: fault injection and reset (not an OpenStack
service, not in the catalog). Admin only; errors in keystone's format."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.control import errors, faults, maintenance, policies

SERVICE = Service(
    **about("pocketstack"),
    routes=[*faults.ROUTES, *maintenance.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    startup=maintenance.startup,
)

__all__ = ["SERVICE"]

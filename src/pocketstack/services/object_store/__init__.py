"""Object Storage (Swift v1): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.object_store import bootstrap, errors, info, policies, tempauth, v1

SERVICE = Service(
    max_body=None,      # swift limits objects and metadata itself
    **about("object-store"),
    routes=[*info.ROUTES, *tempauth.ROUTES, *v1.ROUTES, *info.ROOT_ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    startup=bootstrap.startup,
)

__all__ = ["SERVICE"]

"""Object Storage (Swift v1): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services.object_store import bootstrap, errors, info, policies, tempauth, v1

SERVICE = Service(
    max_body=None,      # swift limits objects and metadata itself
    type="object-store",
    prefixes=["/object-store", "/info"],
    routes=[*info.ROUTES, *tempauth.ROUTES, *v1.ROUTES, *info.ROOT_ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    startup=bootstrap.startup,
    catalog=[("object-store", "swift", "/object-store/v1/AUTH_$(project_id)s")],
    listener_prefix="/object-store",          # its own port (serve --object-store-port, 8080) serves /v1 at the root
)

__all__ = ["SERVICE"]

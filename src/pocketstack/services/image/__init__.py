"""Image (Glance v2): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.image import (
    access, actions, bootstrap, cache, discovery, errors, image_data, images, imports, locations, members,
    metadefs, metadefs_objects, patch, policies)

SERVICE = Service(
    max_body=None,      # glance has no request body size limit of its own
    **about("image"),
    routes=[*discovery.ROUTES, *images.ROUTES, *patch.ROUTES, *actions.ROUTES, *image_data.ROUTES,
            *imports.ROUTES, *cache.ROUTES, *locations.ROUTES, *members.ROUTES, *metadefs.ROUTES,
            *metadefs_objects.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    bootstrap=bootstrap.run,
    startup=bootstrap.startup,
)
access.bind(SERVICE)

__all__ = ["SERVICE"]

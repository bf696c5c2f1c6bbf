"""Key Manager (Barbican v1): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.key_manager import (
    acls, common, containers, crypto, discovery, errors, orders, policies, quotas, secret_metadata, secrets,
    transport_keys)
from pocketstack.services.key_manager.versions import MICROVERSIONS


def _startup(settings: object) -> None:
    crypto.configure(settings.data_dir)  # type: ignore[attr-defined]


SERVICE = Service(
    **about("key-manager"),
    routes=[*discovery.ROUTES, *secrets.ROUTES, *secret_metadata.ROUTES, *containers.ROUTES, *acls.ROUTES,
            *orders.ROUTES, *quotas.ROUTES, *transport_keys.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    microversions=MICROVERSIONS,
    startup=_startup,
    max_body=25000,            # barbican.conf max_allowed_request_size_in_bytes
)
common.bind(SERVICE)

__all__ = ["SERVICE"]

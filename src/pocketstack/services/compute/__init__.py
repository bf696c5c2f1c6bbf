"""Compute (Nova v2.1): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.compute import (
    admin, aggregates, bootstrap, common, console_auth_tokens, discovery, errors, flavors, floating_ips, hosts, images,
    keypairs, migrations, policies, query_params, quotas, security_groups, server_groups, volumes)
from pocketstack.services.compute.metadata.routes import ROUTES as METADATA_ROUTES
from pocketstack.services.compute.servers import ROUTES as SERVER_ROUTES
from pocketstack.services.compute.versions import MICROVERSIONS

SERVICE = Service(
    **about("compute"),
    routes=query_params.apply(common.with_older([
        *discovery.ROUTES, *flavors.ROUTES, *keypairs.ROUTES, *server_groups.ROUTES, *quotas.ROUTES, *hosts.ROUTES,
        *aggregates.ROUTES, *admin.ROUTES, *migrations.ROUTES, *images.ROUTES, *security_groups.ROUTES,
        *floating_ips.ROUTES, *volumes.ROUTES, *console_auth_tokens.ROUTES,
        *SERVER_ROUTES])) + METADATA_ROUTES,   # nova-api-metadata's own app
    render_error=errors.render,
    policies=policies.RULES,
    microversions=MICROVERSIONS,
    bootstrap=bootstrap.run,
    startup=bootstrap.startup,
)
common.bind(SERVICE)

__all__ = ["SERVICE"]

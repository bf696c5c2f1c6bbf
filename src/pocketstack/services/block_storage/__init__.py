"""Block Storage (Cinder v3): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.block_storage import (
    attachments, backups, bootstrap, common, default_types, discovery, encryption_types, errors, group_types,
    groups, manageable, messages, metadata, policies, qos_specs, quotas, snapshots, transfers, volume_actions, volume_types, volumes)
from pocketstack.services.block_storage.versions import MICROVERSIONS

SERVICE = Service(
    **about("block-storage"),
    routes=[*discovery.ROUTES, *volumes.ROUTES, *volume_actions.ROUTES, *metadata.ROUTES, *snapshots.ROUTES,
            *backups.ROUTES, *manageable.ROUTES, *attachments.ROUTES, *messages.ROUTES, *volume_types.ROUTES,
            *quotas.ROUTES, *qos_specs.ROUTES, *transfers.ROUTES,
            *encryption_types.ROUTES, *group_types.ROUTES, *groups.ROUTES, *default_types.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    microversions=MICROVERSIONS,
    bootstrap=bootstrap.run,
    startup=bootstrap.startup,
)
common.bind(SERVICE)

__all__ = ["SERVICE"]

"""First start: DevStack's flavors (lib/nova create_flavors, lib/tempest m1.nano/m1.micro); every start: job kinds."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy.engine import Connection

from pocketstack.core import hosts as cloud_hosts
from pocketstack.core.clock import utcnow
from pocketstack.services.compute import common, hosts, quotas
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.metadata import routes as metadata_service
from pocketstack.services.compute.servers import manager, placement_api

LOG = logging.getLogger("pocketstack.compute")

# (id, name, ram MB, disk GB, vcpus)
FLAVORS = [("1", "m1.tiny", 512, 1, 1), ("2", "m1.small", 2048, 20, 1), ("3", "m1.medium", 4096, 40, 2),
           ("4", "m1.large", 8192, 80, 4), ("5", "m1.xlarge", 16384, 160, 8), ("42", "m1.nano", 128, 1, 1),
           ("84", "m1.micro", 192, 1, 1), ("c1", "cirros256", 256, 1, 1), ("d1", "ds512M", 512, 5, 1),
           ("d2", "ds1G", 1024, 10, 1), ("d3", "ds2G", 2048, 10, 2), ("d4", "ds4G", 4096, 20, 4)]


def run(conn: Connection, settings: Any, info: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    for number, (flavor_id, name, ram, disk, vcpus) in enumerate(FLAVORS, start=1):
        conn.execute(t.flavors.insert().values(id=flavor_id, name=name, ram=ram, disk=disk, vcpus=vcpus, ephemeral=0,
                                               swap=0, rxtx_factor=1.0, is_public=True, disabled=False,
                                               description=None, created_at=now, internal_id=number))
        conn.execute(t.flavor_extra_specs.insert().values(flavor_id=flavor_id, key="hw_rng:allowed", value="True"))
    return {"flavors": {name: flavor_id for flavor_id, name, *_ in FLAVORS}}


def startup(settings: Any) -> None:
    common.set_host(cloud_hosts.NAME)
    manager.register(settings)
    metadata_service.configure(settings)
    quotas.configure(settings)
    hosts.register_host()
    # from a thread of its own (the internal client runs its own event loop there), as nova-compute's
    # resource tracker does it shortly after the service starts; until then the scheduler skips the host
    threading.Thread(target=_resource_provider, name="compute-rp", daemon=True).start()


def _resource_provider() -> None:
    """This host's resource provider and inventory in Placement, as soon as the API answers (nova-compute's
    first update_available_resource), so the scheduler sees the host before it is asked to build here."""
    for attempt in range(60):
        try:
            placement_api.ensure_host()
            return
        except Exception:  # noqa: BLE001 - the API may not serve yet; the next build registers it anyway
            time.sleep(min(0.2 * (attempt + 1), 2))
    LOG.warning("could not register the resource provider of %s in placement", common.HOST)

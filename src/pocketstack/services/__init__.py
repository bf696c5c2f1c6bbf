"""Every catalog service, in bootstrap order (identity first: the others need its projects).

What the app needs before a service's first request is small data, kept here: its type, path
prefixes, catalog entries and own-port prefix. A service's modules (routes, schemas, views,
policies, tables) are imported by `Entry.load()`, which the app calls on the first request under
one of its prefixes (or when it warms the services up after the first request); importing this
package imports none of them. `load_all()` gives every Service (each service imported), for the
tools and tests that walk the route table or need every table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pocketstack.core.routing import Service


@dataclass(frozen=True)
class Entry:
    type: str
    module: str
    prefixes: list[str]
    catalog: list[tuple[str, str, str]] = field(default_factory=list)    # (type, name, url path)
    # the prefix a listener of the service's own serves at its port's root (core.listeners)
    listener_prefix: str | None = None

    def about(self) -> dict[str, Any]:
        """The Service fields this entry holds, for the service's own `Service(...)`."""
        return {"type": self.type, "prefixes": list(self.prefixes), "catalog": list(self.catalog),
                "listener_prefix": self.listener_prefix}

    def load(self) -> Service:
        service: Service = importlib.import_module(self.module).SERVICE
        return service


_CINDER = "/volume/v3/$(project_id)s"
ENTRIES: list[Entry] = [
    Entry("identity", "pocketstack.services.identity", ["/identity", ""], [("identity", "keystone", "/identity")]),
    Entry("placement", "pocketstack.services.placement", ["/placement"], [("placement", "placement", "/placement")]),
    Entry("image", "pocketstack.services.image", ["/image"], [("image", "glance", "/image")]),
    Entry("object-store", "pocketstack.services.object_store", ["/object-store", "/info"],
          [("object-store", "swift", "/object-store/v1/AUTH_$(project_id)s")],
          listener_prefix="/object-store"),      # its own port (serve --object-store-port, 8080) serves /v1 at the root
    Entry("network", "pocketstack.services.network", ["/networking"], [("network", "neutron", "/networking")]),
    Entry("block-storage", "pocketstack.services.block_storage", ["/volume"],
          [("block-storage", "cinderv3", _CINDER), ("volumev3", "cinderv3", _CINDER)]),
    Entry("compute", "pocketstack.services.compute", ["/compute"], [("compute", "nova", "/compute/v2.1")]),
    Entry("baremetal", "pocketstack.services.baremetal", ["/baremetal"], [("baremetal", "ironic", "/baremetal")]),
    Entry("accelerator", "pocketstack.services.accelerator", ["/accelerator"],
          [("accelerator", "cyborg", "/accelerator/v2")]),
    Entry("key-manager", "pocketstack.services.key_manager", ["/key-manager"],
          [("key-manager", "barbican", "/key-manager")]),
    Entry("orchestration", "pocketstack.services.orchestration", ["/heat-api", "/heat-api-cfn"],
          [("orchestration", "heat", "/heat-api/v1/$(project_id)s"), ("cloudformation", "heat-cfn", "/heat-api-cfn/v1")]),
]
# the cloud's own admin API (not in the catalog), mounted beside the services
CONTROL = Entry("pocketstack", "pocketstack.control", ["/pocketstack/v1"])
BY_TYPE = {e.type: e for e in [*ENTRIES, CONTROL]}


def about(service_type: str) -> dict[str, Any]:
    return BY_TYPE[service_type].about()


def load_all() -> list[Service]:
    """Every service, imported (and with them every table in core.db's metadata)."""
    return [e.load() for e in ENTRIES]

"""First start: Cinder's default volume type and DevStack's lvmdriver-1; every start: the volume backend,
this host's services and the job kinds."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db, hosts

from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.block_storage import backend, common, manager
from pocketstack.services.block_storage.tables import services, volume_type_extra_specs, volume_types


def backends_in(settings: Any) -> list[str]:
    names = settings.option("block_storage.backends") if settings is not None else None
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    return [str(n) for n in names or []] or [common.BACKEND]


def run(conn: Connection, settings: Any, info: dict[str, Any]) -> dict[str, Any]:
    """Cinder's __DEFAULT__ type and, as DevStack makes them, a type named after each backend."""
    ids = {}
    for name, description, specs in (("__DEFAULT__", "Default Volume Type", {}),
                                      *((b, None, {"volume_backend_name": b}) for b in backends_in(settings))):
        ids[name] = new_uuid()
        conn.execute(volume_types.insert().values(id=ids[name], name=name, description=description, is_public=True,
                                                  created_at=utcnow()))
        for key, value in specs.items():
            conn.execute(volume_type_extra_specs.insert().values(type_id=ids[name], key=key, value=value))
    return {"volume_types": ids}


def startup(settings: Any) -> None:
    """Every start: this host's services (each host of the cloud runs its own; core.hosts beats for them)."""
    common.set_host(hosts.NAME, backends_in(settings))
    with db.session() as conn:
        known = set(conn.execute(sa.select(services.c.host, services.c.binary)).tuples())
        for host, binary in common.SERVICES:
            if (host, binary) not in known:
                conn.execute(services.insert().values(host=host, binary=binary, disabled=False, frozen=False,
                                                      created_at=utcnow()))
    for host, binary in common.SERVICES:
        hosts.register(binary, host, common.AZ)
    common.CAPABILITIES["storage_protocol"] = backend.configure(settings).storage_protocol
    manager.register()

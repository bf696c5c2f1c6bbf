"""Stack, resource and event rows: loads, and the batched writes one engine pass makes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.orchestration import notifications
from pocketstack.services.orchestration.tables import events, resources, stacks


def load_stack(conn: Any, stack_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(stacks).where(stacks.c.id == stack_id)).mappings().first()
    return dict(row) if row is not None else None


def load_resources(conn: Any, stack_id: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(resources).where(resources.c.stack_id == stack_id)
                                          .order_by(resources.c.id)).mappings()]


def event_values(stack_id: str, name: str, physical_id: str | None, rtype: str, action: str, status: str,
                 reason: str | None) -> dict[str, Any]:
    return {"uuid": new_uuid(), "stack_id": stack_id, "resource_name": name, "physical_resource_id": physical_id,
            "resource_type": rtype, "resource_action": action, "resource_status": status,
            "resource_status_reason": reason, "created_at": utcnow()}


def new_resource_row(stack_id: str, name: str, rtype: str, traversal: int, *, action: str = "INIT",
                     status: str = "COMPLETE", reason: str = "") -> dict[str, Any]:
    return {"uuid": new_uuid(), "stack_id": stack_id, "name": name, "type": rtype, "physical_resource_id": None,
            "action": action, "status": status, "status_reason": reason, "properties_data": None,
            "definition": None, "rsrc_metadata": {}, "data": {}, "requires": [], "traversal": traversal,
            "replaced_by": None, "replaces": None, "nested_stack_id": None, "created_at": utcnow(),
            "updated_at": None}


class Writes:
    """Changes of one engine pass, written in as few transactions as the pass needs."""

    def __init__(self, stack_id: str) -> None:
        self.stack_id = stack_id
        self.updates: dict[int, dict[str, Any]] = {}
        self.inserts: list[dict[str, Any]] = []
        self.deletes: list[int] = []
        self.events: list[dict[str, Any]] = []

    def insert(self, row: dict[str, Any]) -> None:
        self.inserts.append(row)

    def update(self, row: dict[str, Any], **values: Any) -> None:
        row.update(values)
        if row.get("id") is None:
            return          # not yet inserted: the insert carries the values
        self.updates.setdefault(row["id"], {}).update(values, updated_at=utcnow())

    def delete(self, row: dict[str, Any]) -> None:
        if row.get("id") is not None:
            self.deletes.append(row["id"])

    def event(self, row: dict[str, Any], action: str, status: str, reason: str | None) -> None:
        self.events.append(event_values(self.stack_id, row["name"], row.get("physical_resource_id"), row["type"],
                                        action, status, reason))

    def flush(self) -> None:
        if not (self.updates or self.inserts or self.deletes or self.events):
            return
        with db.session() as conn:
            for row in self.inserts:
                values = {k: v for k, v in row.items() if k != "id"}
                row["id"] = conn.execute(resources.insert().values(**values)).inserted_primary_key[0]
            for rid, values in self.updates.items():
                conn.execute(resources.update().where(resources.c.id == rid).values(**values))
            if self.deletes:
                conn.execute(resources.delete().where(resources.c.id.in_(self.deletes)))
            if self.events:
                conn.execute(events.insert(), self.events)
        self.updates, self.inserts, self.deletes, self.events = {}, [], [], []


def set_stack(conn: Any, stack_id: str, **values: Any) -> None:
    conn.execute(stacks.update().where(stacks.c.id == stack_id).values(**values, updated_at=utcnow()))


def stack_event(conn: Any, row: dict[str, Any], action: str, status: str, reason: str) -> None:
    conn.execute(events.insert().values(**event_values(row["id"], row["name"], row["id"], "OS::Heat::Stack",
                                                       action, status, reason)))
    notifications.stack_state(conn, row["id"], action, status, reason)

"""The resource plugin base: what every OS::* type implements (heat/engine/resource.py, reduced to
the handle_* / check_*_complete protocol that makes each step resumable).

The engine instantiates a plugin for one step, with its resolved properties and its stored row
(physical id, private data, metadata), calls one handle or check, and persists what changed. So a
plugin keeps nothing in memory between calls: whatever a later check needs goes in `self.data`.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pocketstack.services.orchestration.engine.clients import ApiClient, ClientError, Clients
from pocketstack.services.orchestration.engine.properties import Prop


class ResourceError(Exception):
    """A resource step failed for a reason of its own (Heat's exception.Error)."""

    type_name = "Error"


class ResourceInError(ResourceError):
    """The physical resource went to an error state (heat ResourceInError)."""

    type_name = "ResourceInError"

    def __init__(self, resource_status: str, status_reason: str = "Unknown") -> None:
        super().__init__(f"Went to status {resource_status} due to \"{status_reason}\"")


class UpdateReplace(Exception):
    """Raised by handle_update: this change needs a new physical resource."""


@dataclass(frozen=True)
class Attr:
    description: str = ""
    type: str | None = None     # "string", "list", "map", "integer", "boolean"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description}
        if self.type:
            out["type"] = self.type
        return out


class StackHandle(Protocol):
    """What a plugin sees of its stack (the engine implements it)."""
    id: str
    name: str
    project_id: str
    user_id: str
    region: str
    files: dict[str, str]
    clients: Clients
    owner_id: str | None

    def physical_name(self, resource_name: str, max_length: int | None = None) -> str: ...
    def create_nested(self, resource: Resource, template: dict[str, Any], params: dict[str, Any],
                      files: dict[str, str] | None = None, environment: dict[str, Any] | None = None) -> str: ...
    def update_nested(self, resource: Resource, stack_id: str, template: dict[str, Any], params: dict[str, Any],
                      files: dict[str, str] | None = None, environment: dict[str, Any] | None = None) -> None: ...
    def delete_nested(self, stack_id: str) -> None: ...
    def nested_state(self, stack_id: str) -> tuple[str, str, str] | None: ...   # (action, status, reason)
    def nested_outputs(self, stack_id: str) -> dict[str, Any]: ...
    def nested_resource_refs(self, stack_id: str) -> dict[str, Any]: ...        # name -> reference id
    def nested_resource_attr(self, stack_id: str, name: str, attr: str | None, path: list[Any]) -> Any: ...
    def signal_url(self, resource: Resource) -> str: ...
    def now(self) -> float: ...


class Resource:
    type_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    support_status: ClassVar[str] = "SUPPORTED"
    properties_schema: ClassVar[dict[str, Prop]] = {}
    attributes_schema: ClassVar[dict[str, Attr]] = {}
    # (service, path with {id}, body key) of the physical resource, for the "show" attribute and
    # the default delete
    entity: ClassVar[tuple[str, str, str] | None] = None
    # property names whose change always replaces the physical resource (besides update_allowed=False)
    replace_on_change: ClassVar[tuple[str, ...]] = ()

    def __init__(self, name: str, stack: StackHandle, properties: dict[str, Any], *, resource_id: str | None = None,
                 data: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
                 definition: dict[str, Any] | None = None, action: str = "INIT", status: str = "COMPLETE") -> None:
        self.name, self.stack, self.properties = name, stack, properties
        self.resource_id = resource_id
        self.data: dict[str, Any] = dict(data or {})
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.definition = definition or {}
        self.action, self.status = action, status

    # --- helpers for plugins ---------------------------------------------------------
    def client(self, service: str) -> ApiClient:
        return self.stack.clients(service)

    def physical_resource_name(self, max_length: int | None = None) -> str:
        return self.stack.physical_name(self.name, max_length)

    def resource_id_set(self, value: Any) -> None:
        self.resource_id = None if value is None else str(value)

    @staticmethod
    def random_string(length: int = 12, chars: str = string.ascii_letters + string.digits) -> str:
        return "".join(secrets.choice(chars) for _ in range(length))

    # --- the step protocol -----------------------------------------------------------
    def validate(self) -> None:
        """Checks across properties beyond their schema; raise properties.ValidationError."""

    def handle_create(self) -> None:
        """Create the physical resource; call resource_id_set() as soon as it has an id."""

    def check_create_complete(self) -> bool:
        return True

    def handle_update(self, prop_diff: dict[str, Any]) -> None:
        """Apply changed update_allowed properties (self.properties already holds the new values).
        Raise UpdateReplace when the change needs a new physical resource."""

    def check_update_complete(self) -> bool:
        return True

    def handle_delete(self) -> None:
        if self.entity is not None and self.resource_id is not None:
            service, path, _ = self.entity
            self.client(service).delete(path.format(id=self.resource_id))

    def check_delete_complete(self) -> bool:
        if self.entity is None or self.resource_id is None:
            return True
        service, path, _ = self.entity
        try:
            self.client(service).get(path.format(id=self.resource_id))
        except ClientError as exc:
            if exc.status == 404:
                return True
            raise
        return False

    def handle_suspend(self) -> None:
        """Most resources have nothing to suspend."""

    def handle_resume(self) -> None:
        """Most resources have nothing to resume."""

    def handle_check(self) -> None:
        """Default CHECK: the physical resource still exists."""
        if self.entity is not None and self.resource_id is not None:
            service, path, _ = self.entity
            self.client(service).get(path.format(id=self.resource_id))

    def handle_signal(self, details: Any) -> None:
        raise ResourceError(f"Signal resource during {self.action} is not supported.")

    # --- references and attributes ------------------------------------------------------
    def get_reference_id(self) -> Any:
        return self.resource_id if self.resource_id is not None else self.name

    def get_attribute(self, name: str) -> Any:
        """A declared attribute's live value; "show" is the physical resource's own body."""
        if name == "show":
            return self.show()
        return self.resolve_attribute(name)

    def resolve_attribute(self, name: str) -> Any:
        return None

    def show(self) -> Any:
        if self.entity is None or self.resource_id is None:
            return None
        service, path, key = self.entity
        try:
            body = self.client(service).get(path.format(id=self.resource_id))
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise
        return body.get(key, body) if isinstance(body, dict) else body

    @classmethod
    def all_attributes(cls) -> dict[str, Attr]:
        out = dict(cls.attributes_schema)
        out.setdefault("show", Attr("Detailed information about resource.", "map"))
        return out

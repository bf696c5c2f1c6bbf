"""A stack as the template functions and the resource plugins see it: parameters, references,
attributes, files, conditions (functions.Scope), and the plugin's StackHandle."""

from __future__ import annotations

import time
from typing import Any

from pocketstack.services.orchestration.engine import functions as fn
from pocketstack.services.orchestration.engine.clients import Clients
from pocketstack.services.orchestration.engine.resource import Resource
from pocketstack.services.orchestration.engine.template import ResourceDef, Template


class StackScope:
    """Everything one engine pass knows about one stack. Implements functions.Scope and
    resource.StackHandle; `instance(name)` gives the plugin of a resource's current row."""

    def __init__(self, row: dict[str, Any], tmpl: Template, params: dict[str, Any], clients: Clients,
                 registry: Any, nested: Any) -> None:
        self.row, self.tmpl, self.params, self.clients = row, tmpl, params, clients
        self.id, self.name, self.project_id = row["id"], row["name"], row["project_id"]
        self.user_id, self.region, self.owner_id = row.get("user_id") or "", "RegionOne", row.get("owner_id")
        self.files: dict[str, str] = row.get("files") or {}
        self.registry, self.nested = registry, nested
        self.defs: dict[str, ResourceDef] = {}
        self.rows: dict[str, dict[str, Any]] = {}      # name -> current resource row
        self.conditions: dict[str, bool] = {}
        self._instances: dict[str, Resource] = {}
        self._attr_cache: dict[tuple[str, str | None], Any] = {}
        self.facade: dict[str, Any] = (row.get("op") or {}).get("facade") or {}

    # --- functions.Scope ------------------------------------------------------------
    def get_param(self, name: str) -> Any:
        pseudo = {"OS::stack_name": self.name, "OS::stack_id": self.id, "OS::project_id": self.project_id,
                  "AWS::StackName": self.name, "AWS::StackId": self.arn(), "AWS::Region": self.region}
        if name in pseudo:
            return pseudo[name]
        return self.params[name]

    def arn(self) -> str:
        return f"arn:openstack:heat::{self.project_id}:stacks/{self.name}/{self.id}"

    def get_resource(self, name: str) -> Any:
        if name not in self.defs and name not in self.rows:
            raise KeyError(name)
        inst = self.instance(name)
        return inst.get_reference_id() if inst is not None else name

    def get_attr(self, resource: str, attribute: str | None, path: list[Any]) -> Any:
        if resource not in self.defs and resource not in self.rows:
            raise KeyError(resource)
        inst = self.instance(resource)
        if inst is None or inst.resource_id is None and inst.action in ("INIT", "DELETE"):
            return None
        if attribute is None:
            value: Any = {a: self._attr(inst, a) for a in inst.all_attributes() if a != "show"}
        else:
            value = self._attr(inst, attribute)
        for key in path:
            if value is None:
                return None
            try:
                value = value[int(key)] if isinstance(value, list) else value[key]
            except (KeyError, IndexError, ValueError, TypeError):
                return None
        return value

    def _attr(self, inst: Resource, attribute: str) -> Any:
        key = (inst.name, attribute)
        if key not in self._attr_cache:
            self._attr_cache[key] = inst.get_attribute(attribute)
        return self._attr_cache[key]

    def get_file(self, key: str) -> str:
        return self.files[key]

    def condition(self, name: str) -> bool:
        return self.conditions[name]

    def resource_facade(self, kind: str) -> Any:
        return self.facade.get(kind)

    # --- plugins ----------------------------------------------------------------------
    def forget(self, name: str) -> None:
        self._instances.pop(name, None)
        for key in [k for k in self._attr_cache if k[0] == name]:
            del self._attr_cache[key]

    def plugin_class(self, rtype: str) -> type[Resource]:
        return self.registry(rtype)

    def instance(self, name: str, row: dict[str, Any] | None = None) -> Resource | None:
        """The plugin of a resource row, with the properties it was last created/updated with."""
        if row is None and name in self._instances:
            return self._instances[name]
        row = row if row is not None else self.rows.get(name)
        if row is None:
            return None
        cls = self.plugin_class((row.get("definition") or {}).get("impl") or row["type"])
        inst = cls(name, self, row.get("properties_data") or {}, resource_id=row.get("physical_resource_id"),
                   data=row.get("data"), metadata=row.get("rsrc_metadata"), definition=row.get("definition"),
                   action=row["action"], status=row["status"])
        if row is self.rows.get(name):
            self._instances[name] = inst
        return inst

    def resolve(self, snippet: Any, path: list[Any]) -> Any:
        return fn.resolve(snippet, self.tmpl.version, self, path)

    # --- StackHandle --------------------------------------------------------------------
    def physical_name(self, resource_name: str, max_length: int | None = None) -> str:
        row = self.rows.get(resource_name) or {}
        suffix = (row.get("uuid") or "x" * 12).replace("-", "")[-12:]
        name = f"{self.name}-{resource_name}-{suffix}"
        if max_length is not None and len(name) > max_length:
            keep = max(max_length - len(suffix) - 1, 0)
            name = f"{name[:keep]}-{suffix}"[:max_length]
        return name

    def create_nested(self, resource: Resource, template: dict[str, Any], params: dict[str, Any],
                      files: dict[str, str] | None = None, environment: dict[str, Any] | None = None) -> str:
        return str(self.nested.create(self, resource, template, params, files, environment))

    def update_nested(self, resource: Resource, stack_id: str, template: dict[str, Any], params: dict[str, Any],
                      files: dict[str, str] | None = None, environment: dict[str, Any] | None = None) -> None:
        self.nested.update(self, resource, stack_id, template, params, files, environment)

    def delete_nested(self, stack_id: str) -> None:
        self.nested.delete(stack_id)

    def nested_state(self, stack_id: str) -> tuple[str, str, str] | None:
        return self.nested.state(stack_id)

    def nested_outputs(self, stack_id: str) -> dict[str, Any]:
        return self.nested.outputs(stack_id)

    def nested_resource_refs(self, stack_id: str) -> dict[str, Any]:
        return self.nested.refs(stack_id)

    def nested_resource_attr(self, stack_id: str, name: str, attr: str | None, path: list[Any]) -> Any:
        return self.nested.attr(stack_id, name, attr, path)

    def signal_url(self, resource: Resource) -> str:
        return self.nested.signal_url(self, resource)

    def now(self) -> float:
        return time.time()

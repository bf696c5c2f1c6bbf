"""Stack preview: what a create would make, resource by resource, nested stacks as nested lists
(heat/engine/service.py preview_stack, api.format_resource with preview)."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine import environment, functions as fn
from pocketstack.services.orchestration.engine.properties import ValidationError, validate_properties
from pocketstack.services.orchestration.engine.resources import REGISTRY
from pocketstack.services.orchestration.engine.template import Template, parse, resolve_parameters


class _PreviewScope:
    """Parameters are known; nothing exists yet: a reference is the resource's name, an attribute None."""

    def __init__(self, params: dict[str, Any], stack_name: str, project_id: str, names: set[str]) -> None:
        self.params, self.stack_name, self.project_id, self.names = params, stack_name, project_id, names

    def get_param(self, name: str) -> Any:
        pseudo = {"OS::stack_name": self.stack_name, "OS::stack_id": "None", "OS::project_id": self.project_id,
                  "AWS::StackName": self.stack_name, "AWS::StackId": "None", "AWS::Region": "RegionOne"}
        return pseudo[name] if name in pseudo else self.params[name]

    def get_resource(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(name)
        return name

    def get_attr(self, resource: str, attribute: str | None, path: list[Any]) -> Any:
        if resource not in self.names:
            raise KeyError(resource)
        return None

    def get_file(self, key: str) -> str:
        raise KeyError(key)

    def condition(self, name: str) -> bool:
        return True

    def resource_facade(self, kind: str) -> Any:
        return None


def preview(tmpl: Template, env: dict[str, Any], stack_name: str, project_id: str,
            parent_resource: str | None = None) -> list[Any]:
    params = resolve_parameters(tmpl, env.get("parameters") or {}, env.get("parameter_defaults") or {}, None,
                                strict=False, validate=False)
    defs = tmpl.resource_defs()
    scope = _PreviewScope(params, stack_name, project_id, set(defs))
    deps = {n: fn.dependencies(d.snippet, tmpl.version) | set(d.depends_on) for n, d in defs.items()}
    required_by = {n: sorted(m for m, ds in deps.items() if n in ds) for n in defs}
    out: list[Any] = []
    for name, d in defs.items():
        impl = environment.resolve_type(env, name, d.type)
        props = fn.resolve(d.properties or {}, tmpl.version, scope, ["resources", name, "properties"])
        if impl in tmpl.files:
            child = Template(parse(tmpl.files[impl]), tmpl.files)
            child_env = {"parameters": {k: v for k, v in (props or {}).items() if v is not None},
                         "resource_registry": env.get("resource_registry")}
            out.append(preview(child, child_env, f"{stack_name}-{name}", project_id, name))
            continue
        if impl == "OS::Heat::ResourceGroup":
            out.append(_group(tmpl, env, props, stack_name, project_id, name))
            continue
        cls = REGISTRY.get(impl)
        if cls is not None and not hasattr(cls, "schema_for"):
            try:
                props = validate_properties(cls.properties_schema, props, ["resources", name, "properties"])
            except ValidationError:
                pass
        attrs = {a: None for a in cls.all_attributes()} if cls is not None else {}
        out.append(_resource(stack_name, project_id, name, d, props, attrs, required_by[name], parent_resource))
    return out


def _group(tmpl: Template, env: dict[str, Any], props: dict[str, Any], stack_name: str, project_id: str,
           name: str) -> list[Any]:
    rdef = (props or {}).get("resource_def") or {}
    count = int((props or {}).get("count", 1) or 0)
    member = {"heat_template_version": "2015-04-30", "resources": {
        str(i): {"type": rdef.get("type"), "properties": rdef.get("properties") or {}} for i in range(count)}}
    child = Template(member, tmpl.files)
    return preview(child, {"resource_registry": env.get("resource_registry")}, f"{stack_name}-{name}",
                   project_id, name)


def _resource(stack_name: str, project_id: str, name: str, d: Any, props: Any, attrs: dict[str, Any],
              required_by: list[str], parent_resource: str | None) -> dict[str, Any]:
    return {"resource_name": name, "resource_type": d.type, "resource_action": "INIT",
            "resource_status": "COMPLETE", "resource_status_reason": "", "physical_resource_id": "",
            "description": d.description or "", "creation_time": None, "updated_time": None,
            "resource_identity": {"stack_name": stack_name, "stack_id": "None", "tenant": project_id,
                                  "path": f"/resources/{name}"},
            "stack_name": stack_name, "stack_identity": {"stack_name": stack_name, "stack_id": "None",
                                                         "tenant": project_id, "path": ""},
            "properties": props or {}, "attributes": attrs, "required_by": required_by, "metadata": {},
            "parent_resource": parent_resource}

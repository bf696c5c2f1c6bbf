"""Templates: parsing (YAML/JSON), sections, resource definitions, parameters and their constraints,
and the static checks Heat runs before it creates anything (heat/common/template_format.py,
heat/engine/template.py, hot/template.py, parameters.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from pocketstack.core.errors import BadRequest
from pocketstack.services.orchestration.engine import functions as fn
from pocketstack.services.orchestration.engine.properties import (
    Prop, ValidationError, constraints_from_template, validate_value)

MAX_TEMPLATE_SIZE = 524288
PARAM_TYPES = {"string": "string", "number": "number", "comma_delimited_list": "list", "json": "json",
               "boolean": "boolean", "String": "string", "Number": "number", "CommaDelimitedList": "list",
               "Json": "json", "Boolean": "boolean"}
HOT_RESOURCE_KEYS = {"type", "properties", "metadata", "depends_on", "deletion_policy", "update_policy",
                     "description", "condition", "external_id"}
CFN_RESOURCE_KEYS = {"Type", "Properties", "Metadata", "DependsOn", "DeletionPolicy", "UpdatePolicy",
                     "Description", "Condition"}


def invalid(message: str, kind: str = "StackValidationFailed") -> BadRequest:
    return BadRequest(message, kind=kind)


class _Loader(yaml.SafeLoader):
    """YAML with every timestamp kept as text, as heat's yaml_loader does."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)  # type: ignore[arg-type]
_Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_yaml_str)  # type: ignore[arg-type]


def parse(body: Any, *, what: str = "Template") -> dict[str, Any]:
    """A template or environment from the request: a mapping, or JSON/YAML text."""
    if isinstance(body, dict):
        size = len(json.dumps(body))
        data: Any = body
    else:
        text = body if isinstance(body, str) else str(body or "")
        size = len(text.encode())
        if size > MAX_TEMPLATE_SIZE:
            raise BadRequest(f"Request limit exceeded: {what} size ({size} bytes) exceeds maximum allowed size "
                             f"({MAX_TEMPLATE_SIZE} bytes).", kind="RequestLimitExceeded")
        try:
            data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_Loader)
        except (ValueError, yaml.YAMLError) as exc:
            raise BadRequest(f"Error parsing template: {exc}" if what == "Template" else str(exc),
                             kind="HTTPBadRequest") from None
    if size > MAX_TEMPLATE_SIZE:
        raise BadRequest(f"Request limit exceeded: {what} size ({size} bytes) exceeds maximum allowed size "
                         f"({MAX_TEMPLATE_SIZE} bytes).", kind="RequestLimitExceeded")
    if data is None and what != "Template":
        return {}
    if not isinstance(data, dict):
        raise BadRequest("The template is not a JSON object or YAML mapping." if what == "Template"
                         else "The environment is not a valid YAML mapping data type.", kind="HTTPBadRequest")
    return data


@dataclass
class ResourceDef:
    name: str
    type: str
    properties: Any = None
    metadata: Any = None
    depends_on: list[str] = field(default_factory=list)
    deletion_policy: Any = "Delete"
    update_policy: Any = None
    condition: Any = None
    external_id: Any = None
    description: str = ""
    snippet: dict[str, Any] = field(default_factory=dict)

    def frozen(self) -> dict[str, Any]:
        """What an update compares besides the resolved properties."""
        return {"type": self.type, "metadata": self.metadata, "update_policy": self.update_policy,
                "deletion_policy": self.deletion_policy, "external_id": self.external_id}


@dataclass
class Param:
    name: str
    type: str                    # the template's word: string, number, comma_delimited_list, json, boolean
    schema: Prop
    default: Any = None
    hidden: bool = False
    label: str | None = None
    description: str = ""
    immutable: bool = False
    tags: list[str] = field(default_factory=list)


class Template:
    """One parsed template: its version, sections and definitions (nothing resolved)."""

    def __init__(self, raw: dict[str, Any], files: dict[str, str] | None = None) -> None:
        self.raw = raw
        self.files = files or {}
        try:
            self.version = fn.template_version(raw)
        except fn.TemplateError as exc:
            raise invalid(str(exc), kind="InvalidTemplateVersion") from None
        self.hot = self.version.type == "hot"
        for key in raw:
            if key not in self.version.sections:
                raise invalid(f"The template section is invalid: {key}", kind="InvalidTemplateSection")

    def section(self, hot: str, cfn: str) -> Any:
        value = self.raw.get(hot if self.hot else cfn)
        return value if value is not None else {}

    @property
    def description(self) -> str:
        return str(self.raw.get("description" if self.hot else "Description") or "No description")

    @property
    def conditions(self) -> dict[str, Any]:
        return self.section("conditions", "Conditions")

    @property
    def outputs(self) -> dict[str, Any]:
        return self.section("outputs", "Outputs")

    @property
    def parameter_groups(self) -> list[Any]:
        return self.section("parameter_groups", "ParameterGroups") or []

    # --- resources ----------------------------------------------------------------
    def resource_defs(self) -> dict[str, ResourceDef]:
        res = self.section("resources", "Resources")
        if not isinstance(res, dict):
            raise invalid(f'"{"resources" if self.hot else "Resources"}" must contain a map of resource maps. '
                          f'Found a [{type(res).__name__}] instead')
        return {name: self._resource_def(name, snippet) for name, snippet in res.items()}

    def _resource_def(self, name: str, snippet: Any) -> ResourceDef:
        path = f"resources.{name}" if self.hot else f"Resources.{name}"
        if not isinstance(snippet, dict):
            raise invalid(f"{path}: is not a valid resource definition")
        keys = HOT_RESOURCE_KEYS if self.hot else CFN_RESOURCE_KEYS
        for key in snippet:
            if key not in keys:
                raise invalid(f'"{key}" is not a valid keyword inside a resource definition')
        g = (lambda h, c: snippet.get(h if self.hot else c))
        rtype = g("type", "Type")
        if not isinstance(rtype, str):
            raise invalid(f"Resource {name} type type must be string" if rtype is not None
                          else f"Resource {name} is missing type")
        deps = g("depends_on", "DependsOn") or []
        if isinstance(deps, str):
            deps = [deps]
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            raise invalid(f"Resource {name} depends_on must be a list of strings" if self.hot else
                          f"Resource {name} DependsOn must be a list of strings")
        props = g("properties", "Properties")
        if props is not None and not isinstance(props, dict) and not _is_function(props, self.version):
            raise invalid(f"Resource {name} properties type must be map" if self.hot
                          else f"Resource {name} Properties type must be map")
        return ResourceDef(name=name, type=rtype, properties=props or {}, metadata=g("metadata", "Metadata"),
                           depends_on=list(deps), deletion_policy=g("deletion_policy", "DeletionPolicy") or "Delete",
                           update_policy=g("update_policy", "UpdatePolicy"), condition=g("condition", "Condition"),
                           external_id=snippet.get("external_id"), description=str(g("description", "Description")
                                                                                    or ""), snippet=snippet)

    # --- parameters -----------------------------------------------------------------
    def param_defs(self) -> dict[str, Param]:
        params = self.section("parameters", "Parameters")
        if not isinstance(params, dict):
            raise invalid("Invalid parameters, expected a mapping")
        return {name: self._param(name, spec) for name, spec in params.items()}

    def _param(self, name: str, spec: Any) -> Param:
        if not isinstance(spec, dict):
            raise invalid(f"Invalid parameter {name}, expected a mapping")
        t = spec.get("type" if self.hot else "Type")
        if t is None:
            raise invalid(f"Missing parameter type for parameter: {name}")
        if t not in PARAM_TYPES:
            raise invalid(f'Invalid type ({t})')
        if self.hot:
            cons = constraints_from_template(spec.get("constraints"), [name])
        else:
            cons = _cfn_constraints(spec)
        kind = PARAM_TYPES[t]
        return Param(name=name, type=t, schema=Prop(kind, constraints=cons), default=spec.get(
            "default" if self.hot else "Default"), hidden=_truthy(spec.get("hidden" if self.hot else "NoEcho")),
            label=spec.get("label"), description=str(spec.get("description" if self.hot else "Description") or ""),
            immutable=bool(spec.get("immutable", False)), tags=list(spec.get("tags") or []))


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def _is_function(value: Any, version: fn.TemplateVersion) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in version.functions


def _cfn_constraints(spec: dict[str, Any]) -> list[Any]:
    items: list[dict[str, Any]] = []
    if "AllowedValues" in spec:
        items.append({"allowed_values": spec["AllowedValues"]})
    if "AllowedPattern" in spec:
        items.append({"allowed_pattern": spec["AllowedPattern"]})
    if "MinLength" in spec or "MaxLength" in spec:
        items.append({"length": {k: int(spec[c]) for k, c in (("min", "MinLength"), ("max", "MaxLength"))
                                 if c in spec}})
    if "MinValue" in spec or "MaxValue" in spec:
        items.append({"range": {k: float(spec[c]) for k, c in (("min", "MinValue"), ("max", "MaxValue"))
                                if c in spec}})
    for item in items:
        if "ConstraintDescription" in spec:
            item["description"] = spec["ConstraintDescription"]
    return constraints_from_template(items, ["param"])


def convert_param(param: Param, value: Any) -> Any:
    """A user's or default value in the parameter's type (comma lists split, json parsed)."""
    if param.schema.type == "list" and isinstance(value, str):
        return [v.strip() for v in value.split(",")] if value != "" else []
    if param.schema.type == "json" and isinstance(value, str):
        try:
            return json.loads(value) if value else {}
        except ValueError as exc:
            raise ValidationError(f"Value must be valid JSON: {exc}") from None
    if param.schema.type == "number" and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return float(value)
    return value


def resolve_parameters(tmpl: Template, params: dict[str, Any], defaults: dict[str, Any],
                       custom: Callable[[str, Any], str | None] | None, *, strict: bool = True,
                       validate: bool = True) -> dict[str, Any]:
    """The value of every parameter; Heat's errors for unknown, missing and invalid ones."""
    defs = tmpl.param_defs()
    if strict:
        for name in params:
            if name not in defs:
                raise invalid(f"The Parameter ({name}) was not defined in template.", kind="UnknownUserParameter")
    values: dict[str, Any] = {}
    for name, p in defs.items():
        if name in params and params[name] is not None:
            raw = params[name]
        elif name in defaults:
            raw = defaults[name]
        else:
            raw = p.default
        if raw is None:
            if validate:
                raise invalid(f"The Parameter ({name}) was not provided.", kind="UserParameterMissing")
            values[name] = None
            continue
        try:
            value = convert_param(p, raw)
            values[name] = validate_value(p.schema, value, [], custom if validate else None)
        except ValidationError as exc:
            raise invalid(f"Parameter '{name}' is invalid: {exc.message}") from None
    return values


def sorted_by_dependencies(deps: dict[str, set[str]]) -> list[str]:
    """Names in creation order; Heat's CircularDependencyException when there is a cycle."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = trail[trail.index(node):] + [node]
            raise invalid("Circular Dependency Found: " + ", ".join(
                f"{a}: [{b}]" for a, b in zip(cycle, cycle[1:])), kind="CircularDependencyException")
        state[node] = 1
        for dep in sorted(deps.get(node, ())):
            visit(dep, [*trail, node])
        state[node] = 2
        order.append(node)

    for name in deps:
        visit(name, [])
    return order

"""The checks Heat runs on a template and environment before creating anything, and the answer of
POST /validate (heat/engine/service.py validate_template, stack.validate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pocketstack.core.errors import BadRequest
from pocketstack.services.orchestration.engine import dependencies, environment, functions as fn
from pocketstack.services.orchestration.engine.properties import (
    ValidationError, translate_aliases, validate_value)
from pocketstack.services.orchestration.engine.resources import REGISTRY
from pocketstack.services.orchestration.engine.template import (
    Template, invalid, resolve_parameters, sorted_by_dependencies)

MAX_RESOURCES = 1000


class _StaticScope:
    """Parameters only: what conditions may look at before anything exists."""

    def __init__(self, params: dict[str, Any], stack_name: str) -> None:
        self.params, self.stack_name = params, stack_name

    def get_param(self, name: str) -> Any:
        pseudo = {"OS::stack_name": self.stack_name, "OS::stack_id": "None", "OS::project_id": "None",
                  "AWS::StackName": self.stack_name, "AWS::StackId": "None", "AWS::Region": "RegionOne"}
        return pseudo[name] if name in pseudo else self.params[name]

    def get_resource(self, name: str) -> Any:
        raise KeyError(name)

    def get_attr(self, resource: str, attribute: str | None, path: list[Any]) -> Any:
        raise KeyError(resource)

    def get_file(self, key: str) -> str:
        raise KeyError(key)

    def condition(self, name: str) -> bool:
        return False

    def resource_facade(self, kind: str) -> Any:
        return None


def _has_function(value: Any, version: fn.TemplateVersion) -> bool:
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in version.functions:
            return True
        return any(_has_function(v, version) for v in value.values())
    if isinstance(value, list):
        return any(_has_function(v, version) for v in value)
    return False


def check(tmpl: Template, env: dict[str, Any], *, stack_name: str = "", custom: Callable[..., Any] | None = None,
          validate_params: bool = True, strict_params: bool = True) -> dict[str, Any]:
    """Raises Heat's 400s; returns the parameter values."""
    environment.validate_hooks(env)
    params = resolve_parameters(tmpl, env.get("parameters") or {}, env.get("parameter_defaults") or {}, custom,
                                strict=strict_params, validate=validate_params)
    _check_parameter_groups(tmpl)
    defs = tmpl.resource_defs()
    if len(defs) > MAX_RESOURCES:
        raise BadRequest("Maximum resources per stack exceeded.", kind="StackResourceLimitExceeded")
    try:
        conditions = fn.evaluate_conditions(tmpl.conditions, tmpl.version, _StaticScope(params, stack_name)) \
            if validate_params else {n: True for n in tmpl.conditions}
        names = list(defs)
        for name, d in defs.items():
            fn.validate(d.snippet, tmpl.version, ["resources", name], resources=names, parameters=list(params),
                        conditions=conditions)
        for key, spec in tmpl.outputs.items():
            fn.validate(spec, tmpl.version, ["outputs", key], resources=names, parameters=list(params),
                        conditions=conditions)
    except fn.TemplateError as exc:
        raise invalid(_heat_message(exc, tmpl.version),
                      kind=getattr(exc, "error_type", None) or "StackValidationFailed") from None
    deps = {n: (fn.dependencies(d.snippet, tmpl.version) | set(d.depends_on)) for n, d in defs.items()}
    for name, d in defs.items():
        for dep in d.depends_on:
            if dep not in defs:
                raise invalid(f'The specified reference "{dep}" (in {name}) is incorrect.',
                              kind="InvalidTemplateReference")
        _check_resource(tmpl, env, name, d, custom)
    sorted_by_dependencies({n: v & set(defs) for n, v in deps.items()})
    sorted_by_dependencies(dependencies.graph(defs, tmpl.version))
    return params


def _check_parameter_groups(tmpl: Template) -> None:
    """heat/engine/parameter_groups.py: each grouped parameter exists and is in one group only."""
    groups = tmpl.raw.get("parameter_groups" if tmpl.hot else "ParameterGroups")
    if not groups:
        return
    if not isinstance(groups, list):
        raise invalid(str(ValidationError("The parameter_groups should be a list.", ["parameter_groups"],
                                          "Parameter Groups error")))
    names, seen = set(tmpl.param_defs()), set()
    for group in groups:
        label = group.get("label", "") if isinstance(group, dict) else ""
        params = group.get("parameters") if isinstance(group, dict) else None

        def fail(message: str) -> Exception:
            return invalid(str(ValidationError(message, ["parameter_groups", label], "Parameter Groups error")))
        if params is None:
            raise fail("The parameters must be provided for each parameter group.")
        if not isinstance(params, list):
            raise fail("The parameters of parameter group should be a list.")
        for param in params:
            if param in seen:
                raise fail(f"The {param} parameter must be assigned to one parameter group only.")
            seen.add(param)
            if param not in names:
                raise fail(f"The grouped parameter {param} does not reference a valid parameter.")


def _heat_message(exc: fn.TemplateError, version: fn.TemplateVersion) -> str:
    """A function error in a resource's properties reads as Heat's property error:
    'Property error: : resources.<name>.properties.<prop>: : <message>' (quirk: the doubled colons)."""
    path = list(exc.path or [])
    if len(path) > 3 and path[0] == "resources" and path[2] == "properties":
        keep = []
        for item in path[3:]:
            if isinstance(item, str) and (item in version.functions or item in version.condition_functions):
                break
            keep.append(str(item))
        where = ".".join(["resources", str(path[1]), "properties", *keep])
        return f"Property error: : {where}: : {exc}"
    return exc.with_path() if hasattr(exc, "with_path") else str(exc)


def _check_resource(tmpl: Template, env: dict[str, Any], name: str, d: Any, custom: Any) -> None:
    impl = environment.resolve_type(env, name, d.type)
    if impl not in REGISTRY:
        if environment.is_template_type(impl, tmpl.files) or "::" not in impl:
            if impl not in tmpl.files:
                raise invalid(f"Failed to validate: resources.{name}: Could not fetch remote template "
                              f"\"{impl}\": Invalid URL scheme")
            return
        raise invalid(f"Failed to validate: resources.{name}: The Resource Type ({d.type}) could not be found.",
                      kind="StackValidationFailed")
    cls = REGISTRY[impl]
    if hasattr(cls, "static_check") and isinstance(d.properties, dict):
        try:
            cls.static_check(d.properties, tmpl.files)
        except ValidationError as exc:
            raise invalid(str(exc)) from None
    if hasattr(cls, "schema_for") or not isinstance(d.properties, dict):
        return
    schema = cls.properties_schema
    path = ["resources", name, "properties"]
    props = translate_aliases(getattr(cls, "aliases", {}), d.properties)
    try:
        for key in props:
            if key not in schema:
                raise ValidationError(f"Unknown Property {key}", path, "Property error")
        for key, prop in schema.items():
            value = props.get(key)
            if value is None:
                if prop.required and prop.default is None:
                    raise ValidationError(f"Property {key} not assigned", path, "Property error")
                continue
            if not _has_function(value, tmpl.version):
                validate_value(prop, value, [*path, key], custom)
    except ValidationError as exc:
        if not exc.error:
            exc = ValidationError(exc.message, exc.path, "Property error")
        raise invalid(str(exc)) from None


def describe_parameters(tmpl: Template, env: dict[str, Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The "Parameters" of POST /validate, in Heat's CFN-style keys."""
    out: dict[str, Any] = {}
    for name, p in tmpl.param_defs().items():
        item: dict[str, Any] = {"Type": _cfn_type(p.type), "Description": p.description,
                                "Label": p.label or name, "NoEcho": "true" if p.hidden else "false"}
        default = (env.get("parameter_defaults") or {}).get(name, p.default)
        if default is not None:
            item["Default"] = default
        if values is not None and name in (env.get("parameters") or {}):
            item["Value"] = (env.get("parameters") or {})[name]
        for c in p.schema.constraints:
            desc = c.describe()
            if "allowed_values" in desc:
                item["AllowedValues"] = desc["allowed_values"]
            if "allowed_pattern" in desc:
                item["AllowedPattern"] = desc["allowed_pattern"]
            if "length" in desc:
                item.update({"MinLength": desc["length"].get("min"), "MaxLength": desc["length"].get("max")})
                item = {k: v for k, v in item.items() if v is not None}
            if "range" in desc:
                item.update({"MinValue": desc["range"].get("min"), "MaxValue": desc["range"].get("max")})
                item = {k: v for k, v in item.items() if v is not None}
            if "custom_constraint" in desc:
                item["CustomConstraint"] = desc["custom_constraint"]
            if c.description:
                item["ConstraintDescription"] = c.description
        if p.immutable:
            item["Immutable"] = True
        out[name] = item
    return out


def _cfn_type(t: str) -> str:
    return {"string": "String", "number": "Number", "comma_delimited_list": "CommaDelimitedList",
            "json": "Json", "boolean": "Boolean"}.get(t, t)

"""Templates and resource types: /validate, /template_versions, /resource_types (api-ref:
orchestration, Templates and Resource Types; heat/api/openstack/v1/stacks.py validate_template,
list_template_versions, list_resource_types, resource_schema, generate_template)."""

from __future__ import annotations

import fnmatch
from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, NotFound
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.orchestration import common
from pocketstack.services.orchestration.engine import environment, functions as fn
from pocketstack.services.orchestration.engine import template as tpl
from pocketstack.services.orchestration.engine import validate as checks
from pocketstack.services.orchestration.engine.resources import REGISTRY


def validate_template(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    body = rq.body if isinstance(rq.body, dict) else {}
    if body.get("template") is None:
        raise BadRequest("No template specified", kind="HTTPBadRequest")
    files = dict(body.get("files") or {})
    env = environment.build(body.get("environment"), body.get("environment_files"), files)
    env["parameters"] = {**(env.get("parameters") or {}), **(body.get("parameters") or {})}
    tmpl = tpl.Template(tpl.parse(body["template"]), files)
    ignore = [e for e in (rq.query.get("ignore_errors") or "").split(",") if e]
    try:
        checks.check(tmpl, env, validate_params=False, strict_params=False)
    except BadRequest as exc:
        if not any(code in str(exc) or exc.kind == code for code in ignore):
            raise
    registry = dict(env.get("resource_registry") or {})
    for name, d in tmpl.resource_defs().items():
        impl = environment.resolve_type(env, name, d.type)
        if impl in files:     # quirk: Heat lists the template files used as types in the registry
            registry.setdefault(impl, impl)
    registry.setdefault("resources", {})
    out: dict[str, Any] = {"Description": tmpl.description,
                           "Parameters": checks.describe_parameters(tmpl, env, values={}),
                           "Environment": {"event_sinks": env.get("event_sinks") or [],
                                           "parameter_defaults": env.get("parameter_defaults") or {},
                                           "parameters": env.get("parameters") or {},
                                           "resource_registry": registry}}
    if tmpl.parameter_groups:
        out["ParameterGroups"] = tmpl.parameter_groups
    if common.boolean(rq.query.get("show_nested", False), "show_nested"):
        nested = _nested_params(tmpl, env)
        if nested:
            out["NestedParameters"] = nested
    return out


def _nested_params(tmpl: tpl.Template, env: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Each provider-template resource's parameters, with the values its properties give them."""
    from pocketstack.services.orchestration.engine.template import resolve_parameters
    values = params if params is not None else resolve_parameters(
        tmpl, env.get("parameters") or {}, env.get("parameter_defaults") or {}, None, strict=False, validate=False)
    out = {}
    for name, d in tmpl.resource_defs().items():
        impl = environment.resolve_type(env, name, d.type)
        if impl not in tmpl.files:
            continue
        child = tpl.Template(tpl.parse(tmpl.files[impl]), tmpl.files)
        props = {k: _static(v, values) for k, v in (d.properties or {}).items()}
        child_env = {"parameters": {k: v for k, v in props.items() if v is not None}}
        item: dict[str, Any] = {"Type": d.type, "Description": child.description,
                                "Parameters": checks.describe_parameters(child, child_env, values={})}
        child_values = resolve_parameters(child, child_env["parameters"], {}, None, strict=False, validate=False)
        deeper = _nested_params(child, {"resource_registry": env.get("resource_registry")}, child_values)
        if deeper:
            item["NestedParameters"] = deeper
        out[name] = item
    return out


def _static(value: Any, params: dict[str, Any]) -> Any:
    """A property value as far as parameters alone decide it (get_param), else None."""
    if isinstance(value, dict) and set(value) == {"get_param"}:
        key = value["get_param"]
        return params.get(key) if isinstance(key, str) else None
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("get_", "Fn::", "Ref")):
        return None
    return value


def list_template_versions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    versions = []
    for v in fn.VERSIONS.values():
        versions.append({"version": v.name, "type": v.type, "aliases": [f"{v.key}.{a}" for a in
                                                                       getattr(v, "aliases", ())]})
    return {"template_versions": versions}


def list_template_functions(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    name = rq.params["template_version"]
    lookup = getattr(fn, "lookup_version", None)
    version = lookup(name) if lookup else fn.VERSIONS.get(name)
    if version is None:
        raise NotFound(f"The template version {name} could not be found.", kind="NotFound")
    funcs = dict(version.functions)
    if common.boolean(rq.query.get("with_condition_func", False), "with_condition_func"):
        funcs.update(version.condition_functions)
    return {"template_functions": [{"functions": k, "description": v} for k, v in funcs.items()]}


def list_resource_types(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    q = rq.query
    names = sorted(n for n, cls in REGISTRY.items() if n != "OS::Heat::TemplateResource"
                   and cls.support_status != "HIDDEN" and common.type_allowed(ctx, n))
    if q.get("name"):
        names = [n for n in names if fnmatch.fnmatchcase(n, q["name"]) or q["name"] in n]
    if q.get("support_status"):
        names = [n for n in names if REGISTRY[n].support_status == q["support_status"]]
    if q.get("version"):
        names = [n for n in names if q["version"] <= "24.0.0"]
    if common.boolean(q.get("with_description", False), "with_description"):
        return {"resource_types": [{"resource_type": n, "description": REGISTRY[n].description} for n in names]}
    return {"resource_types": names}


def _cls(name: str) -> Any:
    if name not in REGISTRY or name == "OS::Heat::TemplateResource":
        raise NotFound(f"The Resource Type ({name}) could not be found.", kind="EntityNotFound")
    return REGISTRY[name]


def show_resource_type(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    cls = _cls(rq.params["type_name"])
    return {"resource_type": cls.type_name, "description": cls.description,
            "properties": {k: p.describe() for k, p in cls.properties_schema.items()},
            "attributes": {k: a.describe() for k, a in cls.all_attributes().items()},
            "support_status": {"status": cls.support_status, "version": None, "message": None,
                               "previous_status": None}}


def generate_template(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    cls = _cls(rq.params["type_name"])
    hot = rq.query.get("template_type", "cfn") == "hot"
    props = {k: {"get_param": k} if hot else {"Ref": k} for k in cls.properties_schema}
    params = {k: {"type": p.type if p.type != "list" else "comma_delimited_list", "description": p.description}
              if hot else {"Type": {"list": "CommaDelimitedList", "map": "Json"}.get(p.type, p.type.capitalize()),
                           "Description": p.description} for k, p in cls.properties_schema.items()}
    outputs = {a: ({"value": {"get_attr": [cls.type_name.split("::")[-1], a]}, "description": d.description}
                   if hot else {"Value": {"Fn::GetAtt": [cls.type_name.split("::")[-1], a]},
                                "Description": d.description}) for a, d in cls.all_attributes().items()}
    name = cls.type_name.split("::")[-1]
    if hot:
        return {"heat_template_version": "2016-10-14", "description": f"Initial template of {name}",
                "parameters": params, "resources": {name: {"type": cls.type_name, "properties": props}},
                "outputs": outputs}
    return {"HeatTemplateFormatVersion": "2012-12-12", "Description": f"Initial template of {name}",
            "Parameters": params, "Resources": {name: {"Type": cls.type_name, "Properties": props}},
            "Outputs": outputs}


V1 = "/v1/{tenant_id}"
T = common.target
ROUTES = [
    route("POST", V1 + "/validate", validate_template, policy="stacks:validate_template", target=T),
    route("GET", V1 + "/template_versions", list_template_versions, policy="stacks:list_template_versions",
          target=T),
    route("GET", V1 + "/template_versions/{template_version}/functions", list_template_functions,
          policy="stacks:list_template_functions", target=T),
    route("GET", V1 + "/resource_types", list_resource_types, policy="stacks:list_resource_types", target=T),
    route("GET", V1 + "/resource_types/{type_name}", show_resource_type, policy="stacks:resource_schema",
          target=T),
    route("GET", V1 + "/resource_types/{type_name}/template", generate_template,
          policy="stacks:generate_template", target=T),
]

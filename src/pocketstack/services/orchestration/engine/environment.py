"""Environments: parameters, parameter_defaults, the resource registry (type aliases, provider
templates, per-resource hooks), event sinks (heat/engine/environment.py, common/environment_format.py)."""

from __future__ import annotations

import fnmatch
from typing import Any

from pocketstack.core.errors import BadRequest
from pocketstack.services.orchestration.engine.template import parse

SECTIONS = ("parameters", "parameter_defaults", "resource_registry", "event_sinks", "encrypted_param_names",
            "parameter_merge_strategies")
HOOKS = ("pre-create", "pre-update", "pre-delete", "post-create", "post-update", "post-delete")
TEMPLATE_SUFFIXES = (".yaml", ".template", ".yml", ".json", ".hot")


def empty() -> dict[str, Any]:
    return {"parameters": {}, "parameter_defaults": {}, "resource_registry": {"resources": {}},
            "event_sinks": [], "encrypted_param_names": [], "parameter_merge_strategies": {}}


def load(body: Any) -> dict[str, Any]:
    data = parse(body, what="Environment") if body not in (None, "", {}) else {}
    for key in data:
        if key not in SECTIONS:
            raise BadRequest(f'environment has wrong section "{key}"', kind="HTTPBadRequest")
    for key in ("parameters", "parameter_defaults", "resource_registry"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise BadRequest(f'The environment is not a valid YAML mapping data type: "{key}"',
                             kind="HTTPBadRequest")
    return data


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = {**empty(), **{k: v for k, v in base.items() if v is not None}}
    for key in ("parameters", "parameter_defaults", "parameter_merge_strategies"):
        out[key] = {**(out.get(key) or {}), **(extra.get(key) or {})}
    reg = dict(out.get("resource_registry") or {})
    for key, value in (extra.get("resource_registry") or {}).items():
        if key == "resources":
            resources = {**(reg.get("resources") or {})}
            for name, spec in (value or {}).items():
                resources[name] = {**(resources.get(name) or {}), **(spec or {})}
            reg["resources"] = resources
        else:
            reg[key] = value
    reg.setdefault("resources", {})
    out["resource_registry"] = reg
    out["event_sinks"] = list(out.get("event_sinks") or []) + list(extra.get("event_sinks") or [])
    out["encrypted_param_names"] = list(out.get("encrypted_param_names") or [])
    return out


def build(body: Any, env_files: list[str] | None, files: dict[str, str]) -> dict[str, Any]:
    """The stack's environment: each environment file in order, then the request's environment."""
    env = empty()
    for name in env_files or []:
        if name not in files:
            raise BadRequest(f"Environment file {name} not found in files", kind="HTTPBadRequest")
        env = merge(env, load(files[name]))
    return merge(env, load(body))


def resolve_type(env: dict[str, Any], resource_name: str, rtype: str) -> str:
    """What a resource's type maps to: another type, or a provider template name."""
    reg = env.get("resource_registry") or {}
    per = ((reg.get("resources") or {}).get(resource_name) or {})
    if isinstance(per.get(rtype), str):
        return per[rtype]
    seen = set()
    while isinstance(reg.get(rtype), str) and rtype not in seen:
        seen.add(rtype)
        rtype = reg[rtype]
    for pattern, target in reg.items():
        if pattern.endswith("*") and isinstance(target, str) and target.endswith("*") \
                and fnmatch.fnmatchcase(rtype, pattern):
            return target[:-1] + rtype[len(pattern) - 1:]
    return rtype


def is_template_type(rtype: str, files: dict[str, str]) -> bool:
    return rtype in files or rtype.endswith(TEMPLATE_SUFFIXES) or rtype.startswith(("http://", "https://",
                                                                                     "file://"))


def hooks_for(env: dict[str, Any], resource_path: list[str]) -> set[str]:
    """Breakpoints set on a resource, nested stacks' resources addressed by their path of names."""
    node = (env.get("resource_registry") or {}).get("resources") or {}
    out: set[str] = set()
    _collect(node, resource_path, out)
    return out


def _collect(node: Any, path: list[str], out: set[str]) -> None:
    if not isinstance(node, dict) or not path:
        return
    head, rest = path[0], path[1:]
    for key, value in node.items():
        if not fnmatch.fnmatchcase(head, key) or not isinstance(value, dict):
            continue
        if not rest:
            hooks = value.get("hooks")
            out.update([hooks] if isinstance(hooks, str) else list(hooks or []))
        else:
            _collect(value, rest, out)


def validate_hooks(env: dict[str, Any]) -> None:
    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key == "hooks":
                for hook in [value] if isinstance(value, str) else list(value or []):
                    if hook not in HOOKS:
                        raise BadRequest(f'Invalid hook type "{hook}" for resource breakpoint, acceptable hook '
                                         f'types are: {list(HOOKS)}', kind="InvalidBreakPointHook")
            else:
                walk(value)
    walk((env.get("resource_registry") or {}).get("resources") or {})

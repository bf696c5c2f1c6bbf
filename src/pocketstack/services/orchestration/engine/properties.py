"""Property and parameter schemas: types, constraints and Heat's validation messages
(heat/engine/properties.py, constraints.py)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

TYPES = ("string", "integer", "number", "boolean", "list", "map", "json", "any")


class ValidationError(Exception):
    """Heat's StackValidationFailed: `error` ("Property error"), the path to the bad part, a message.
    str() renders '<error>: <path>: <message>' as heat's HeatExceptionWithPath does."""

    def __init__(self, message: str, path: list[Any] | None = None, error: str = "") -> None:
        self.error, self.path, self.message = error, list(path or []), message
        super().__init__(str(self))

    def __str__(self) -> str:
        out = ""
        for item in self.path:
            item = str(item)
            if item.isdigit():
                out += f"[{item}]"
            else:
                out = f"{out}.{item}" if out else item
        return (f"{self.error}: " if self.error else "") + (f"{out}: " if out else "") + self.message


# --- constraints ---------------------------------------------------------------
@dataclass
class Constraint:
    description: str | None = None

    def check(self, value: Any, custom: Callable[[str, Any], str | None] | None) -> str | None:
        """None when valid, else Heat's message."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        raise NotImplementedError


def _num(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return float(text)


@dataclass
class Range(Constraint):
    min: float | None = None
    max: float | None = None

    def check(self, value: Any, custom: Any) -> str | None:
        try:
            n = _num(value)
        except ValueError:
            return None
        if (self.min is not None and n < self.min) or (self.max is not None and n > self.max):
            return self.description or f"{value} is out of range (min: {self.min}, max: {self.max})"
        return None

    def describe(self) -> dict[str, Any]:
        return {"range": {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}}


@dataclass
class Length(Constraint):
    min: int | None = None
    max: int | None = None

    def check(self, value: Any, custom: Any) -> str | None:
        n = len(value) if value is not None else 0
        if (self.min is not None and n < self.min) or (self.max is not None and n > self.max):
            return self.description or f"length ({n}) is out of range (min: {self.min}, max: {self.max})"
        return None

    def describe(self) -> dict[str, Any]:
        return {"length": {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}}


@dataclass
class Modulo(Constraint):
    step: int = 1
    offset: int = 0

    def check(self, value: Any, custom: Any) -> str | None:
        n = _num(value)
        if n % self.step != self.offset % self.step:
            return self.description or f"{value} is not a multiple of {self.step} with an offset of {self.offset}"
        return None

    def describe(self) -> dict[str, Any]:
        return {"modulo": {"step": self.step, "offset": self.offset}}


@dataclass
class AllowedValues(Constraint):
    allowed: list[Any] = field(default_factory=list)

    def check(self, value: Any, custom: Any) -> str | None:
        values = value if isinstance(value, list) else [value]
        ok = [str(a) for a in self.allowed]
        if all(str(v) in ok for v in values):
            return None
        allowed = "[%s]" % ", ".join(json.dumps(a) for a in self.allowed)
        return self.description or f"{json.dumps(value)} is not an allowed value {allowed}"

    def describe(self) -> dict[str, Any]:
        return {"allowed_values": self.allowed}


@dataclass
class AllowedPattern(Constraint):
    pattern: str = ""

    def check(self, value: Any, custom: Any) -> str | None:
        m = re.match(self.pattern, str(value))
        if m is not None and m.end() == len(str(value)):
            return None
        return self.description or f'"{value}" does not match pattern "{self.pattern}"'

    def describe(self) -> dict[str, Any]:
        return {"allowed_pattern": self.pattern}


@dataclass
class Custom(Constraint):
    """A constraint checked against the live cloud (nova.flavor, neutron.network, ...)."""
    name: str = ""

    def check(self, value: Any, custom: Callable[[str, Any], str | None] | None) -> str | None:
        if custom is None or value in (None, ""):
            return None
        problem = custom(self.name, value)
        if problem is None:
            return None
        return self.description or (f"Error validating value '{value}': {problem}" if problem
                                    else f"Error validating value '{value}'")

    def describe(self) -> dict[str, Any]:
        return {"custom_constraint": self.name}


def constraints_from_template(items: Any, path: list[Any]) -> list[Constraint]:
    """A parameter's `constraints` list (HOT) into constraint objects."""
    out: list[Constraint] = []
    if items is None:
        return out
    if not isinstance(items, list):
        raise ValidationError("Invalid parameter constraints for parameter %s, expected a list" % path[-1])
    for item in items:
        if not isinstance(item, dict):
            raise ValidationError("Invalid parameter constraints, expected a list")
        desc = item.get("description")
        if "range" in item:
            r = item["range"] or {}
            out.append(Range(desc, r.get("min"), r.get("max")))
        elif "length" in item:
            r = item["length"] or {}
            out.append(Length(desc, r.get("min"), r.get("max")))
        elif "modulo" in item:
            r = item["modulo"] or {}
            out.append(Modulo(desc, r.get("step", 1), r.get("offset", 0)))
        elif "allowed_values" in item:
            out.append(AllowedValues(desc, list(item["allowed_values"] or [])))
        elif "allowed_pattern" in item:
            out.append(AllowedPattern(desc, str(item["allowed_pattern"])))
        elif "custom_constraint" in item:
            out.append(Custom(desc, str(item["custom_constraint"])))
        else:
            raise ValidationError("No constraint expressed")
    return out


# --- property schemas ------------------------------------------------------------
@dataclass
class Prop:
    """One property of a resource type: heat's properties.Schema."""
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    update_allowed: bool = False
    immutable: bool = False
    constraints: list[Constraint] = field(default_factory=list)
    schema: dict[str, Prop] | Prop | None = None   # map: sub-properties; list: the item schema
    support_status: str = "SUPPORTED"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "required": self.required,
                               "update_allowed": self.update_allowed, "immutable": self.immutable}
        if self.description:
            out["description"] = self.description
        if self.default is not None:
            out["default"] = self.default
        if self.constraints:
            out["constraints"] = [{**c.describe(), **({"description": c.description} if c.description else {})}
                                  for c in self.constraints]
        if isinstance(self.schema, dict):
            out["schema"] = {k: p.describe() for k, p in self.schema.items()}
        elif isinstance(self.schema, Prop):
            out["schema"] = {"*": self.schema.describe()}
        return out


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "t", "on", "y", "yes", "1"):
        return True
    if text in ("false", "f", "off", "n", "no", "0"):
        return False
    raise ValueError(f'"{value}" is not a valid boolean')


def coerce(kind: str, value: Any) -> Any:
    """Heat's type conversions; ValueError with Heat's message when the value does not fit."""
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, (dict, list)):
            raise ValueError(f"Value must be a string; got {value!r}")
        return str(value).lower() if isinstance(value, bool) else str(value)
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError(f"Value '{value}' is not an integer")
        try:
            n = _num(value)
        except (ValueError, TypeError):
            raise ValueError(f"Value '{value}' is not an integer") from None
        if isinstance(n, float) and not n.is_integer():
            raise ValueError(f"Value '{value}' is not an integer")
        return int(n)
    if kind == "number":
        try:
            n = _num(value)
        except (ValueError, TypeError):
            raise ValueError(f"Value '{value}' is invalid for data type 'number'") from None
        if isinstance(n, float) and (math.isnan(n) or math.isinf(n)):
            raise ValueError(f"Value '{value}' is invalid for data type 'number'")
        return n
    if kind == "boolean":
        return _bool(value)
    if kind == "map":
        if not isinstance(value, Mapping):
            raise ValueError(f'"{value}" is not a map')
        return dict(value)
    if kind == "list":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ValueError(f'"{value!r}" is not a list')
        return list(value)
    if kind == "any":       # a provider template's parameter: its own stack checks it
        return value
    if kind == "json":
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ValueError(str(exc)) from None
        return value
    raise ValueError(f"Invalid type ({kind})")


CustomCheck = Callable[[str, Any], "str | None"]


def validate_value(prop: Prop, value: Any, path: list[Any], custom: CustomCheck | None) -> Any:
    try:
        value = coerce(prop.type, value)
    except ValueError as exc:
        raise ValidationError(str(exc), path) from None
    if value is None:
        return None
    if prop.type == "map" and isinstance(prop.schema, dict):
        value = validate_properties(prop.schema, value, path, custom)
    elif prop.type == "list" and isinstance(prop.schema, Prop):
        value = [validate_value(prop.schema, item, [*path, str(i)], custom) for i, item in enumerate(value)]
    for c in prop.constraints:
        problem = c.check(value, custom)
        if problem is not None:
            raise ValidationError(problem, path)
    return value


def validate_properties(schema: Mapping[str, Prop], data: Mapping[str, Any] | None, path: list[Any],
                        custom: CustomCheck | None = None) -> dict[str, Any]:
    """The checked property values, with defaults filled in (heat Properties.validate + __getitem__)."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise ValidationError(f'"{data}" is not a map', path)
    for key in data:
        if key not in schema:
            raise ValidationError(f"Unknown Property {key}", path)
    out: dict[str, Any] = {}
    for key, prop in schema.items():
        value = data.get(key)
        if value is None:
            if prop.required and prop.default is None:
                raise ValidationError(f"Property {key} not assigned", path)
            out[key] = validate_value(prop, prop.default, [*path, key], None) if prop.default is not None else None
            continue
        out[key] = validate_value(prop, value, [*path, key], custom)
    return out


def translate_aliases(aliases: Mapping[str, str], data: Any) -> Any:
    """Heat's translation rules for deprecated property names (network_id -> network): the new
    name takes the old one's value before the schema is checked, so a required new name is met."""
    if not aliases or not isinstance(data, Mapping):
        return data
    out = dict(data)
    for old, new in aliases.items():
        if old in out and out.get(new) is None:
            out[new] = out.pop(old)
    return out

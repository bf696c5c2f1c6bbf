"""Request schemas: jsonschema checks with shared types, cached validators."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import uuid
from typing import Any

import jsonschema

from pocketstack.core.clock import parse_isotime
from pocketstack.core.errors import ValidationFailed

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time")
def _datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parse_isotime(value)
    except ValueError:
        return False
    return True


@FORMATS.checks("uuid")
def _uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@FORMATS.checks("base64")
def _base64(value: object) -> bool:
    """What Python's non-strict decoder takes (nova's check): characters outside the alphabet are skipped."""
    if not isinstance(value, str):
        return True
    try:
        base64.b64decode(value)
    except (binascii.Error, ValueError):
        return False
    return True


# --- shared types ------------------------------------------------------------
boolean = {"type": "boolean"}
nullable_string = {"type": ["string", "null"]}
id_string = {"type": "string", "minLength": 1, "maxLength": 64}
nullable_id = {"type": ["string", "null"], "minLength": 1, "maxLength": 64}
name = {"type": "string", "minLength": 1, "maxLength": 255}
description = {"type": ["string", "null"]}
url = {"type": "string", "minLength": 0, "maxLength": 225, "pattern": "^[a-zA-Z0-9+.-]+:.+"}
tag = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^,/]*$"}
tags = {"type": "array", "items": tag, "maxItems": 80, "uniqueItems": True}


def obj(properties: dict[str, Any], required: list[str] | None = None, *,
        additional: bool | dict = True, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required:
        out["required"] = required
    out.update(kw)
    return out


def wrap(key: str, inner: dict[str, Any]) -> dict[str, Any]:
    """{"key": inner} with key required: most OpenStack bodies wrap their resource."""
    return obj({key: inner}, [key])


@functools.lru_cache(maxsize=4096)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=FORMATS)


def validate(schema: dict[str, Any], instance: Any) -> None:
    validator = _validator(json.dumps(schema, sort_keys=True))
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is None:
        return
    path = "/".join(str(p) for p in error.absolute_path)
    if path:
        message = f"Invalid input for field '{path}': {error.message}"
    else:
        message = error.message
    raise ValidationFailed(message, field=path or None, detail=error.message)

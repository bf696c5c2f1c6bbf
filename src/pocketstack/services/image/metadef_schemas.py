"""The metadata definition schemas: GET /v2/schemas/metadefs/{name} (api-ref: image, Metadata
definition schemas) and the request bodies the metadefs API checks against them.

As Glance serves them: an item schema is {name, properties, additionalProperties: false, required,
definitions}; a collection lifts the item's definitions to the top and adds first/next/schema links.
"""

from __future__ import annotations

import copy
from typing import Any

from pocketstack.core import schemas
from pocketstack.core.errors import BadRequest, Forbidden

TYPES = ["array", "boolean", "integer", "number", "object", "string", None]


def _when(what: str) -> dict[str, Any]:
    return {"created_at": {"type": "string", "readOnly": True, "description": f"Date and time of {what} creation",
                           "format": "date-time"},
            "updated_at": {"type": "string", "readOnly": True,
                           "description": f"Date and time of the last {what} modification", "format": "date-time"}}


_LINKS = {"schema": {"readOnly": True, "type": "string"}, "self": {"readOnly": True, "type": "string"}}
PROPERTY_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 80},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "operators": {"type": "array", "items": {"type": "string"}},
    "type": {"type": "string", "enum": TYPES},
    "required": {"$ref": "#/definitions/stringArray"},
    "minimum": {"type": "number"},
    "maximum": {"type": "number"},
    "maxLength": {"$ref": "#/definitions/positiveInteger"},
    "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "pattern": {"type": "string", "format": "regex"},
    "enum": {"type": "array"},
    "readonly": {"type": "boolean"},
    "default": {},
    "items": {"type": "object", "properties": {"type": {"type": "string", "enum": TYPES},
                                               "enum": {"type": "array"}}},
    "maxItems": {"$ref": "#/definitions/positiveInteger"},
    "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
    "uniqueItems": {"type": "boolean", "default": False},
    "additionalItems": {"type": "boolean"},
}


def _definitions(min_items: bool) -> dict[str, Any]:
    string_array: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    if min_items:
        string_array = {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True}
    return {"positiveInteger": {"type": "integer", "minimum": 0},
            "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"}, {"default": 0}]},
            "stringArray": string_array}


NAMESPACE_DEFINITIONS = {**_definitions(False), "property": {"type": "object", "additionalProperties": {
    "type": "object", "required": ["title", "type"], "properties": PROPERTY_FIELDS}}}


def _item(name: str, properties: dict[str, Any], required: list[str] | None,
          definitions: dict[str, Any] | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": name, "properties": properties, "additionalProperties": False}
    if definitions:
        raw["definitions"] = definitions
    if required:
        raw["required"] = required
    return raw


def _collection(name: str, item: dict[str, Any], *, dict_of: bool = False) -> dict[str, Any]:
    item = dict(item)
    definitions = item.pop("definitions", None)
    items = {"type": "object", "additionalProperties": item} if dict_of else {"type": "array", "items": item}
    raw: dict[str, Any] = {"name": name, "properties": {
        name: items, "first": {"type": "string"}, "next": {"type": "string"}, "schema": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}]}
    if definitions:
        raw["definitions"] = definitions
    return raw


NAMESPACE = _item("namespace", {
    "namespace": {"type": "string", "description": "The unique namespace text.", "maxLength": 80},
    "display_name": {"type": "string", "description": "The user friendly name for the namespace. Used by UI if "
                     "available.", "maxLength": 80},
    "description": {"type": "string", "description": "Provides a user friendly description of the namespace.",
                    "maxLength": 500},
    "visibility": {"type": "string", "description": "Scope of namespace accessibility.",
                   "enum": ["public", "private"]},
    "protected": {"type": "boolean", "description": "If true, namespace will not be deletable."},
    "owner": {"type": "string", "description": "Owner of the namespace.", "maxLength": 255},
    **_when("namespace"), **_LINKS,
    "resource_type_associations": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "prefix": {"type": "string"}, "properties_target": {"type": "string"}}}},
    "properties": {"$ref": "#/definitions/property"},
    "objects": {"type": "array", "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"}, "properties": {"$ref": "#/definitions/property"}}}},
    "tags": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
}, ["namespace"], NAMESPACE_DEFINITIONS)
_when_object = _when("object")
OBJECT = _item("object", {
    "name": {"type": "string", "maxLength": 80}, "description": {"type": "string"},
    "required": {"$ref": "#/definitions/stringArray"}, "properties": {"$ref": "#/definitions/property"},
    **_LINKS, **_when_object}, ["name"], NAMESPACE_DEFINITIONS)
PROPERTY = _item("property", PROPERTY_FIELDS, ["title", "type", "name"], _definitions(True))
RESOURCE_TYPE = _item("resource_type_association", {
    "name": {"type": "string", "description": "Resource type names should be aligned with Heat resource types "
             "whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html",
             "maxLength": 80},
    "prefix": {"type": "string", "description": "Specifies the prefix to use for the given resource type. Any "
               "properties in the namespace should be prefixed with this prefix when being applied to the "
               "specified resource type. Must include prefix separator (e.g. a colon :).", "maxLength": 80},
    "properties_target": {"type": "string", "description": "Some resource types allow more than one key / value "
                          "pair per instance.  For example, Cinder allows user and image metadata on volumes. "
                          "Only the image properties metadata is evaluated by Nova (scheduling or drivers). "
                          "This property allows a namespace target to remove the ambiguity.", "maxLength": 80},
    **_when("resource type association")}, ["name"])
TAG = _item("tag", {"name": {"type": "string", "maxLength": 80}, **_when("tag")}, ["name"])
TAGS_BODY = _item("tags", {"tags": {"type": "array", "items": {
    "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"],
    "additionalProperties": False}}}, None)

_property_item = copy.deepcopy(PROPERTY)
_property_item["required"] = ["title", "type"]
SCHEMAS = {
    "namespace": NAMESPACE, "namespaces": _collection("namespaces", NAMESPACE),
    "object": OBJECT, "objects": _collection("objects", OBJECT),
    "property": PROPERTY, "properties": _collection("properties", _property_item, dict_of=True),
    "resource_type": RESOURCE_TYPE, "resource_types": _collection("resource_type_associations", RESOURCE_TYPE),
    "tag": TAG, "tags": _collection("tags", TAG),
}
PROPERTY_NO_NAME = {**PROPERTY, "required": ["title", "type"]}


def check(schema: dict[str, Any], body: Any, read_only: tuple[str, ...] = ("self", "schema", "created_at",
                                                                           "updated_at")) -> dict[str, Any]:
    """Glance's metadef request checks: a JSON object, no read-only keys (403), the schema (400)."""
    if not isinstance(body, dict):
        raise BadRequest("Body expected in request.")
    for key in read_only:
        if key in body:
            raise Forbidden(f"Attribute '{key}' is read-only.")
    try:
        schemas.validate(schema, body)
    except BadRequest as err:
        raise BadRequest(f"Provided object does not match schema '{schema['name']}': "
                         f"{getattr(err, 'detail', None) or err.message}") from None
    return body

"""Server request schemas (nova/api/openstack/compute/schemas/servers.py, newest shape; version rules in logic)."""

from __future__ import annotations

from pocketstack.services.compute.servers import personality

NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^(?! )[\S ]*(?<! )$"}
NAME_LOOSE = {"type": "string", "minLength": 1, "maxLength": 255}
METADATA = {"type": "object", "patternProperties": {"^[a-zA-Z0-9-_:. ]{1,255}$": {"type": "string",
                                                                                   "maxLength": 255}},
            "additionalProperties": False}
DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 255}
BOOL = {"type": ["boolean", "string"], "enum": [True, False, "True", "False", "true", "false", "1", "0", "yes",
                                                 "no", "on", "off", "t", "f", "y", "n", "TRUE", "FALSE"]}
POSITIVE = {"type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 1, "minLength": 1}
HOSTNAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9-._]*$"}
TAG = {"type": "string", "minLength": 1, "maxLength": 60, "pattern": r"^[^,/]*$"}
NETWORK_ITEM = {"type": "object", "additionalProperties": False, "properties": {
    "fixed_ip": {"type": "string", "oneOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
    "port": {"type": ["string", "null"], "format": "uuid"}, "uuid": {"type": "string"}, "tag": TAG}}
BDM_ITEM = {"type": "object", "additionalProperties": False, "properties": {
    "virtual_name": {"type": "string", "maxLength": 255}, "volume_id": {"type": "string"},
    "snapshot_id": {"type": "string"}, "volume_size": {"type": ["integer", "string", "null"]},
    "device_name": {"type": "string", "maxLength": 255}, "delete_on_termination": BOOL, "no_device": {},
    "connection_info": {"type": "string", "maxLength": 16777215},
    "source_type": {"type": "string", "enum": ["volume", "image", "snapshot", "blank"]},
    "uuid": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9._-]*$"},
    "image_id": {"type": "string"},
    "destination_type": {"type": "string", "enum": ["local", "volume"]},
    "guest_format": {"type": "string", "maxLength": 255}, "device_type": {"type": "string", "maxLength": 255},
    "disk_bus": {"type": "string", "maxLength": 255}, "boot_index": {"type": ["integer", "string", "null"]},
    "tag": TAG, "volume_type": {"type": ["string", "null"]}}}
HINTS = {"type": "object", "additionalProperties": True, "properties": {
    "group": {"type": "string", "format": "uuid"},
    "different_host": {"oneOf": [{"type": "string", "format": "uuid"},
                                 {"type": "array", "items": {"type": "string", "format": "uuid"}}]},
    "same_host": {"type": ["string", "array"]}}}

CREATE = {"type": "object", "required": ["server"], "additionalProperties": False, "properties": {
    "server": {"type": "object", "required": ["name", "flavorRef"], "additionalProperties": False, "properties": {
        "name": NAME, "imageRef": {"type": "string", "maxLength": 255},
        "flavorRef": {"type": ["string", "integer"], "minLength": 1},
        "adminPass": {"type": "string"}, "metadata": METADATA,
        "networks": {"oneOf": [{"type": "array", "items": NETWORK_ITEM},
                               {"type": "string", "enum": ["none", "auto"]}]},
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        "accessIPv4": {"type": "string", "format": "ipv4"}, "accessIPv6": {"type": "string", "format": "ipv6"},
        "personality": personality.SCHEMA,
        "availability_zone": NAME, "block_device_mapping": {"type": "array"},
        "block_device_mapping_v2": {"type": "array", "items": BDM_ITEM}, "config_drive": BOOL,
        "key_name": NAME, "min_count": POSITIVE, "max_count": POSITIVE, "return_reservation_id": BOOL,
        "security_groups": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                       "properties": {"name": NAME}}},
        "user_data": {"type": ["string", "null"], "maxLength": 65535}, "description": DESCRIPTION,
        "tags": {"type": "array", "items": TAG, "maxItems": 50}, "hostname": HOSTNAME,
        "trusted_image_certificates": {"type": ["array", "null"], "minItems": 1, "maxItems": 50,
                                       "uniqueItems": True, "items": {"type": "string", "minLength": 1}},
        "host": {"type": "string"}, "hypervisor_hostname": {"type": "string"}}},
    "os:scheduler_hints": HINTS, "OS-SCH-HNT:scheduler_hints": HINTS}}

UPDATE = {"type": "object", "required": ["server"], "additionalProperties": False, "properties": {
    "server": {"type": "object", "additionalProperties": False, "properties": {
        "name": NAME, "description": DESCRIPTION, "hostname": HOSTNAME,
        "accessIPv4": {"type": "string", "format": "ipv4"}, "accessIPv6": {"type": "string", "format": "ipv6"},
        "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
        "pinned_availability_zone": {**NAME, "type": ["string", "null"]}}}}}

METADATA_BODY = {"type": "object", "required": ["metadata"], "additionalProperties": False,
                 "properties": {"metadata": METADATA}}
META_ITEM = {"type": "object", "required": ["meta"], "additionalProperties": False, "properties": {
    "meta": {**METADATA, "minProperties": 1, "maxProperties": 1}}}
TAGS_BODY = {"type": "object", "required": ["tags"], "additionalProperties": False,
             "properties": {"tags": {"type": "array", "items": TAG, "maxItems": 50}}}
INTERFACE = {"type": "object", "required": ["interfaceAttachment"], "additionalProperties": False, "properties": {
    "interfaceAttachment": {"type": "object", "additionalProperties": False, "properties": {
        "net_id": {"type": "string", "format": "uuid"}, "port_id": {"type": "string", "format": "uuid"},
        "fixed_ips": {"type": "array", "maxItems": 1, "items": {
            "type": "object", "required": ["ip_address"], "additionalProperties": False,
            "properties": {"ip_address": {"type": "string"}}}}, "tag": TAG}}}}

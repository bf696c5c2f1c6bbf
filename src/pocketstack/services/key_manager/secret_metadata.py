"""Secret user metadata: /v1/secrets/{id}/metadata (api-ref: key-manager, Secret Metadata;
barbican/api/controllers/secretmeta.py)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.errors import BadRequest, Conflict, NotFound
from pocketstack.core.context import Context
from pocketstack.core.http import json_response
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.key_manager import common
from pocketstack.services.key_manager.secrets import target
from pocketstack.services.key_manager.tables import secret_metadata

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]*$")

# --- schemas -------------------------------------------------------------------
METADATA = {"type": "object", "required": ["metadata"], "properties": {"metadata": {"type": "object"}}}
METADATUM = {"type": "object", "required": ["key", "value"], "additionalProperties": False, "properties": {
    "key": {"type": "string", "maxLength": 255}, "value": {"type": "string", "maxLength": 255}}}


def _metadata(body: Any) -> dict[str, str]:
    """NewSecretMetadataValidator: string keys (URL-safe, lowercased) and string values."""
    data = common.validate(METADATA, body, "SecretMetadata")["metadata"]
    out = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise BadRequest("Invalid Metadata. Keys and Values must be Strings.")
        if not URL_SAFE.match(key):
            raise BadRequest("Invalid Key. Key must be URL safe.")
        out[key.lower()] = value
    return out


def _metadatum(body: Any) -> tuple[str, str]:
    data = common.validate(METADATUM, body, "SecretMetadatum")
    if not URL_SAFE.match(data["key"]):
        raise BadRequest("Invalid Key. Key must be URL safe.")
    return data["key"].lower(), data["value"]


# --- logic ---------------------------------------------------------------------
def _rows(conn: Any, secret_id: str) -> dict[str, str]:
    return {r.key: r.value for r in conn.execute(
        sa.select(secret_metadata).where(secret_metadata.c.secret_id == secret_id))}


# --- routes --------------------------------------------------------------------
def show_metadata(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        return {"metadata": _rows(conn, rq.target_cache["secret"]["id"])}


def replace_metadata(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    data, secret_id = _metadata(rq.body), rq.target_cache["secret"]["id"]
    with db.session() as conn:
        conn.execute(secret_metadata.delete().where(secret_metadata.c.secret_id == secret_id))
        if data:
            conn.execute(secret_metadata.insert(), [{"secret_id": secret_id, "key": k, "value": val}
                                                    for k, val in data.items()])
    return json_response(201, {"metadata_ref": common.ref(ctx, rq, "secrets", secret_id) + "/metadata"})


def create_metadatum(ctx: Context, rq: ApiRequest) -> Response:
    common.media(rq)
    (key, value), secret_id = _metadatum(rq.body), rq.target_cache["secret"]["id"]
    with db.session() as conn:
        if key in _rows(conn, secret_id):
            raise Conflict("Conflict. Key in request is already in the secret metadata")
        conn.execute(secret_metadata.insert().values(secret_id=secret_id, key=key, value=value))
    url = common.ref(ctx, rq, "secrets", secret_id) + "/metadata/" + key
    return json_response(201, {"key": key, "value": value}, headers={"Location": url})


def show_metadatum(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = _rows(conn, rq.target_cache["secret"]["id"])
    if rq.params["key"] not in rows:
        raise NotFound("Secret metadata not found.")
    return {"key": rq.params["key"], "value": rows[rq.params["key"]]}


def update_metadatum(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    common.media(rq)
    (key, value), secret_id = _metadatum(rq.body), rq.target_cache["secret"]["id"]
    if key != rq.params["key"]:
        raise Conflict("Key in request data does not match key in the request url.")
    with db.session() as conn:
        if key not in _rows(conn, secret_id):
            raise NotFound("Secret metadata not found.")
        conn.execute(secret_metadata.update().where(secret_metadata.c.secret_id == secret_id,
                                                    secret_metadata.c.key == key).values(value=value))
    return {"key": key, "value": value}


def delete_metadatum(ctx: Context, rq: ApiRequest) -> None:
    secret_id = rq.target_cache["secret"]["id"]
    with db.session() as conn:
        if not conn.execute(secret_metadata.delete().where(secret_metadata.c.secret_id == secret_id,
                                                           secret_metadata.c.key == rq.params["key"])).rowcount:
            raise NotFound("Secret metadata not found.")


M = "/v1/secrets/{secret_id}/metadata"
ROUTES = [
    route("GET", M, show_metadata, policy="secret_meta:get", target=target),
    route("PUT", M, replace_metadata, policy="secret_meta:put", target=target, status=201),
    route("POST", M, create_metadatum, policy="secret_meta:post", target=target, status=201),
    route("GET", M + "/{key}", show_metadatum, policy="secret_meta:get", target=target),
    route("PUT", M + "/{key}", update_metadatum, policy="secret_meta:put", target=target),
    route("DELETE", M + "/{key}", delete_metadatum, policy="secret_meta:delete", target=target, status=204),
]

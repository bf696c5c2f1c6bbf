"""Personality (injected files): `personality` in server create and rebuild, 2.1 to 2.56 (api-ref: compute,
Servers - Create Server, Rebuild Server). The files go to the guest in its config drive (openstack/content/,
listed under `files` in meta_data.json), as nova's do; the metadata service never lists them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from pocketstack.core import schemas
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Forbidden
from pocketstack.services.compute import quotas

GONE = quotas.NO_FILE_QUOTAS          # 2.57: personality leaves create and rebuild with its quotas
SCHEMA = {"type": "array", "items": {      # nova's parameter_types.personality
    "type": "object", "additionalProperties": False,
    "properties": {"path": {"type": "string"}, "contents": {"type": "string", "format": "base64"}}}}


def check_version(ctx: Context, action: str, body: dict[str, Any]) -> None:
    """From 2.57 nova's create and rebuild schemas have no `personality` (400, before anything else)."""
    if "personality" in body and ctx.version >= GONE:
        raise BadRequest(f"Invalid input for field/attribute {action}. Additional properties are not allowed "
                         f"('personality' was unexpected)")


def injected_files(conn: Connection, ctx: Context, body: dict[str, Any]) -> list[list[str]] | None:
    """The files `body` (a server or rebuild body) asks for, as [path, base64 contents] pairs, within the
    project's injected file quotas (nova's _check_injected_file_quota: 403); None when it asks for none."""
    if "personality" not in body:
        return None
    schemas.validate(SCHEMA, body["personality"])
    files = [[f.get("path", ""), f.get("contents", "")] for f in body["personality"]]
    if not files:
        return []
    limits = quotas.limits_of(conn, ctx.project_id or "")

    def over(resource: str, value: int) -> bool:
        return 0 <= limits[resource] < value
    if over("injected_files", len(files)):
        raise Forbidden("Personality file limit exceeded", kind="over_quota")
    # quota: the contents are counted as sent (base64), as nova counts them; the path's limit is reported first
    if over("injected_file_path_bytes", max(len(p) for p, _ in files)):
        raise Forbidden(f"Personality file path exceeds maximum {limits['injected_file_path_bytes']}",
                        kind="over_quota")
    if over("injected_file_content_bytes", max(len(c) for _, c in files)):
        raise Forbidden(f"Personality file content exceeds maximum {limits['injected_file_content_bytes']}",
                        kind="over_quota")
    return files


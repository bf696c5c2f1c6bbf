"""The metadata service guests reach through the network's metadata proxy: /compute/metadata/... (nova-api-metadata,
nova/api/metadata/handler.py and password.py). No Keystone token: the proxy vouches for the instance with
X-Instance-ID, X-Tenant-ID and X-Instance-ID-Signature = HMAC-SHA256(shared secret, instance id)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import tables as t
from pocketstack.services.compute.metadata import instance, tree

MAX_PASSWORD = 4 * 255      # nova's password.py: four system_metadata items of 255 characters


class Config:
    data_dir: Path | None = None
    shared_secret: str | None = None           # `network.metadata.shared_secret`, else the data dir's file
    cache_expiration = 15.0                    # nova's [api]metadata_cache_expiration


_cache: dict[str, tuple[float, tree.InstanceMetadata]] = {}
_lock = threading.Lock()


def configure(settings: Any) -> None:
    Config.data_dir = Path(settings.data_dir)
    Config.shared_secret = settings.option("network.metadata.shared_secret") or None
    Config.cache_expiration = float(settings.option("compute.metadata.cache_expiration", 15))
    tree.Options.dhcp_domain = str(settings.option("compute.metadata.dhcp_domain", "novalocal") or "")
    tree.Options.vendordata = dict(settings.option("compute.metadata.vendordata", {}) or {})
    _cache.clear()
    shared_secret()                            # written now, so the proxy and operators find it from the start


def shared_secret() -> str:
    """The same secret the network's proxy signs with: the configured one, else the data dir's file (written
    once by whichever side reads it first)."""
    if Config.shared_secret:
        return Config.shared_secret
    if Config.data_dir is None:
        raise Forbidden("Invalid proxy request signature.")
    path = Config.data_dir / "metadata_proxy_shared_secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text().strip()
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        secret = path.read_text().strip()
    if secret:                                 # empty only while another process is writing it
        Config.shared_secret = secret
    return secret


def sign(instance_id: str) -> str:
    secret = shared_secret()
    if not secret:                             # never sign with an empty key: anyone could
        raise Forbidden("Invalid proxy request signature.")
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


# --- logic ---------------------------------------------------------------------------------
def metadata_for(rq: ApiRequest) -> tree.InstanceMetadata:
    """nova's _handle_instance_id_request: 400 without the headers, 403 on a bad signature, 404 for an unknown
    server or one of another project."""
    instance_id, tenant_id = rq.headers.get("x-instance-id"), rq.headers.get("x-tenant-id")
    signature = rq.headers.get("x-instance-id-signature")
    for value, header in ((instance_id, "X-Instance-ID"), (signature, "X-Instance-ID-Signature"),
                          (tenant_id, "X-Tenant-ID")):
        if value is None:
            raise BadRequest(f"{header} header is missing from request.")
    for header in ("x-instance-id", "x-tenant-id"):
        if len(rq.headers.getlist(header)) > 1:
            raise BadRequest(f"Multiple {header.title().replace('Id', 'ID')} headers found within request.")
    if not hmac.compare_digest(sign(instance_id).encode(), signature.encode("utf-8", "replace")):
        raise Forbidden("Invalid proxy request signature.")
    md = _cached(instance_id, rq.headers.get("x-forwarded-for"))
    if md is None or md.server["project_id"] != tenant_id:
        raise NotFound("The resource could not be found.")
    return md


def _cached(instance_id: str, address: str | None) -> tree.InstanceMetadata | None:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(instance_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    data = instance.load(instance_id)
    if data is None:
        return None
    md = tree.InstanceMetadata(data, address)
    if Config.cache_expiration > 0:
        with _lock:
            if len(_cache) > 1000:             # servers come and go: drop what has expired
                for key in [k for k, (expires, _) in _cache.items() if expires <= now]:
                    del _cache[key]
            _cache[instance_id] = (now + Config.cache_expiration, md)
    return md


def set_password(server_id: str, password: bytes) -> None:
    """Once only: nova answers 409 while a password is set (until the admin API clears it)."""
    if instance.password(server_id):
        raise Conflict("The password is already set.")
    if len(password) > MAX_PASSWORD:
        raise BadRequest("Request is too large.")
    try:
        with db.session() as conn:
            conn.execute(t.server_passwords.delete().where(t.server_passwords.c.server_id == server_id))
            conn.execute(t.server_passwords.insert().values(server_id=server_id, created_at=utcnow(),
                                                            password=password.decode("utf-8", "replace")))
    except IntegrityError:
        raise Conflict("The password is already set.") from None


def _answer(md: tree.InstanceMetadata, path: str) -> Response:
    try:
        data, mimetype = md.lookup(path)
    except tree.PasswordPath:
        return Response(instance.password(md.server["id"]) or "", media_type=tree.TEXT)
    except tree.InvalidPath:
        raise NotFound("The resource could not be found.") from None
    return Response(tree.ec2_md_print(data), media_type=mimetype)


# --- routes --------------------------------------------------------------------------------
def list_versions(ctx: Context, rq: ApiRequest) -> Response:
    """`/`: the EC2 versions, to anyone (nova answers it before looking at the headers)."""
    return Response(tree.ec2_md_print(tree.EC2_VERSIONS + ["latest"]), media_type=tree.TEXT)


def show_metadata(ctx: Context, rq: ApiRequest) -> Response:
    return _answer(metadata_for(rq), rq.params["path"])


async def post_metadata(ctx: Context, rq: ApiRequest) -> Response:
    """POST to .../password sets the password (nova's handle_password); to any other path, nova answers as
    for GET."""
    body = await _read_capped(rq, MAX_PASSWORD + 1)
    md = await anyio.to_thread.run_sync(metadata_for, rq)
    if md.is_password(rq.params["path"]):
        await anyio.to_thread.run_sync(set_password, md.server["id"], body)
        return Response(b"", media_type=tree.TEXT)
    return await anyio.to_thread.run_sync(_answer, md, rq.params["path"])


async def _read_capped(rq: ApiRequest, limit: int) -> bytes:
    body = b""
    async for chunk in rq.stream():
        body += chunk
        if len(body) >= limit:
            break
    return body


def show_password(server_id: str) -> str:
    """For the admin API's GET /servers/{id}/os-server-password."""
    return instance.password(server_id) or ""


def clear_password(server_id: str) -> None:
    with db.session() as conn:
        conn.execute(t.server_passwords.delete().where(t.server_passwords.c.server_id == server_id))


M = "/metadata"
ROUTES = [
    route("GET", M, list_versions, policy=PUBLIC, auth=False),
    route("GET", M + "/{path:path}", show_metadata, policy=PUBLIC, auth=False),
    route("POST", M + "/{path:path}", post_metadata, policy=PUBLIC, auth=False, raw_body=True),
]


def is_metadata_path(rq: ApiRequest | None) -> bool:
    return rq is not None and (rq.path == rq.service_prefix + M or rq.path.startswith(rq.service_prefix + M + "/"))


__all__ = ["ROUTES", "clear_password", "configure", "is_metadata_path", "show_password", "sign"]

"""Compute keypairs: /os-keypairs (api-ref: compute, Keypairs (keypairs))."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import db
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, Conflict, Forbidden, NotFound
from pocketstack.core.ids import new_uuid
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.compute import paging, quotas
from pocketstack.services.compute import tables as t
from pocketstack.services.compute import versions as v

# --- schemas ---------------------------------------------------------------------------
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[a-zA-Z0-9 _.@-]+$"}
CREATE = {"type": "object", "required": ["keypair"], "additionalProperties": False, "properties": {"keypair": {
    "type": "object", "required": ["name"], "additionalProperties": False, "properties": {
        "name": NAME, "public_key": {"type": "string"}, "type": {"type": "string", "enum": ["ssh", "x509"]},
        "user_id": {"type": "string"}}}}}


# --- views -----------------------------------------------------------------------------
def render_keypair(ctx: Context, row: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"name": row["name"], "public_key": row["public_key"], "fingerprint": row["fingerprint"]}
    if ctx.version >= v.KEYPAIR_TYPE:
        body["type"] = row["type"]
    if full:
        body.update({"user_id": row["user_id"], "created_at": isotime(row["created_at"], subsecond=True, suffix=""),
                     "deleted": False, "deleted_at": None, "updated_at": None,
                     "id": int(hashlib.sha1(row["id"].encode()).hexdigest()[:7], 16)})
    return body


# --- logic -----------------------------------------------------------------------------
def _colons(digest: str) -> str:
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


# cryptography's x509 and key modules are imported by the functions that use them: a twentieth of
# a second of every start otherwise
def ssh_fingerprint(public_key: str) -> str:
    from cryptography.hazmat.primitives import serialization
    try:
        key = serialization.load_ssh_public_key(public_key.strip().encode())
        blob = base64.b64decode(key.public_bytes(serialization.Encoding.OpenSSH,
                                                 serialization.PublicFormat.OpenSSH).split()[1])
    except (ValueError, IndexError, TypeError, UnicodeError):
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    return _colons(hashlib.md5(blob, usedforsecurity=False).hexdigest())


def x509_fingerprint(pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    return _colons(cert.fingerprint(hashes.SHA1()).hex())  # noqa: S303 - nova's fingerprint


def generate(key_type: str, name: str) -> tuple[str, str]:
    """(private key PEM, public key) as nova's crypto.generate_key_pair / generate_winrm_x509_cert make them."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    if key_type == "ssh":
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode() + " Generated-by-Nova"
        return private, public
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=3650)).sign(key, hashes.SHA256()))
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def owner(ctx: Context, rq: ApiRequest) -> str:
    if ctx.version >= v.KEYPAIR_USER:
        body_user = (rq.body or {}).get("keypair", {}).get("user_id") if rq.method == "POST" else None
        return body_user or rq.query.get("user_id") or ctx.user_id or ""
    return ctx.user_id or ""


def load(conn: Connection, user_id: str, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(t.keypairs).where(t.keypairs.c.user_id == user_id,
                                                   t.keypairs.c.name == name)).mappings().first()
    if row is None:
        raise NotFound(f"Keypair {name} not found for user {user_id}")
    return dict(row)


def create_keypair(conn: Connection, ctx: Context, user_id: str, body: dict[str, Any]) -> tuple[dict, str | None]:
    key_type = body.get("type", "ssh") if ctx.version >= v.KEYPAIR_TYPE else "ssh"
    if ctx.version >= v.KEYPAIR_NO_PAGING_2 and "public_key" not in body:
        raise BadRequest("Invalid input for field/attribute keypair. 'public_key' is a required property")
    count = conn.execute(sa.select(sa.func.count()).select_from(t.keypairs).where(
        t.keypairs.c.user_id == user_id)).scalar_one()
    if count >= quotas.limit_for(conn, ctx.project_id or "", "key_pairs"):
        raise Forbidden("Quota exceeded, too many key pairs.")
    private = None
    public = body.get("public_key")
    if public is None:
        private, public = generate(key_type, body["name"])
    fingerprint = x509_fingerprint(public) if key_type == "x509" else ssh_fingerprint(public)
    if conn.execute(sa.select(t.keypairs.c.id).where(t.keypairs.c.user_id == user_id,
                                                     t.keypairs.c.name == body["name"])).first():
        raise Conflict(f"Key pair '{body['name']}' already exists.")
    row = {"id": new_uuid(), "user_id": user_id, "name": body["name"], "type": key_type, "public_key": public,
           "fingerprint": fingerprint, "created_at": utcnow()}
    conn.execute(t.keypairs.insert().values(**row))
    return row, private


# --- routes ----------------------------------------------------------------------------
def target(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    return {"user_id": owner(ctx, rq), "project_id": ctx.project_id}


def list_keypairs(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(t.keypairs).where(
            t.keypairs.c.user_id == owner(ctx, rq)).order_by(t.keypairs.c.name)).mappings()]
    if ctx.version >= v.KEYPAIR_PAGING:
        limit, marker = paging.limit_and_marker(rq)
        rows = paging.page_after(rows, marker, limit, key="name", missing="Marker {} could not be found.")
    out: dict[str, Any] = {"keypairs": [{"keypair": render_keypair(ctx, r)} for r in rows]}
    if ctx.version >= v.KEYPAIR_PAGING:
        links = paging.collection_links(ctx, rq, "os-keypairs", rows, paging.limit_and_marker(rq)[0], key="name")
        if links:
            out["keypairs_links"] = links
    return out


def show_keypair(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.reader() as conn:
        row = load(conn, owner(ctx, rq), rq.params["name"])
    return {"keypair": render_keypair(ctx, row, full=True)}


def post_keypair(ctx: Context, rq: ApiRequest) -> dict[str, Any]:
    with db.session() as conn:
        row, private = create_keypair(conn, ctx, owner(ctx, rq), rq.body["keypair"])
    body = render_keypair(ctx, row)
    body["user_id"] = row["user_id"]
    if private is not None:
        body["private_key"] = private
    return {"keypair": body}


def delete_keypair(ctx: Context, rq: ApiRequest) -> None:
    with db.session() as conn:
        row = load(conn, owner(ctx, rq), rq.params["name"])
        conn.execute(t.keypairs.delete().where(t.keypairs.c.id == row["id"]))


K = "/v2.1/os-keypairs"
P = "os_compute_api:os-keypairs:"
ROUTES = [
    route("GET", K, list_keypairs, policy=P + "index", target=target),
    route("POST", K, post_keypair, policy=P + "create", target=target, body=CREATE,
          status={v.MIN: 200, v.KEYPAIR_TYPE: 201}),
    route("GET", K + "/{name}", show_keypair, policy=P + "show", target=target),
    route("DELETE", K + "/{name}", delete_keypair, policy=P + "delete", target=target,
          status={v.MIN: 202, v.KEYPAIR_TYPE: 204}),
]

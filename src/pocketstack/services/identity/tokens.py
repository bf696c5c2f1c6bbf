"""Tokens: Fernet-sealed payloads any worker can open, revocation events, the token body.

A token carries who, how, which scope, when it was issued and when it expires. Keys live in the
database, so every worker on every host shares them; `rotate_keys()` adds a new primary and keeps
`max_active_keys`. A token is valid while it has not expired and no revocation event matches it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Connection

from pocketstack.core import db, snapshots
from pocketstack.core.clock import isotime, utcnow
from pocketstack.core.errors import NotFound, Unauthorized
from pocketstack.services.identity import options
from pocketstack.services.identity.tables import revocations, token_keys

EPOCH = dt.datetime(1970, 1, 1)
_keys: dict[str, MultiFernet] = {}
_keys_lock = threading.Lock()
snapshots.forget_on_restore(_keys.clear)


# --- logic: keys -------------------------------------------------------------
def ensure_keys(conn: Connection, purpose: str = "token") -> None:
    exists = conn.execute(sa.select(token_keys.c.id).where(token_keys.c.purpose == purpose).limit(1)).first()
    if exists is None:
        conn.execute(token_keys.insert().values(purpose=purpose, key=Fernet.generate_key().decode(),
                                                primary=True, created_at=utcnow()))


def rotate_keys(conn: Connection, purpose: str = "token") -> None:
    conn.execute(token_keys.update().where(token_keys.c.purpose == purpose).values(primary=False))
    conn.execute(token_keys.insert().values(purpose=purpose, key=Fernet.generate_key().decode(),
                                            primary=True, created_at=utcnow()))
    keep = int(options.get("max_active_keys"))
    old = conn.execute(sa.select(token_keys.c.id).where(token_keys.c.purpose == purpose)
                       .order_by(token_keys.c.id.desc()).offset(keep)).scalars().all()
    if old:
        conn.execute(token_keys.delete().where(token_keys.c.id.in_(old)))
    _keys.pop(purpose, None)


def fernet(purpose: str = "token", *, reload: bool = False) -> MultiFernet:
    with _keys_lock:
        if reload or purpose not in _keys:
            rows = _key_rows(purpose)
            if not rows:
                with db.session() as conn:
                    ensure_keys(conn, purpose)
                rows = _key_rows(purpose)
            _keys[purpose] = MultiFernet([Fernet(k.encode()) for k in rows])
        return _keys[purpose]


def _key_rows(purpose: str) -> list[str]:
    """Keys, primary first: MultiFernet encrypts with the first and decrypts with any."""
    with db.reader() as conn:
        return list(conn.execute(sa.select(token_keys.c.key).where(token_keys.c.purpose == purpose)
                                 .order_by(token_keys.c.primary.desc(), token_keys.c.id.desc())).scalars())


# --- logic: payloads -----------------------------------------------------------
def new_audit_id() -> str:
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


def _epoch(value: dt.datetime) -> float:
    return (value - EPOCH).total_seconds()


def _from_epoch(value: float) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=value)


def issue(payload: dict[str, Any]) -> str:
    """payload: user_id, methods, scope ({project_id}|{domain_id}|{system}|{}), expires_at,
    issued_at, audit_ids, trust_id, application_credential_id."""
    compact = {"u": payload["user_id"], "m": payload["methods"], "s": payload.get("scope") or {},
               "e": _epoch(payload["expires_at"]), "i": _epoch(payload["issued_at"]),
               "a": payload["audit_ids"]}
    for short, key in (("t", "trust_id"), ("c", "application_credential_id"), ("o", "access_token_id")):
        if payload.get(key):
            compact[short] = payload[key]
    return fernet().encrypt(json.dumps(compact, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(token: str, *, allow_expired: bool = False) -> dict[str, Any]:
    """Open a token; raises NotFound when it is not one of ours or has expired."""
    padded = token + "=" * (-len(token) % 4)
    try:
        raw = fernet().decrypt(padded.encode())
    except InvalidToken:
        try:
            raw = fernet(reload=True).decrypt(padded.encode())
        except InvalidToken:
            raise NotFound("Failed to validate token") from None
    except (ValueError, TypeError):
        raise NotFound("Failed to validate token") from None
    c = json.loads(raw)
    payload = {"user_id": c["u"], "methods": c["m"], "scope": c["s"], "expires_at": _from_epoch(c["e"]),
               "issued_at": _from_epoch(c["i"]), "audit_ids": c["a"], "trust_id": c.get("t"),
               "application_credential_id": c.get("c"), "access_token_id": c.get("o")}
    now = utcnow()
    window = dt.timedelta(seconds=options.get("allow_expired_window")) if allow_expired else dt.timedelta(0)
    if payload["expires_at"] + window <= now:
        raise NotFound("Failed to validate token")
    return payload


def expiry(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=int(options.get("token_expiration")))


# --- logic: revocation -----------------------------------------------------------
def revoke(conn: Connection, **match: Any) -> None:
    """Record an event revoking every token issued until now that matches all of `match`
    (user_id, project_id, domain_id, role_id, trust_id, audit_id, audit_chain_id,
    application_credential_id)."""
    now = utcnow()
    conn.execute(revocations.insert().values(issued_before=now, revoked_at=now, **match))


def is_revoked(conn: Connection, payload: dict[str, Any]) -> bool:
    r = revocations.c
    scope = payload["scope"]
    fields = {
        "user_id": payload["user_id"], "project_id": scope.get("project_id"),
        "domain_id": scope.get("domain_id"), "trust_id": payload.get("trust_id"),
        "application_credential_id": payload.get("application_credential_id"),
    }
    # An event matches when each of its non-null fields equals the token's value.
    conds = [sa.or_(r[name].is_(None), r[name] == value) if value is not None else r[name].is_(None)
             for name, value in fields.items()]
    audit = payload["audit_ids"]
    conds.append(sa.or_(r.audit_id.is_(None), r.audit_id == audit[0]))
    conds.append(sa.or_(r.audit_chain_id.is_(None), r.audit_chain_id == audit[-1]))
    stmt = sa.select(r.id).where(r.issued_before >= payload["issued_at"], r.role_id.is_(None), *conds).limit(1)
    return conn.execute(stmt).first() is not None


def revocation_mark(conn: Connection) -> int:
    """The newest revocation event's id: changes whenever any worker revokes anything."""
    return int(conn.execute(sa.select(sa.func.max(revocations.c.id))).scalar() or 0)


def prune_revocations(conn: Connection) -> None:
    cutoff = utcnow() - dt.timedelta(seconds=int(options.get("token_expiration"))
                                     + int(options.get("allow_expired_window")))
    conn.execute(revocations.delete().where(revocations.c.revoked_at < cutoff))


def validate(conn: Connection, token: str, *, allow_expired: bool = False,
             for_subject: bool = False) -> dict[str, Any]:
    """Decode and check revocation. X-Auth-Token failures are 401; X-Subject-Token ones 404."""
    try:
        payload = decode(token, allow_expired=allow_expired)
        if is_revoked(conn, payload):
            raise NotFound("Failed to validate token")
    except NotFound:
        if for_subject:
            raise NotFound(f"Could not find token: {token}.") from None
        raise Unauthorized("The request you have made requires authentication.") from None
    return payload


def times(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    return (isotime(payload["expires_at"], subsecond=True), isotime(payload["issued_at"], subsecond=True))

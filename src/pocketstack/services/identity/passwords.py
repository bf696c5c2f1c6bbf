"""Passwords: slow hashes, verification with PCI-DSS lockout, history and expiry rules.

Clear text never leaves this module: only hashes are stored and nothing here logs a password.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pocketstack.core import password_hash
from pocketstack.core.clock import utcnow
from pocketstack.core.errors import BadRequest, Unauthorized
from pocketstack.services.identity import options
from pocketstack.services.identity.tables import passwords, users


# --- logic: hashing ----------------------------------------------------------
def hash_password(password: str, rounds: int | None = None) -> str:
    """`rounds` overrides the configured cost (service users' random secrets need no slow hash)."""
    return password_hash.hash_password(password, options.get("password_hash_algorithm"),
                                       rounds or options.get("password_hash_rounds"))


check_password = password_hash.check_password


# --- logic: the rules ---------------------------------------------------------
def validate_new_password(password: Any) -> None:
    if not isinstance(password, str):
        raise BadRequest("Password validation error: Password must be a string type")
    if len(password) > options.get("max_password_length"):
        raise BadRequest("Password validation error: Password is too long.")
    pattern = options.compliance("password_regex")
    if pattern and not re.match(pattern, password):
        description = options.compliance("password_regex_description") or ""
        raise BadRequest(f"The password does not match the requirements: {description}.")


def current_password(conn: Connection, user_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(passwords).where(passwords.c.user_id == user_id)
                       .order_by(passwords.c.created_at.desc(), passwords.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def set_password(conn: Connection, user: dict[str, Any], password: str, *, self_service: bool) -> None:
    """Store a new password; enforces history and minimum age for self-service changes."""
    validate_new_password(password)
    now = utcnow()
    if self_service:
        _check_minimum_age(conn, user["id"], now)
        _check_history(conn, user["id"], password)
    expires_at = None
    days = options.compliance("password_expires_days")
    user_opts = user.get("options") or {}
    if days and not user_opts.get("ignore_password_expiry"):
        expires_at = now + dt.timedelta(days=days)
    if (not self_service and options.compliance("change_password_upon_first_use")
            and not user_opts.get("ignore_change_password_upon_first_use")):
        expires_at = now
    conn.execute(passwords.insert().values(user_id=user["id"], password_hash=hash_password(password),
                                           self_service=self_service, expires_at=expires_at, created_at=now))
    keep = max(int(options.compliance("unique_last_password_count") or 0), 1)
    old = conn.execute(sa.select(passwords.c.id).where(passwords.c.user_id == user["id"])
                       .order_by(passwords.c.created_at.desc(), passwords.c.id.desc()).offset(keep)).scalars().all()
    if old:
        conn.execute(passwords.delete().where(passwords.c.id.in_(old)))
    conn.execute(users.update().where(users.c.id == user["id"]).values(failed_auth_count=0, failed_auth_at=None))


def _check_history(conn: Connection, user_id: str, password: str) -> None:
    count = int(options.compliance("unique_last_password_count") or 0)
    if count <= 0:
        return
    recent = conn.execute(sa.select(passwords.c.password_hash).where(passwords.c.user_id == user_id)
                          .order_by(passwords.c.created_at.desc(), passwords.c.id.desc()).limit(count)).scalars()
    if any(check_password(password, h) for h in recent):
        raise BadRequest("The new password cannot be identical to a previous password. The total number"
                         f" which includes the new password must be unique is {count}.")


def _check_minimum_age(conn: Connection, user_id: str, now: dt.datetime) -> None:
    """Only a password the user chose themselves has a minimum age (an admin reset has none)."""
    days = int(options.compliance("minimum_password_age") or 0)
    current = current_password(conn, user_id)
    if not (days and current and current["self_service"]):
        return
    until = current["created_at"] + dt.timedelta(days=days)
    if now < until:
        raise BadRequest(f"You cannot change your password at this time due to the minimum password "
                         f"age. Once you change your password, it must be used for {days} day(s) before "
                         f"it can be changed. Please try again in {(until - now).days} day(s) or contact "
                         f"your administrator to reset your password.")


def password_expires_at(conn: Connection, user_id: str) -> dt.datetime | None:
    current = current_password(conn, user_id)
    return current["expires_at"] if current else None


def authenticate(conn: Connection, user: dict[str, Any], password: str, *, allow_expired: bool = False,
                 verified: tuple[str, bool] | None = None) -> None:
    """Check a password for login: lockout, the hash, expiry. Raises Unauthorized.

    Runs in a write transaction: a failure increments the user's failed-attempt counter, which
    the caller must commit even though it raises (see `auth.py`). `allow_expired` lets an
    expired password through, for the self-service change that replaces it. `verified` is
    (hash, matched) from `verify()` run before the write transaction: the slow hash is not
    computed while the write lock is held, unless the password changed in between.
    """
    now = utcnow()
    attempts = options.compliance("lockout_failure_attempts")
    user_opts = user.get("options") or {}
    lockable = attempts and not user_opts.get("ignore_lockout_failure_attempts")
    if lockable and user["failed_auth_count"] >= attempts and user["failed_auth_at"] is not None:
        until = user["failed_auth_at"] + dt.timedelta(seconds=options.compliance("lockout_duration"))
        if now < until:
            raise Unauthorized(f"The account is locked for user: {user['id']}.")
        conn.execute(users.update().where(users.c.id == user["id"]).values(failed_auth_count=0))
        user = {**user, "failed_auth_count": 0}
    current = current_password(conn, user["id"])
    if current is not None and verified is not None and verified[0] == current["password_hash"]:
        matched = verified[1]
    else:
        matched = current is not None and check_password(password, current["password_hash"])
    if not matched:
        if lockable:
            conn.execute(users.update().where(users.c.id == user["id"]).values(
                failed_auth_count=user["failed_auth_count"] + 1, failed_auth_at=now))
        raise Unauthorized("The request you have made requires authentication.", kind="bad_password")
    if current["expires_at"] is not None and current["expires_at"] <= now \
            and not user_opts.get("ignore_password_expiry") and not allow_expired:
        raise Unauthorized(f"The password is expired and needs to be changed for user: {user['id']}.")
    if user["failed_auth_count"]:
        conn.execute(users.update().where(users.c.id == user["id"]).values(failed_auth_count=0, failed_auth_at=None))


def verify(conn: Connection, user_id: str, password: str) -> tuple[str, bool] | None:
    """Check the password against the current hash in a read transaction (see `authenticate`)."""
    current = current_password(conn, user_id)
    return None if current is None else (current["password_hash"], check_password(password, current["password_hash"]))


def clear_password(conn: Connection, user_id: str) -> None:
    """`"password": null`: the user can no longer authenticate with a password."""
    conn.execute(passwords.delete().where(passwords.c.user_id == user_id))

"""Dashboard sessions: an encrypted, signed cookie that expires with the keystone token, and CSRF.

The cookie is a Fernet token (AES + HMAC) over a small JSON document: the user's scoped token,
the unscoped token for switching projects, who and where the user is, and when the token
expires. Its key lives in the data directory, so every worker process reads the same cookies.
CSRF is Django's double-submit scheme, as Horizon has it: a random `csrftoken` cookie that every
POST must repeat in its `csrfmiddlewaretoken` field (or the `X-CSRFToken` header for htmx).
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

SESSION_COOKIE = "pocketstack_session"
CSRF_COOKIE = "csrftoken"
CSRF_FIELD = "csrfmiddlewaretoken"
CSRF_HEADER = "x-csrftoken"


def load_key(data_dir: Path) -> bytes:
    """The cookie key: created once with O_EXCL, so concurrent first starts agree on one."""
    path = data_dir / "dashboard.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.02)
        raise
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


class Sessions:
    def __init__(self, key: bytes) -> None:
        self.fernet = Fernet(key)

    def seal(self, data: dict[str, Any]) -> str:
        return self.fernet.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def open(self, cookie: str | None) -> dict[str, Any] | None:
        """The session, or None when the cookie is missing, forged, or its token has expired."""
        if not cookie:
            return None
        try:
            data = json.loads(self.fernet.decrypt(cookie.encode()))
        except (InvalidToken, ValueError):
            return None
        if not isinstance(data, dict) or data.get("expires_at", 0) <= time.time():
            return None
        return data


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie: str | None, submitted: str | None) -> bool:
    return bool(cookie) and bool(submitted) and hmac.compare_digest(str(cookie), str(submitted))

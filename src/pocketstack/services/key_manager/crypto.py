"""Payload encryption at rest, as Barbican's simple_crypto plugin does it: each project has its own key
encryption key (KEK), stored wrapped by a master key; a secret's payload is encrypted under its project's
KEK (barbican/plugin/crypto/simple_crypto.py). Here both layers are AES-256-GCM, the master key is 32
random bytes in `<data dir>/key-manager/master.key` (mode 0600, made on first use), and a payload's
ciphertext is bound to its secret's id so rows cannot be swapped."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pocketstack.core import db
from pocketstack.core.clock import utcnow
from pocketstack.services.key_manager.tables import keks

NONCE = 12
_state: dict[str, object] = {}
_lock = threading.Lock()
_unwrapped: dict[bytes, bytes] = {}        # wrapped KEK -> KEK (keyed by the row's bytes: a reset drops rows)


def configure(data_dir: Path) -> None:
    _state["path"] = Path(data_dir) / "key-manager" / "master.key"
    _state.pop("master", None)
    _unwrapped.clear()


def _master() -> AESGCM:
    with _lock:
        cached = _state.get("master")
        if isinstance(cached, AESGCM):
            return cached
        path = _state.get("path")
        if not isinstance(path, Path):
            raise RuntimeError("key manager crypto is not configured")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
                f.flush()
                os.fsync(f.fileno())
        key = path.read_bytes()
        if len(key) != 32:           # another worker is writing it right now
            raise RuntimeError(f"{path} does not hold a 32-byte key")
        _state["master"] = AESGCM(key)
        return _state["master"]  # type: ignore[return-value]


def _seal(aead: AESGCM, data: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + aead.encrypt(nonce, data, aad)


def _open(aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    return aead.decrypt(blob[:NONCE], blob[NONCE:], aad)


def _kek(project_id: str) -> AESGCM:
    """The project's KEK, made (and stored wrapped) on its first secret."""
    aad = b"kek:" + project_id.encode()
    with db.reader() as conn:
        wrapped = conn.execute(sa.select(keks.c.wrapped).where(keks.c.project_id == project_id)).scalar()
    if wrapped is None:
        try:
            with db.session() as conn:
                conn.execute(keks.insert().values(project_id=project_id, created_at=utcnow(),
                                                  wrapped=_seal(_master(), AESGCM.generate_key(256), aad)))
        except sa.exc.IntegrityError:
            pass                     # another request made it first
        with db.reader() as conn:
            wrapped = conn.execute(sa.select(keks.c.wrapped).where(keks.c.project_id == project_id)).scalar()
    wrapped = bytes(wrapped)
    if wrapped not in _unwrapped:
        _unwrapped[wrapped] = _open(_master(), wrapped, aad)
    return AESGCM(_unwrapped[wrapped])


def encrypt(project_id: str, secret_id: str, payload: bytes) -> bytes:
    return _seal(_kek(project_id), payload, secret_id.encode())


def decrypt(project_id: str, secret_id: str, blob: bytes) -> bytes:
    return _open(_kek(project_id), bytes(blob), secret_id.encode())

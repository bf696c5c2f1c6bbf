"""Password hashes as keystone stores them: bcrypt (its default, cost 12) or scrypt; the hash of a
first start's bootstrap password computed in a thread while the rest of the start goes on.

Identity's `passwords` module calls these with its configured algorithm and cost; they live here,
without identity's imports, so the start can begin the one slow hash it knows it needs before the
modules that use it are loaded (bcrypt and hashlib.scrypt release the GIL: the hash takes the
machine's other CPU while this one imports)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading

DEFAULT_ALGORITHM = "bcrypt"
DEFAULT_ROUNDS = 12


def hash_password(password: str, algorithm: str, rounds: int) -> str:
    raw = password.encode()
    if algorithm == "scrypt":
        salt = os.urandom(16)
        n = 2 ** max(rounds, 1)
        digest = hashlib.scrypt(raw, salt=salt, n=n, r=8, p=1, maxmem=256 * 1024 * 1024)
        return f"$scrypt${n}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    import bcrypt
    cost = min(max(int(rounds), 4), 31)
    return bcrypt.hashpw(raw[:72], bcrypt.gensalt(cost)).decode()


def check_password(password: str, hashed: str) -> bool:
    raw = password.encode()
    if hashed.startswith("$scrypt$"):
        _, _, n, salt, digest = hashed.split("$")
        got = hashlib.scrypt(raw, salt=base64.b64decode(salt), n=int(n), r=8, p=1, maxmem=256 * 1024 * 1024)
        return hmac.compare_digest(got, base64.b64decode(digest))
    import bcrypt
    try:
        return bcrypt.checkpw(raw[:72], hashed.encode())
    except ValueError:
        return False


class Pending:
    """A hash being computed in a daemon thread; result() waits for it (and raises what it raised)."""

    def __init__(self, password: str, algorithm: str, rounds: int) -> None:
        self.password, self.algorithm, self.rounds = password, algorithm, rounds
        self._hash: str | None = None
        self._error: BaseException | None = None
        if algorithm != "scrypt":
            import bcrypt  # noqa: F401 - imported here, not in the thread, beside the start's other imports
        self._thread = threading.Thread(target=self._run, name="bootstrap-password-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._hash = hash_password(self.password, self.algorithm, self.rounds)
        except BaseException as err:  # noqa: BLE001 - handed to whoever waits for it
            self._error = err

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._hash is not None
        return self._hash

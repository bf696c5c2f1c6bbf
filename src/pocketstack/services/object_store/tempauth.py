"""TempAuth: Swift's own users and tokens, an alternative to Keystone for the object store
(swift/common/middleware/tempauth.py).

Off by default; `serve --object-store-tempauth` or `object_store: {tempauth: {enabled: true}}` turns it
on, with proxy-server.conf's [filter:tempauth] options in that mapping: `reseller_prefix` (AUTH),
`token_life` (86400), `user_<account>_<user>: "<key> [group ...] [storage url]"` (without any, the
users of Swift's sample configuration). `GET /auth/v1.0` (also `/auth/v1/<account>/auth` and
`/auth/auth`) with X-Auth-User `<account>:<user>` and X-Auth-Key answers X-Auth-Token and
X-Storage-Url. Tokens are Swift's `<reseller_prefix>ftk<fernet>` kind, sealed with a key kept in
the data dir (or `fernet_key` in the options), so every worker opens them without memcache.
Keystone tokens keep working beside it, as keystoneauth and tempauth do in one Swift pipeline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from starlette.responses import Response

from pocketstack.core.context import Context
from pocketstack.core.errors import BadRequest, MethodNotAllowed, NotFound, Unauthorized
from pocketstack.core.policy import PUBLIC
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.object_store import headers

# Swift's etc/proxy-server.conf-sample users: what functests and tempest's tempauth runs expect
SAMPLE_USERS = {"user_admin_admin": "admin .admin .reseller_admin", "user_test_tester": "testing .admin",
                "user_test2_tester2": "testing2 .admin", "user_test_tester3": "testing3",
                "user_test5_tester5": "testing5 service"}


@dataclass
class User:
    key: str
    url: str                      # may start with $HOST
    groups: list[str]


@dataclass
class Config:
    enabled: bool = False
    reseller_prefixes: list[str] = field(default_factory=lambda: ["AUTH_"])
    token_life: int = 86400
    users: dict[str, User] = field(default_factory=dict)     # "account:user" -> User
    fernet: Fernet | None = None

    @property
    def reseller_prefix(self) -> str:
        return self.reseller_prefixes[0]


CONFIG = Config()


def _prefixes(value: Any) -> list[str]:
    """config_read_reseller_options: a list or comma string; "''" is the empty prefix; "_" appended."""
    items = value if isinstance(value, list) else str(value).split(",")
    out = []
    for item in (str(i).strip() for i in items):
        item = "" if item == "''" else item
        out.append(item if not item or item.endswith("_") else item + "_")
    return out or ["AUTH_"]


def _users(conf: dict[str, Any], reseller_prefix: str) -> dict[str, User]:
    entries = {k: v for k, v in conf.items() if k.startswith("user_")} or SAMPLE_USERS
    users = {}
    for name, value in entries.items():
        try:
            account, user = name.split("_", 1)[1].split("_")
        except ValueError:
            raise SystemExit(f"object_store.tempauth: key {name} was provided in an invalid format") from None
        words = str(value).split()
        if not words:
            raise SystemExit(f"object_store.tempauth: {name} has no key set")
        key = words.pop(0)
        url = words.pop() if words and ("://" in words[-1] or "$HOST" in words[-1]) else \
            f"$HOST/v1/{reseller_prefix}{account}"
        users[f"{account}:{user}"] = User(key, url, words)
    return users


def _key(conf: dict[str, Any], data_dir: Path) -> bytes:
    if conf.get("fernet_key"):
        return str(conf["fernet_key"]).encode()
    path = data_dir / "object_store" / "tempauth.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(Fernet.generate_key())
        tmp.chmod(0o600)
        if path.exists():          # another worker made it first
            tmp.unlink()
        else:
            os.replace(tmp, path)
    return path.read_bytes().strip()


def configure(conf: Any, data_dir: Path) -> None:
    """Reads `object_store.tempauth` (true, or a mapping with `enabled`)."""
    global CONFIG
    conf = {"enabled": True} if conf is True else (conf if isinstance(conf, dict) else {})
    if not conf.get("enabled"):
        CONFIG = Config()
        return
    prefixes = _prefixes(conf.get("reseller_prefix", "AUTH"))
    CONFIG = Config(enabled=True, reseller_prefixes=prefixes, token_life=int(conf.get("token_life", 86400)),
                    users=_users(conf, prefixes[0]), fernet=Fernet(_key(conf, data_dir)))


def info() -> dict[str, Any] | None:
    return {"account_acls": True} if CONFIG.enabled else None


# --- identity: a tempauth token -> the caller's groups ------------------------------------------
def user_groups(account: str, account_user: str, account_id: str) -> list[str]:
    """account, account:user, the user's groups; .admin becomes every reseller account of the name."""
    groups = [account, account_user, *CONFIG.users[account_user].groups]
    if ".admin" in groups:
        groups.remove(".admin")
        groups += [f"{p}{account}" for p in CONFIG.reseller_prefixes if p]
        if account_id not in groups:
            groups.append(account_id)
    return groups


def groups(ctx: Context) -> list[str] | None:
    """The tempauth groups of the caller, None for a Keystone (or no) token."""
    found: list[str] | None = ctx.token_data.get("tempauth")
    return found


def identify(ctx: Context, rq: ApiRequest) -> None:
    """A token with the reseller prefix is tempauth's to judge: the caller becomes the user it was
    given to (user id `account:user`), or 401 when it is not valid."""
    token = rq.headers.get("x-auth-token") or rq.headers.get("x-storage-token")
    prefix = CONFIG.reseller_prefix
    if not CONFIG.enabled or not token or not token.startswith(prefix):
        return
    found = _open(token[len(prefix):])
    if found is None:
        if prefix:
            raise unauthorized(rq.params.get("account") or "unknown")
        return
    account_user = found[1] if len(found) > 1 else found[0]
    account, _, user = account_user.partition(":")
    ctx.user_id, ctx.user_name, ctx.project_name, ctx.project_id = account_user, user, account, None
    ctx.roles, ctx.token_data = [], {"tempauth": found}
    ctx.policy_memo.clear()


def _open(token: str) -> list[str] | None:
    if not token.startswith("ftk") or CONFIG.fernet is None:
        return None
    try:
        return CONFIG.fernet.decrypt(token[3:].encode(), ttl=CONFIG.token_life).decode().split(",")
    except (InvalidToken, ValueError):
        return None


def is_definitive(account: str) -> bool:
    return CONFIG.enabled and any(p and account.startswith(p) for p in CONFIG.reseller_prefixes)


def is_owner(found: list[str], account: str) -> bool:
    """tempauth.authorize's owner cases: a reseller admin anywhere but dot accounts, or the account's
    own group (account PUT/DELETE aside)."""
    prefix = next((p for p in CONFIG.reseller_prefixes if account.startswith(p)), None)
    if prefix is None:
        return False
    dot = account[len(prefix):].startswith(".")
    if ".reseller_admin" in found and account not in CONFIG.reseller_prefixes and not dot:
        return True
    return account in found


def is_reader(found: list[str], account: str) -> bool:
    dot = any(account[len(p):].startswith(".") for p in CONFIG.reseller_prefixes if account.startswith(p))
    return ".reseller_reader" in found and not dot


# --- the auth endpoint: GET /auth/v1.0 -------------------------------------------------------------
def unauthorized(realm: str) -> Unauthorized:
    return Unauthorized("Unauthorized", headers={"WWW-Authenticate": f'Swift realm="{realm}"'})


def _credentials(rq: ApiRequest) -> tuple[str, str, str]:
    hdr = rq.headers
    version, account = rq.params.get("version", ""), rq.params.get("account")
    if account is not None and rq.params.get("suffix") != "auth":
        raise BadRequest("Bad Request")
    if version == "v1" and account is not None:
        user = hdr.get("x-storage-user")
        if not user:
            user = hdr.get("x-auth-user") or ""
            if ":" not in user or user.split(":", 1)[0] != account:
                raise unauthorized(account)
            user = user.split(":", 1)[1]
        return account, user, hdr.get("x-storage-pass") or hdr.get("x-auth-key") or ""
    if version in ("auth", "v1.0") and account is None:
        user = hdr.get("x-auth-user") or hdr.get("x-storage-user") or ""
        if ":" not in user:
            raise unauthorized("unknown")
        account, user = user.split(":", 1)
        return account, user, hdr.get("x-auth-key") or hdr.get("x-storage-pass") or ""
    raise BadRequest("Bad Request")


def get_token(ctx: Context, rq: ApiRequest) -> Response:
    if not CONFIG.enabled:
        raise NotFound()
    if rq.method != "GET":
        raise MethodNotAllowed("Method Not Allowed")
    account, user, key = _credentials(rq)
    account_user = f"{account}:{user}"
    found = CONFIG.users.get(account_user)
    if not (account and user and key) or found is None or found.key != key:
        raise unauthorized(account or "unknown")
    account_id = found.url.rsplit("/", 1)[-1]
    sealed = CONFIG.fernet.encrypt(",".join(user_groups(account, account_user, account_id)).encode())  # type: ignore[union-attr]
    token = f"{CONFIG.reseller_prefix}ftk{sealed.decode()}"
    host = f"{rq.raw.url.scheme}://{rq.raw.url.netloc}"
    url = found.url.replace("$HOST", host + rq.client_prefix)
    trans = headers.trans_id()
    return Response(b"", status_code=200, media_type="text/html; charset=UTF-8", headers={
        "X-Auth-Token": token, "X-Storage-Token": token, "X-Auth-Token-Expires": str(CONFIG.token_life),
        "X-Storage-Url": url, "X-Trans-Id": trans, "X-Openstack-Request-Id": trans})


ROUTES = [route(m, p, get_token, policy=PUBLIC, auth=False, raw_body=True)
          for p in ("/auth/{version}", "/auth/{version}/{account}/{suffix}") for m in ("GET", "POST", "PUT")]

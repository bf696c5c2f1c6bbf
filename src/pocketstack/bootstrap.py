"""First start: bootstrap an empty data dir the way DevStack leaves a cloud, and write clouds.yaml.

Runs once per database (a marker row records it); later starts change nothing, except the
catalog: the endpoints bootstrap made follow the cloud when its URL (or a service's own port, such
as the object store's) changes, and services added since the data dir was made get theirs. Only the
host that made the catalog (`catalog_host`, --host-name) moves it: another host of the cloud joining
with its own object store port leaves the catalog's alone.

`serve` (one process) bootstraps identity before it listens, so the first token comes at once, and
defers the other services' bootstraps (`pending` in the marker, with the ids they pass each other):
finish() runs them, in order, each in its own transaction with the marker's update, before any of
those services loads; a start that finds some still pending (the first one stopped early) finishes
them the same way.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from pocketstack.config import Settings

LOG = logging.getLogger("pocketstack.bootstrap")
_finish_lock = threading.Lock()
_early: tuple[Settings, str, Any] | None = None      # (settings, password, password_hash.Pending)


def _state(conn: Any, lock: bool = False) -> dict[str, Any] | None:
    """The marker row; `lock`: held to the end of the transaction on PostgreSQL (SQLite's write
    transactions are serial already), so processes finishing the same bootstraps take turns."""
    import sqlalchemy as sa

    from pocketstack.services.identity.tables import kv
    query = sa.select(kv.c.value).where(kv.c.key == "bootstrap")
    return conn.execute(query.with_for_update() if lock else query).scalar()


def _admin_password(settings: Settings) -> str:
    if _early is not None and _early[0] is settings:
        return _early[1]
    return settings.admin_password or os.environ.get("POCKETSTACK_ADMIN_PASSWORD") or secrets.token_urlsafe(16)


def no_database_yet(settings: Settings) -> bool:
    """An SQLite database file that does not exist yet: surely a first start (known before anything
    is imported; PostgreSQL's emptiness is learnt later, in prepare())."""
    url = settings.db_url
    return url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists()


def start_hashing(settings: Settings) -> None:
    """A first start: choose the bootstrap password and begin its slow hash (a quarter of a second at
    bcrypt's cost 12) in a thread now, while the start imports its modules and makes the schema."""
    global _early
    if _early is not None and _early[0] is settings:
        return
    from pocketstack.core import password_hash
    password = _admin_password(settings)
    algorithm = settings.option("identity.password_hash_algorithm", password_hash.DEFAULT_ALGORITHM)
    rounds = settings.option("identity.password_hash_rounds", password_hash.DEFAULT_ROUNDS)
    _early = (settings, password, password_hash.Pending(password, str(algorithm), int(rounds)))


def settle() -> None:
    """Wait for the early hash's thread, if any: a start that stops before serving must not exit while
    bcrypt runs in a daemon thread (at exit such a thread is ended inside the extension, which aborts
    the process: "FATAL: exception not rethrown")."""
    if _early is not None:
        _early[2].wait()


def run(settings: Settings, mounted: list[Any], *, defer: bool = False) -> bool:
    """True when this call bootstrapped the cloud (its first start). `mounted`: services.ENTRIES;
    a restart only needs their catalog entries, a first start imports each service (with `defer`,
    identity only: the others are left to finish())."""
    from pocketstack.core import db, hosts
    from pocketstack.services.identity.bootstrap import sync_catalog
    from pocketstack.services.identity.tables import kv
    with db.session() as conn:
        state = _state(conn)
        if state is not None:
            host = getattr(settings, "host_name", None) or hosts.DEFAULT_NAME
            value = {**state, "cacert": settings.tls_cert}
            if state.get("catalog_host", host) == host:      # else the catalog's URLs are another host's
                catalog = sync_catalog(conn, settings, mounted, state.get("catalog"), state["base_url"])
                value.update(base_url=settings.base_url, catalog=catalog, catalog_host=host)
            if value != state:
                conn.execute(kv.update().where(kv.c.key == "bootstrap").values(value=value))
            # the certificate clouds.yaml names, as the marker records it (read from the file for a
            # marker from before it did: a restart need not parse YAML)
            cacert = state["cacert"] if "cacert" in state else _cacert(settings)
            if state.get("base_url") != settings.base_url or cacert != settings.tls_cert:
                write_clouds_yaml(settings, state["passwords"], settings.data_dir / "clouds.yaml", rewrite=True)
            return False
        admin = _admin_password(settings)
        pw = {"admin": admin, "demo": admin, "alt_demo": admin}
        early = _early[2].result() if _early is not None and _early[0] is settings else None
        identity, others = mounted[0], mounted[1:]
        assert identity.type == "identity"
        info: dict[str, Any] = {"identity": identity.load().bootstrap(
            conn, settings, pw, mounted, {admin: early} if early else None)}
        pending = [entry.type for entry in others]
        if not defer:
            for entry in others:
                _bootstrap_one(conn, settings, entry, info)
            pending = []
        # passwords live in clouds.yaml only; the marker keeps none of them
        marker: dict[str, Any] = {
            "base_url": settings.base_url, "passwords": {}, "catalog": info["identity"]["catalog"],
            "catalog_host": getattr(settings, "host_name", None) or hosts.DEFAULT_NAME, "cacert": settings.tls_cert}
        if pending:
            marker.update(pending=pending, info=info)
        conn.execute(kv.insert().values(key="bootstrap", value=marker))
    write_clouds_yaml(settings, pw, settings.data_dir / "clouds.yaml")
    LOG.info("bootstrapped a new cloud in %s%s", settings.data_dir, " (identity; the other services next)"
             if pending else "")
    return True


def _bootstrap_one(conn: Any, settings: Settings, entry: Any, info: dict[str, Any]) -> None:
    service = entry.load()
    if service.bootstrap is not None:
        info[service.type] = service.bootstrap(conn, settings, info)


def pending() -> list[str]:
    """The services whose bootstrap a first start left to finish() (none once it ran)."""
    from pocketstack.core import db
    with db.reader() as conn:
        state = _state(conn)
    return list((state or {}).get("pending") or [])


def finish(settings: Settings, mounted: list[Any]) -> None:
    """Run the bootstraps a first start deferred, in order; each service's in one transaction with the
    marker's update, so a stop in between leaves the marker saying what is left. Threads wait for
    the one running it; afterwards a call costs one query per service."""
    from pocketstack.core import db
    from pocketstack.services.identity.tables import kv
    with _finish_lock:
        for entry in mounted:
            with db.session() as conn:
                state = _state(conn, lock=True) or {}
                if entry.type not in (state.get("pending") or ()):
                    continue
                info = dict(state["info"])
                _bootstrap_one(conn, settings, entry, info)
                left = [t for t in state["pending"] if t != entry.type]
                value = {k: v for k, v in state.items() if k not in ("pending", "info")}
                if left:
                    value.update(pending=left, info=info)
                conn.execute(kv.update().where(kv.c.key == "bootstrap").values(value=value))
            if not left:
                LOG.info("bootstrapped every service of the new cloud")


def _cacert(settings: Settings) -> str | None:
    import yaml
    path = settings.data_dir / "clouds.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml when present: read on every start
    data = yaml.load(path.read_text(), Loader=loader) if path.exists() else None  # noqa: S506 - a safe loader
    return next(iter((data or {}).get("clouds", {}).values()), {}).get("cacert")


def write_clouds_yaml(settings: Settings, pw: dict[str, str], path: Path, rewrite: bool = False) -> None:
    import yaml
    if rewrite:
        if not path.exists():
            return
        data = yaml.safe_load(path.read_text()) or {}
        for cloud in data.get("clouds", {}).values():
            cloud["auth"]["auth_url"] = settings.base_url + "/identity"
    else:
        data = {"clouds": clouds(settings.base_url + "/identity", pw)}
    for cloud in data.get("clouds", {}).values():     # a self-signed certificate is its own CA
        cloud.pop("cacert", None)
        if settings.tls_cert:
            cloud["cacert"] = settings.tls_cert
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("# Written by pocketstack on first start. Use: export OS_CLIENT_CONFIG_FILE=" + str(path) + "\n")
        yaml.dump(data, f, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)   # libyaml
    os.chmod(path, 0o600)


def clouds(auth_url: str, pw: dict[str, str]) -> dict[str, Any]:
    def cloud(user: str, project: str | None, system: bool = False) -> dict[str, Any]:
        auth: dict[str, Any] = {"auth_url": auth_url, "username": user, "password": pw[user],
                                "user_domain_id": "default"}
        if system:
            auth["system_scope"] = "all"
        else:
            auth.update({"project_name": project, "project_domain_id": "default"})
        return {"auth": auth, "region_name": "RegionOne", "identity_api_version": 3, "interface": "public"}

    return {"pocketstack": cloud("demo", "demo"), "pocketstack-admin": cloud("admin", "admin"),
            "devstack": cloud("demo", "demo"), "devstack-alt": cloud("alt_demo", "alt_demo"),
            "devstack-admin": cloud("admin", "admin"),
            "devstack-system-admin": cloud("admin", None, system=True)}

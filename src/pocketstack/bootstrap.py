"""First start: bootstrap an empty data dir the way DevStack leaves a cloud, and write clouds.yaml.

Runs once per database (a marker row records it); later starts change nothing, except the
catalog: the endpoints bootstrap made follow the cloud when its URL (or a service's own port, such
as the object store's) changes, and services added since the data dir was made get theirs. Only the
host that made the catalog (`catalog_host`, --host-name) moves it: another host of the cloud joining
with its own object store port leaves the catalog's alone.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from pocketstack.config import Settings
from pocketstack.core import db, hosts

LOG = logging.getLogger("pocketstack.bootstrap")


def _state(conn: Any) -> dict[str, Any] | None:
    from pocketstack.services.identity.tables import kv
    return conn.execute(sa.select(kv.c.value).where(kv.c.key == "bootstrap")).scalar()


def run(settings: Settings, mounted: list[Any]) -> bool:
    """True when this call bootstrapped the cloud (its first start). `mounted`: services.ENTRIES;
    a restart only needs their catalog entries, a first start imports each service."""
    from pocketstack.services.identity.bootstrap import sync_catalog
    from pocketstack.services.identity.tables import kv
    with db.session() as conn:
        state = _state(conn)
        if state is not None:
            host = getattr(settings, "host_name", None) or hosts.DEFAULT_NAME
            if state.get("catalog_host", host) == host:      # else the catalog's URLs are another host's
                catalog = sync_catalog(conn, settings, mounted, state.get("catalog"), state["base_url"])
                if (state.get("base_url"), state.get("catalog"), state.get("catalog_host")) != (
                        settings.base_url, catalog, host):
                    conn.execute(kv.update().where(kv.c.key == "bootstrap").values(value={
                        **state, "base_url": settings.base_url, "catalog": catalog, "catalog_host": host}))
            if state.get("base_url") != settings.base_url or _cacert(settings) != settings.tls_cert:
                write_clouds_yaml(settings, state["passwords"], settings.data_dir / "clouds.yaml", rewrite=True)
            return False
        admin = settings.admin_password or os.environ.get("POCKETSTACK_ADMIN_PASSWORD") or secrets.token_urlsafe(16)
        pw = {"admin": admin, "demo": admin, "alt_demo": admin}
        info: dict[str, Any] = {}
        mounted = [m.load() for m in mounted]       # services.Entry: every service's own bootstrap
        for service in mounted:
            if service.bootstrap is not None:
                info[service.type] = service.bootstrap(conn, settings, pw, mounted) \
                    if service.type == "identity" else service.bootstrap(conn, settings, info)
        # passwords live in clouds.yaml only; the marker keeps none of them
        conn.execute(kv.insert().values(key="bootstrap", value={
            "base_url": settings.base_url, "passwords": {}, "catalog": info["identity"]["catalog"],
            "catalog_host": getattr(settings, "host_name", None) or hosts.DEFAULT_NAME}))
    write_clouds_yaml(settings, pw, settings.data_dir / "clouds.yaml")
    LOG.info("bootstrapped a new cloud in %s", settings.data_dir)
    return True


def _cacert(settings: Settings) -> str | None:
    path = settings.data_dir / "clouds.yaml"
    data = yaml.safe_load(path.read_text()) if path.exists() else None
    return next(iter((data or {}).get("clouds", {}).values()), {}).get("cacert")


def write_clouds_yaml(settings: Settings, pw: dict[str, str], path: Path, rewrite: bool = False) -> None:
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
        yaml.safe_dump(data, f, sort_keys=False)
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

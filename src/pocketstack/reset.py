"""`pocketstack reset`: the whole cloud (database and bytes) back to a freshly bootstrapped one.

For a stopped cloud: every table is dropped (SQLite or PostgreSQL alike, by reflection, so tables
of any revision go), the blob store and the dashboard's cookie key are removed, then the first
start runs again: migrations, DevStack-like bootstrap, clouds.yaml. The admin password stays the
one clouds.yaml had unless another is given, so clients configured for the cloud keep working.
"""

from __future__ import annotations

import logging
import shutil

import sqlalchemy as sa
import yaml

from pocketstack.config import Settings
from pocketstack.core import blobs, db

LOG = logging.getLogger("pocketstack.reset")


def previous_admin_password(settings: Settings) -> str | None:
    path = settings.data_dir / "clouds.yaml"
    if not path.exists():
        return None
    clouds = (yaml.safe_load(path.read_text()) or {}).get("clouds", {})
    auth = (clouds.get("pocketstack-admin") or {}).get("auth", {})
    return auth.get("password")


def wipe(settings: Settings) -> None:
    files = blobs.FileStore(settings.data_dir / "blobs")
    backend = blobs.open_backend(settings, files)      # refused before anything is dropped
    engine = db.create_engine(db.normalize_url(settings.db_url))
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            meta.drop_all(conn)
    finally:
        engine.dispose()
    if backend is not files:            # Ceph: this cloud's objects and its bootstrap snapshot's copy
        backend.wipe()
        backend.delete_snapshot("bootstrap")
    files.wipe()
    shutil.rmtree(settings.data_dir / "snapshots" / "bootstrap", ignore_errors=True)  # retaken on the next start
    for name in ("dashboard.key", "clouds.yaml"):
        (settings.data_dir / name).unlink(missing_ok=True)


class StillServing(RuntimeError):
    pass


def refuse_if_serving(settings: Settings) -> None:
    """A live server holds caches (token keys, service tokens) that a wipe under it would break."""
    import httpx
    try:
        answered = httpx.get(settings.base_url + "/healthcheck", timeout=0.5,
                             verify=False).status_code == 200   # is anything there, not who
    except httpx.HTTPError:
        return
    if answered:
        raise StillServing(f"a cloud answers at {settings.base_url}: stop it before `pocketstack reset`")


def reset(settings: Settings) -> None:
    from pocketstack.app import prepare
    refuse_if_serving(settings)
    if settings.admin_password is None:
        settings.admin_password = previous_admin_password(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    wipe(settings)
    prepare(settings)
    LOG.info("reset the cloud in %s", settings.data_dir)

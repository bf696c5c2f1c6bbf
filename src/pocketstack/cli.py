"""The `pocketstack` command: serve (and the tools around it)."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import gc
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from pocketstack import fault_cli, snapshot_cli
from pocketstack.config import Settings, default_data_dir, load_options


def _serve_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the cloud")
    _common_args(p)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-requests", action="store_true",
                   help="print one line per request: time, request id, method, path, status, size, seconds")
    p.add_argument("--allow-reset", action="store_true",
                   help="let admins reset the running cloud to its first start (POST /pocketstack/v1/reset); "
                        "for test suites (the pytest plugin passes it)")
    p.add_argument("--notifications", default=None, metavar="URL",
                   help="send notifications as OpenStack services do: amqp://user:pass@host:5672// "
                        "(RabbitMQ, oslo.messaging's envelope and exchanges) or file:///path (one JSON "
                        "envelope a line); default: `notifications: {url: ...}` of --config, else off")
    p.add_argument("--object-store-port", type=int, default=None,
                   help="the object store's own port, as Swift's proxy on DevStack: /v1/AUTH_<project>, /info "
                        "(default: `object_store: {port: ...}` of --config, else 8080; 0: none, the "
                        "/object-store prefix only)")
    p.add_argument("--object-store-tempauth", action="store_true",
                   help="Swift's tempauth beside Keystone: GET /auth/v1.0 with X-Auth-User/X-Auth-Key "
                        "(users from `object_store: {tempauth: {user_<account>_<user>: ...}}` of --config)")


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--data-dir", type=Path, default=None, help=f"default: {default_data_dir()}")
    p.add_argument("--database-url", default=os.environ.get("POCKETSTACK_DATABASE_URL"),
                   help="default: SQLite in the data dir; postgresql://... for many workers")
    p.add_argument("--admin-password", default=None, help="default: $POCKETSTACK_ADMIN_PASSWORD or random")
    p.add_argument("--public-url", default=None, help="the URL clients reach us at (default http://HOST:PORT)")
    p.add_argument("--config", default=os.environ.get("POCKETSTACK_CONFIG"),
                   help="YAML file with per-service sections (identity: security_compliance: ...)")
    p.add_argument("--log-level", default="info")
    p.add_argument("--host-name", default=None,
                   help="this host of the cloud (several hosts share one --database-url); default: "
                        "host_name of --config, else pocketstack")
    p.add_argument("--tls-cert", type=Path, default=None,
                   help="PEM certificate (with its chain): serve HTTPS on every port, the catalog in https")
    p.add_argument("--tls-key", type=Path, default=None, help="the certificate's PEM private key")
    p.add_argument("--dataplane", choices=("none", "linux"), default=None,
                   help="network dataplane (default: `network: {dataplane: ...}` of --config, else none); "
                        "linux needs root")
    p.add_argument("--compute-driver", choices=("fake", "qemu"), default=None,
                   help="compute driver (default: `compute: {driver: ...}` of --config, else fake: a simulated "
                        "host, no guest runs); qemu: real guests, needs root and --dataplane linux")
    p.add_argument("--blob-backend", choices=("files", "ceph"), default=None,
                   help="where Swift objects and image data live (default: `blobs: {backend: ...}` of --config, "
                        "else files in the data dir); ceph: chunked RADOS objects, needs --ceph-conf and --ceph-pool")
    p.add_argument("--ceph-conf", type=Path, default=None,
                   help="ceph.conf of the cluster (default: `ceph: {conf: ...}` of --config)")
    p.add_argument("--ceph-pool", default=None, help="RADOS pool (default: `ceph: {pool: ...}` of --config)")


def _dataplane_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dataplane", help="the Linux network dataplane's pieces on this machine")
    p.add_argument("action", choices=("cleanup",), help="cleanup: remove every namespace, device and dnsmasq "
                                                        "of a cloud")
    p.add_argument("--config", default=os.environ.get("POCKETSTACK_CONFIG"), help="YAML file (network.cloud_name)")
    p.add_argument("--cloud-name", default=None, help="default: network.cloud_name of --config, else pocket")


def _reset_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reset", help="wipe a stopped cloud (database and bytes) and bootstrap it anew")
    _common_args(p)


def _conformance_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("conformance", help="check an OpenStack cloud against the RA1 chapter 5 profile")
    p.add_argument("--os-cloud", default=os.environ.get("OS_CLOUD"),
                   help="clouds.yaml entry (default: $OS_CLOUD, else the OS_* environment)")
    p.add_argument("--format", choices=("table", "json", "junit"), default="table")
    p.add_argument("--profile", default="seed", help="seed, moselle, or a profile YAML file")
    p.add_argument("--output", default=None, help="write the report here (the table still goes to stdout)")
    p.add_argument("--wait-timeout", type=float, default=60.0,
                   help="seconds to wait for each throwaway resource to become ready or go away")


def _db_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="the database schema: upgrade, check, current, write-schema")
    p.add_argument("action", choices=("upgrade", "check", "current", "write-schema"),
                   help="upgrade: apply every migration; check: is the schema at head and equal to the "
                        "models (exit 1 if not); current: print the revision; write-schema (developers, "
                        "after a model change): rewrite the package's first-start schema scripts")
    p.add_argument("--data-dir", type=Path, default=None, help=f"default: {default_data_dir()}")
    p.add_argument("--database-url", default=os.environ.get("POCKETSTACK_DATABASE_URL"),
                   help="default: SQLite in the data dir")


def _guest_image_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("guest-image", help="the cirros-like guest image the qemu compute driver boots")
    p.add_argument("action", choices=("build",), help="build: from Debian packages (apt-get download)")
    p.add_argument("--output", type=Path, default=None,
                   help="write the qcow2 here (default: the cache the driver uses, rebuilt only when the "
                        "builder or the packages change)")


def guest_image_command(args: argparse.Namespace) -> int:
    from pocketstack.services.compute import guest_image
    started = time.monotonic()
    try:
        image = guest_image.build(args.output) if args.output else guest_image.ensure()
    except (RuntimeError, OSError) as err:
        print(f"pocketstack: cannot build the guest image: {err}", file=sys.stderr)
        return 1
    size = image.stat().st_size
    print(f"{image} {size} bytes ({size / 2**20:.1f} MiB, {time.monotonic() - started:.1f} s)")
    return 0


def db_command(args: argparse.Namespace) -> int:
    from pocketstack import services
    from pocketstack.core import db
    services.load_all()          # every table: the models the schema is checked against
    if args.action == "write-schema":
        for path in db.write_schema_scripts():
            print(f"pocketstack: wrote {path}")
        return 0
    url = Settings(data_dir=(args.data_dir or default_data_dir()).resolve(), database_url=args.database_url).db_url
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        if args.action == "upgrade":
            db.upgrade(url)
            print(f"pocketstack: database schema at {db.current_revision(url)} (head)")
            return 0
        current, head = db.check_revision(url), db.head_revision()
        if args.action == "current":
            print(current or "empty (no schema yet)")
            return 0
        if current != head:
            print(f"pocketstack: database schema at {current or 'nothing'}, head is {head}: "
                  "run `pocketstack db upgrade`", file=sys.stderr)
            return 1
        differences = db.schema_differences(url)
        for difference in differences:
            print(f"pocketstack: schema differs from the models: {difference}", file=sys.stderr)
        if not differences:
            print(f"pocketstack: database schema at {head} (head), matching the models")
        return 1 if differences else 0
    except db.SchemaError as err:
        print(f"pocketstack: {err}", file=sys.stderr)
        return 1


def settings_from(args: argparse.Namespace) -> Settings:
    options = load_options(args.config)
    if getattr(args, "dataplane", None):
        options.setdefault("network", {})["dataplane"] = args.dataplane
    if getattr(args, "compute_driver", None):
        options.setdefault("compute", {})["driver"] = args.compute_driver
    if getattr(args, "blob_backend", None):
        options.setdefault("blobs", {})["backend"] = args.blob_backend
    if getattr(args, "ceph_conf", None):
        options.setdefault("ceph", {})["conf"] = str(args.ceph_conf.resolve())
    if getattr(args, "ceph_pool", None):
        options.setdefault("ceph", {})["pool"] = args.ceph_pool
    if getattr(args, "object_store_tempauth", False):
        section = options.setdefault("object_store", {})
        tempauth = section.get("tempauth")
        section["tempauth"] = {**(tempauth if isinstance(tempauth, dict) else {}), "enabled": True}
    return Settings(host=args.host, port=args.port, data_dir=(args.data_dir or default_data_dir()).resolve(),
                    database_url=args.database_url, workers=getattr(args, "workers", 1),
                    admin_password=args.admin_password,
                    public_url=args.public_url, options=options, log_level=args.log_level,
                    log_requests=getattr(args, "log_requests", False),
                    allow_reset=getattr(args, "allow_reset", False),
                    tls_cert=_path(getattr(args, "tls_cert", None)),
                    tls_key=_path(getattr(args, "tls_key", None)),
                    notifications=getattr(args, "notifications", None),
                    host_name=getattr(args, "host_name", None) or options.get("host_name"))


def _path(value: Path | None) -> str | None:
    return str(value.resolve()) if value else None


def check_tls(settings: Settings) -> str | None:
    """One line when --tls-cert/--tls-key cannot serve HTTPS (checked before anything starts)."""
    if bool(settings.tls_cert) != bool(settings.tls_key):
        return "--tls-cert and --tls-key go together"
    if not settings.tls_cert:
        return None
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as err:
        return f"cannot use the TLS certificate {settings.tls_cert} and key {settings.tls_key}: {err}"
    return None


def check_dataplane(settings: Settings) -> str | None:
    """One line when the configured network dataplane cannot run here (checked before anything starts)."""
    name = str(settings.option("network.dataplane", "none") or "none")
    if name == "none":
        return None                 # the default: nothing to check, and the network service loads later
    if settings.workers > 1:
        return f"--dataplane {name} runs in one process: use --workers 1"
    from pocketstack.services.network.dataplane import requirements_error
    return requirements_error(name)


def guest_image_for_bootstrap(settings: Settings) -> None:
    """With real guests, the bootstrap image DevStack leaves (cirros-0.6.3-x86_64-disk) is the project's
    cirros-like test image, built from Debian packages on first use (then cached); an empty data dir
    only, and not when the config names an image file of its own."""
    if settings.option("compute.driver") != "qemu" or settings.option("image.bootstrap_image_file"):
        return
    if (settings.data_dir / "pocketstack.db").exists() or not settings.db_url.startswith("sqlite"):
        return
    from pocketstack.services.compute import guest_image
    try:
        path = guest_image.ensure()
    except Exception as err:  # noqa: BLE001 - the tiny bootstrap disk still works for the API
        logging.getLogger("pocketstack").warning("no guest image for the bootstrap image: %s", err)
        return
    settings.options.setdefault("image", {})["bootstrap_image_file"] = str(path)   # format read from the bytes


def check_notifications(settings: Settings) -> str | None:
    """One line when the notifications URL names no sink we have (checked before anything starts)."""
    from pocketstack.core import notifications
    url = settings.notifications_url
    try:
        if url:
            notifications.sink_for(url)
    except ValueError as err:
        return str(err)
    return None


def check_blob_backend(settings: Settings) -> str | None:
    """One line when the blob backend cannot be used (checked before anything starts)."""
    from pocketstack.core import blobs
    return blobs.requirements_error(settings)


def check_compute_driver(settings: Settings) -> str | None:
    """One line when the configured compute driver cannot run here (checked before anything starts)."""
    if str(settings.option("compute.driver", "fake") or "fake") == "fake":
        return None                 # the default: nothing to check, and the compute service loads later
    from pocketstack.services.compute import drivers
    return drivers.requirements_error(drivers.name_in(settings), settings)


def dataplane(args: argparse.Namespace) -> int:
    from pocketstack.services.network.dataplane.linux import cleanup
    cloud = args.cloud_name or (load_options(args.config).get("network") or {}).get("cloud_name") or "pocket"
    for line in cleanup(str(cloud)):
        print(f"removed {line}")
    return 0


def configure_logging(level: str, log_requests: bool = False) -> None:
    from pocketstack.core.redact import MaskingFormatter
    line = "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s"
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr, format=line)
    for root_handler in logging.getLogger().handlers:      # no secret in a line, whatever a message quotes
        root_handler.setFormatter(MaskingFormatter(line))
    for noisy in ("sqlalchemy", "alembic", "httpx", "oslo_policy", "stevedore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    access = logging.getLogger("pocketstack.access")   # the request log: off unless --log-requests
    access.handlers.clear()
    access.propagate = False
    access.setLevel(logging.INFO if log_requests else logging.WARNING)
    if log_requests:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(MaskingFormatter("%(asctime)s.%(msecs)03d %(message)s", "%Y-%m-%d %H:%M:%S"))
        access.addHandler(handler)


def serve(args: argparse.Namespace) -> int:
    # no cyclic garbage collection while the modules load and the cloud is prepared (about a tenth of
    # the start went to collections that found nothing); what exists then lives as long as the
    # process, so it is frozen out of later collections once the server is about to serve
    gc.disable()
    try:
        return _serve(args)
    finally:
        gc.enable()
        from pocketstack import bootstrap
        bootstrap.settle()


def _serve(args: argparse.Namespace) -> int:
    from pocketstack import bootstrap
    settings = settings_from(args)
    if bootstrap.no_database_yet(settings):
        bootstrap.start_hashing(settings)       # a first start: hash its password while the rest loads
    sock, why = listen_early(settings)
    if why:
        print(f"pocketstack: port {why}", file=sys.stderr)
        return 1
    import uvicorn

    from pocketstack.app import build_app, prepare
    if error := (check_tls(settings) or check_compute_driver(settings) or check_dataplane(settings)
                 or check_notifications(settings) or check_blob_backend(settings)):
        print(f"pocketstack: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_requests)
    guest_image_for_bootstrap(settings)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: every thread's stack to stderr
    faulthandler.enable(all_threads=True)       # a crash in a C library (librbd, librados) says where
    if settings.workers > 1 and settings.db_url.startswith("sqlite"):
        logging.getLogger("pocketstack").warning("several workers on SQLite serialize on its write lock; "
                                                 "use --database-url postgresql://... to scale out")
    from pocketstack.core.db import SchemaError
    listeners, note = bind_listeners(settings, args)
    try:
        first_start = prepare(settings, defer=settings.workers == 1)   # identity now, the rest once serving
    except SchemaError as err:
        print(f"pocketstack: refusing to start: {err}", file=sys.stderr)
        return 1
    for listener in listeners:
        note = f"the object store also at {settings.listener_url(listener.service_type)}/v1"
    if note:
        print(f"pocketstack: {note}", file=sys.stderr)
    print(f"pocketstack: serving {settings.base_url} (data in {settings.data_dir})\n"
          f"  export OS_CLIENT_CONFIG_FILE={settings.data_dir / 'clouds.yaml'}\n"
          f"  openstack --os-cloud pocketstack token issue", file=sys.stderr, flush=True)
    # log_config None: uvicorn's own lines go through the root handler, masked as every other line;
    # ws "none": no API is a websocket (the consoles' websockets are websockify's), so uvicorn does not
    # import a websocket library at start, and an upgrade request is answered as the plain HTTP it is
    common = dict(host=settings.host, port=settings.port, log_level="warning", access_log=False,
                  log_config=None, lifespan="on", ws="none", timeout_graceful_shutdown=10, **settings.ssl_options())
    gc.freeze()
    gc.enable()
    if settings.workers > 1:
        os.environ.update(settings.to_env())
        uvicorn.run("pocketstack.app:worker_app", factory=True, workers=settings.workers, **common)
    else:
        app = build_app(settings, listeners)
        app.first_start = first_start
        if sock is None:
            uvicorn.run(app, **common)
            return 0
        server = uvicorn.Server(uvicorn.Config(app, **common))
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
        if not server.started:
            return 3                    # uvicorn.run's exit status when the startup failed
    return 0


def listen_early(settings: Settings) -> tuple[Any, str | None]:
    """The main port, taken before the modules load and the cloud is prepared (one process, a host
    given as an address): a client that connects meanwhile waits in its backlog for its answer
    instead of being refused, and a port in use stops the start before it touches the data dir.
    (None, None): uvicorn binds it as it always did (a host name may stand for several addresses)."""
    import ipaddress
    try:
        ipaddress.ip_address(settings.host)
    except ValueError:
        return None, None
    if settings.workers > 1:
        return None, None
    from pocketstack.core.listeners import bind
    sock, why = bind(settings.host, settings.port)
    if sock is not None and settings.port == 0:
        settings.port = sock.getsockname()[1]
    return sock, why


def bind_listeners(settings: Settings, args: argparse.Namespace) -> tuple[list[Any], str | None]:
    """The object store's own port (Swift's proxy port, 8080 on DevStack), bound before the cloud
    starts so the catalog can point at it; when it cannot be had, one line says so and the object
    store is served at its prefix on the main port only."""
    from pocketstack.core.listeners import Listener, bind
    from pocketstack.services import BY_TYPE
    object_store = BY_TYPE["object-store"]       # its registry entry: the service loads on its first request
    port = args.object_store_port
    if port is None:
        port = int(settings.option("object_store.port", 8080) or 0)
    prefix = object_store.listener_prefix
    if not port or prefix is None:
        return [], None
    fallback = f"the object store is served at {settings.base_url}{prefix}/v1 only"
    if settings.workers > 1:
        return [], f"the object store's own port needs --workers 1: {fallback}"
    sock, why = bind(settings.host, port)
    if sock is None:
        return [], f"object store port {why}: {fallback}"
    settings.listeners[object_store.type] = sock.getsockname()[1]
    return [Listener(object_store.type, prefix, sock)], None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pocketstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_args(sub)
    _reset_args(sub)
    _conformance_args(sub)
    _dataplane_args(sub)
    _db_args(sub)
    _guest_image_args(sub)
    fault_cli.add_arguments(sub)
    snapshot_cli.add_arguments(sub, _common_args)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    elif args.command == "dataplane":
        return dataplane(args)
    elif args.command == "db":
        return db_command(args)
    elif args.command == "guest-image":
        return guest_image_command(args)
    elif args.command == "reset":
        from pocketstack.core.blobs import BackendUnavailable
        from pocketstack.reset import StillServing, reset
        settings = settings_from(args)
        configure_logging(settings.log_level)
        try:
            reset(settings)
        except (StillServing, BackendUnavailable) as exc:
            print(f"pocketstack: {exc}", file=sys.stderr)
            return 1
        print(f"pocketstack: reset the cloud in {settings.data_dir}", file=sys.stderr)
        return 0
    elif args.command == "snapshot":
        return snapshot_cli.main(args, settings_from(args))
    elif args.command == "fault":
        return fault_cli.main(args)
    elif args.command == "conformance":
        from pocketstack import conformance
        return conformance.main(args)
    parser.error(f"unknown command {args.command}")
    return 2

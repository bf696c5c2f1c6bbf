"""The `pocketstack` command: serve (and the tools around it)."""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
from pathlib import Path

from pocketstack.config import Settings, default_data_dir, load_options


def _serve_args(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the cloud")
    _common_args(p)
    p.add_argument("--workers", type=int, default=1)


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


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(host=args.host, port=args.port, data_dir=(args.data_dir or default_data_dir()).resolve(),
                    database_url=args.database_url, workers=getattr(args, "workers", 1), admin_password=args.admin_password,
                    public_url=args.public_url, options=load_options(args.config), log_level=args.log_level)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
    for noisy in ("sqlalchemy", "alembic", "httpx", "oslo_policy", "stevedore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pocketstack.app import build_app, prepare
    settings = settings_from(args)
    configure_logging(settings.log_level)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: every thread's stack to stderr
    if settings.workers > 1 and settings.db_url.startswith("sqlite"):
        logging.getLogger("pocketstack").warning("several workers on SQLite serialize on its write lock; "
                                                 "use --database-url postgresql://... to scale out")
    prepare(settings)
    print(f"pocketstack: serving {settings.base_url} (data in {settings.data_dir})\n"
          f"  export OS_CLIENT_CONFIG_FILE={settings.data_dir / 'clouds.yaml'}\n"
          f"  openstack --os-cloud pocketstack token issue", file=sys.stderr, flush=True)
    common = dict(host=settings.host, port=settings.port, log_level="warning", access_log=False,
                  lifespan="on", timeout_graceful_shutdown=10)
    if settings.workers > 1:
        os.environ.update(settings.to_env())
        uvicorn.run("pocketstack.app:worker_app", factory=True, workers=settings.workers, **common)
    else:
        from pocketstack.app import prepare as _  # noqa: F401
        uvicorn.run(build_app(settings), **common)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pocketstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_args(sub)
    _reset_args(sub)
    _conformance_args(sub)
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    elif args.command == "reset":
        from pocketstack.reset import StillServing, reset
        settings = settings_from(args)
        configure_logging(settings.log_level)
        try:
            reset(settings)
        except StillServing as exc:
            print(f"pocketstack: {exc}", file=sys.stderr)
            return 1
        print(f"pocketstack: reset the cloud in {settings.data_dir}", file=sys.stderr)
        return 0
    elif args.command == "conformance":
        from pocketstack import conformance
        return conformance.main(args)
    parser.error(f"unknown command {args.command}")
    return 2

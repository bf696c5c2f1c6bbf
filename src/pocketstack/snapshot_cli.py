"""`pocketstack snapshot save NAME | restore NAME | list | delete NAME`: the whole cloud (every table
and the blob store) under a name, in the data dir (`snapshots/NAME`; on PostgreSQL the rows are in a
schema `pocketstack_snapshot_NAME` of the cloud's database). `save` may run while the cloud
serves (the copy is one consistent read); `restore` wants it stopped (a running cloud started
with --allow-reset restores live: POST /pocketstack/v1/reset {"snapshot": NAME}). The snapshot
`bootstrap` is the cloud of its first start.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(sub: argparse._SubParsersAction, common: object) -> None:
    p = sub.add_parser("snapshot", help="save, restore, list or delete whole-cloud snapshots")
    p.add_argument("action", choices=("save", "restore", "list", "delete"))
    p.add_argument("name", nargs="?")
    p.add_argument("-f", "--format", choices=("table", "json"), default="table")
    common(p)   # type: ignore[operator]


def main(args: argparse.Namespace, settings: object) -> int:
    import pocketstack.services  # noqa: F401  (every table: the order rows are put back in on PostgreSQL)
    from pocketstack.config import Settings
    from pocketstack.core import blobs, db, snapshots
    from pocketstack.reset import StillServing, refuse_if_serving
    assert isinstance(settings, Settings)
    if args.action != "list" and not args.name:
        print(f"pocketstack: snapshot {args.action} needs a NAME", file=sys.stderr)
        return 2
    if not (settings.data_dir / "snapshots").exists() and args.action == "list":
        _print([], args.format)
        return 0
    try:
        db.configure(settings.db_url)
        db.check_revision(settings.db_url)
        blobs.configure(settings.data_dir / "blobs", settings)
        if args.action == "restore":
            refuse_if_serving(settings)
            refuse_if_serving(_last_served(settings))
        if args.action == "save":
            meta = snapshots.save(settings.data_dir, args.name)
            print(f"pocketstack: saved snapshot {args.name} ({meta['files']} files, {meta['bytes']} bytes)")
        elif args.action == "restore":
            seconds = snapshots.restore(settings.data_dir, args.name)
            print(f"pocketstack: restored snapshot {args.name} in {seconds:.2f} s")
        elif args.action == "delete":
            snapshots.delete(settings.data_dir, args.name)
            print(f"pocketstack: deleted snapshot {args.name}")
        else:
            _print(snapshots.list_snapshots(settings.data_dir), args.format)
    except (snapshots.SnapshotError, StillServing, db.SchemaError, blobs.BackendUnavailable) as exc:
        print(f"pocketstack: {exc}", file=sys.stderr)
        return 1
    return 0


def _last_served(settings: object) -> object:
    """The settings with the URL the cloud last served at (recorded by bootstrap), which a restore
    must find silent; `--port` may not say it."""
    import dataclasses

    from pocketstack import bootstrap
    from pocketstack.core import db
    with db.reader() as conn:
        state = bootstrap._state(conn) or {}
    return dataclasses.replace(settings, public_url=state.get("base_url"))  # type: ignore[type-var]


def _print(found: list[dict[str, object]], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(found, indent=1))
        return
    print(f"{'name':24}  {'created':20}  {'dialect':10}  {'files':>6}  {'bytes':>12}")
    for s in found:
        print(f"{s['name']!s:24}  {s['created_at']!s:20}  {s['dialect']!s:10}  {s['files']!s:>6}  {s['bytes']!s:>12}")

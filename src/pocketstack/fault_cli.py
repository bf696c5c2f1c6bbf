"""`pocketstack fault add|list|clear`: the control API from the command line, against a running cloud.

Credentials: `--url` and `--token`, or a clouds.yaml entry (`--os-cloud`, default $OS_CLOUD, else
`pocketstack-admin`) from $OS_CLIENT_CONFIG_FILE, else from the data dir's clouds.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from pocketstack.config import default_data_dir


def add_arguments(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fault", help="inject faults into a running cloud (admin): add, list, clear")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add a request fault (--status and/or --delay) or a job fault (--job)")
    for flag, help_text in (("--service", "service type, e.g. compute, network, block-storage, image"),
                            ("--method", "HTTP method"),
                            ("--path", "glob over the URL path, e.g. '/compute/v2.1/servers*'"),
                            ("--path-regex", "regular expression searched in the URL path"),
                            ("--project", "the caller's project id or name"),
                            ("--job", "a job kind glob (compute.build_server, volume.create, orchestration.*)"),
                            ("--message", "the error message (the default names the injected fault)")):
        add.add_argument(flag, help=help_text)
    add.add_argument("--status", type=int, help="answer with this HTTP status, in the service's error format")
    add.add_argument("--delay", type=float, help="seconds to wait before answering")
    add.add_argument("--retry", action="store_true", help="job faults: a failed attempt the job runner retries "
                                                          "(default: the job fails for good)")
    add.add_argument("--probability", type=float, help="chance that a matching request fails (default 1)")
    add.add_argument("--count", type=int, help="fire this many times, then stop")
    add.add_argument("--expires-in", type=float, help="seconds until the fault expires")
    listing = actions.add_parser("list", help="the active faults (--all: spent and expired ones too)")
    listing.add_argument("--all", action="store_true")
    listing.add_argument("-f", "--format", choices=("table", "json"), default="table")
    clear = actions.add_parser("clear", help="remove one fault (by id) or all")
    clear.add_argument("fault_id", nargs="?")
    for parser in (add, listing, clear):
        _connection_args(parser)


def _connection_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--os-cloud", default=os.environ.get("OS_CLOUD") or "pocketstack-admin")
    p.add_argument("--url", help="the cloud's base URL (with --token, instead of clouds.yaml)")
    p.add_argument("--token", default=os.environ.get("OS_TOKEN"))
    p.add_argument("--data-dir", type=Path, default=None, help="whose clouds.yaml to read "
                                                               "(when $OS_CLIENT_CONFIG_FILE is not set)")


def _endpoint(args: argparse.Namespace) -> tuple[str, str]:
    if args.url and args.token:
        return args.url.rstrip("/"), args.token
    config = os.environ.get("OS_CLIENT_CONFIG_FILE") or str((args.data_dir or default_data_dir()) / "clouds.yaml")
    import openstack.config
    region = openstack.config.OpenStackConfig(config_files=[config]).get_one(cloud=args.os_cloud)
    session = region.get_session()
    auth_url = region.config["auth"]["auth_url"].rstrip("/")
    base = auth_url[: -len("/identity")] if auth_url.endswith("/identity") else auth_url.rsplit("/", 1)[0]
    return args.url or base, session.get_token()


def _call(args: argparse.Namespace, method: str, path: str, **kw: Any) -> Any:
    import httpx
    base, token = _endpoint(args)
    return httpx.request(method, f"{base}/pocketstack/v1{path}", headers={"X-Auth-Token": token}, timeout=60, **kw)


def main(args: argparse.Namespace) -> int:
    if args.action == "add":
        names = ("service", "method", "path", "path_regex", "project", "job", "message", "status", "delay",
                 "probability", "count", "expires_in")
        spec: dict[str, Any] = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
        if args.retry:
            spec["retry"] = True
        r = _call(args, "POST", "/faults", json={"fault": spec})
    elif args.action == "list":
        r = _call(args, "GET", "/faults", params={"all": "1"} if args.all else None)
    elif args.fault_id:
        r = _call(args, "DELETE", f"/faults/{args.fault_id}")
    else:
        r = _call(args, "DELETE", "/faults")
    if r.status_code >= 400:
        print(f"pocketstack: {r.status_code}: {_message(r)}", file=sys.stderr)
        return 1
    if args.action == "list" and args.format == "table":
        _table(r.json()["faults"])
    elif r.content:
        print(json.dumps(r.json(), indent=1))
    return 0


def _message(r: Any) -> str:
    try:
        return str(r.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return r.text[:300]


def _table(faults: list[dict[str, Any]]) -> None:
    print(f"{'id':36}  {'matches':48}  {'effect':24}  {'hits':>4}  left")
    for f in faults:
        if f["job"]:
            where = f"job {f['job']}"
            effect = "fail (retried)" if f["retry"] else "fail"
        else:
            where = " ".join(x for x in (f["service"] or "*", f["method"] or "*",
                                         f["path"] or (f["path_regex"] and f"~{f['path_regex']}") or "*") if x)
            effect = " ".join(x for x in (f"{f['status']}" if f["status"] else "",
                                          f"+{f['delay']}s" if f["delay"] else "") if x)
        if f["project"]:
            where += f" (project {f['project']})"
        if f["probability"] < 1:
            effect += f" p={f['probability']}"
        left = "-" if f["remaining"] is None else str(f["remaining"])
        print(f"{f['id']:36}  {where[:48]:48}  {effect[:24]:24}  {f['hits']:>4}  {left}")

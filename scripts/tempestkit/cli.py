"""Command line: select, run, report."""

import argparse
import collections
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tempestkit.common import BASELINE, CACHE, REPO, SERVICES, base_name, die, free_port, log, read_id_file
from tempestkit.conf import write_tempest_conf
from tempestkit.results import (build_selection, collate, failed_requests, failure_signature, last_failed_request,
                                last_lines, list_tests, parse_subunit, print_table, summarize)
from tempestkit.server import Cloud, HttpImage, Server, identity_uri
from tempestkit.venv import REQUIREMENTS, TEMPEST_VERSION, ensure_venv


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Run upstream Tempest 47.0.0 + plugins against pocketstack.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="services for --service: " + ", ".join(SERVICES))
    sel = p.add_mutually_exclusive_group(required=True)
    sel.add_argument("--service", action="append",
                     help="service name(s), e.g. identity or identity,image (repeatable)")
    sel.add_argument("--list", action="append",
                     help="file of test ids, one per line, '#' comments (repeatable)")
    sel.add_argument("--regex", help="regex over test ids (tempest run --regex)")
    sel.add_argument("--baseline", action="store_true",
                     help="run tests/conformance/baseline.txt; exit 1 if any of them "
                          "did not pass")
    p.add_argument("--baseline-file", default=str(BASELINE), help=argparse.SUPPRESS)
    p.add_argument("--exclude-regex", help="passed to tempest run --exclude-regex")
    p.add_argument("--concurrency", type=int, default=2)
    p.add_argument("--url", help="run against this already running cloud (root URL, "
                                 "or its identity v3 URL) instead of starting one")
    p.add_argument("--admin-password", help="admin password (required with --url; "
                                            "random when the script starts the server)")
    p.add_argument("--pocketstack-cmd",
                   help="command prefix for the server (default: <repo>/.venv/bin/pocketstack)")
    p.add_argument("--server-config", help="YAML config file for the server instead of the "
                                           "generated one")
    p.add_argument("--startup-timeout", type=float, default=60.0)
    p.add_argument("--password-hash-rounds", type=int, default=4,
                   help="identity.password_hash_rounds in the generated server config "
                        "(default 4, bcrypt's minimum, for speed; 0 = server default 12)")
    p.add_argument("--enforce-scope", nargs="?", const="keystone", default="",
                   help="set [enforce_scope] true for these services (default with the "
                        "flag: keystone), e.g. --enforce-scope keystone,nova")
    p.add_argument("--admin-domain-scope", action="store_true",
                   help="[identity] admin_domain_scope = true")
    p.add_argument("--guests", action="store_true",
                   help="real guests: start pocketstack with the Linux dataplane and the qemu compute "
                        "driver (needs root) and write DevStack's cirros validation options "
                        "(run_validation, floating IP + keypair SSH as cirros)")
    p.add_argument("--dataplane", action="store_true",
                   help="start pocketstack with the Linux network dataplane alone (needs root; no guests, "
                        "no validation options): the API tests run with packets really flowing")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override a tempest.conf option (repeatable)")
    p.add_argument("--json", help="write results as JSON here")
    p.add_argument("--write-passing", help="write the ids of passing tests here")
    p.add_argument("--list-tests", action="store_true",
                   help="only list the selected tests (no cloud needed)")
    p.add_argument("--venv", default=str(CACHE / f"tempest-{TEMPEST_VERSION}"))
    p.add_argument("--recreate-venv", action="store_true")
    p.add_argument("--workdir", help="keep server data, tempest workspace and logs here")
    p.add_argument("--keep", action="store_true",
                   help="do not delete the temporary work directory")
    p.add_argument("--debug-log", action="store_true",
                   help="[DEFAULT] debug = true: request/response bodies in tempest.log "
                        "(on by default with --keep/--workdir)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show all of tempest run's output (tracebacks included)")
    p.add_argument("--top", type=int, default=15, help="failure causes to print")
    p.add_argument("--rerun-failures", type=int, default=150, metavar="N",
                   help="with --baseline: re-run the baseline tests that did not pass once more, "
                        "when there are at most N of them (0: never); those that pass then are "
                        "reported as flaky and do not fail the run")
    p.add_argument("--show-failures", type=int, default=None,
                   help="print at most this many failing ids with their traceback ends "
                        "(default: all with --baseline, 30 otherwise)")
    return p.parse_args(argv)


def run_tempest(cmd, venv, workspace, run_log, stream, verbose, running):
    """One `tempest run`: its output to run_log (one line per test to the console), its results
    as subunit records; returns (exit code, seconds, records)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=workspace, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    running.append(proc)
    with open(run_log, "wb") as rl:
        # subunit-trace output: all of it to the log, one line per test to
        # the console (tracebacks come in the summary below)
        for raw in proc.stdout:
            rl.write(raw)
            line = raw.decode(errors="replace").rstrip()
            if verbose or re.match(r"^\{\d+\} ", line):
                print(line, flush=True)
    rc = proc.wait()
    running.remove(proc)
    elapsed = time.monotonic() - t0
    log(f"tempest run exited {rc} after {elapsed:.0f}s")
    with open(stream, "wb") as f:
        subprocess.run([str(venv / "bin" / "stestr"), "last", "--subunit"],
                       cwd=workspace, stdout=f, check=False)
    return rc, elapsed, parse_subunit(venv, stream)


def print_server_errors(path, limit=5):
    """The server's own errors, last and short, so that a CI log that keeps only its tail still
    shows why requests failed: each distinct exception line with the traceback lines before it."""
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return
    seen, blocks = set(), []
    for i, line in enumerate(lines):
        if "write turn" in line:            # core.db: a write turn held too long, or waited for in vain
            end = i + 1
            while end < len(lines) and lines[end].startswith(" "):
                end += 1
            sig = line.split(" pocketstack.db ", 1)[-1][:60] + " " + (lines[end - 2].strip() if end - i > 2 else "")
            if sig not in seen:
                seen.add(sig)
                blocks.append([line] + lines[max(i + 1, end - 12):end])
        elif line.startswith("Traceback ("):
            end = i + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            if end < len(lines):
                sig = lines[end].strip()[:300]
                if sig not in seen:
                    seen.add(sig)
                    blocks.append(lines[max(i - 1, 0):i] + lines[max(i + 1, end - 6):end + 1])
    if not blocks:
        return
    print(f"server errors ({len(seen)} distinct; the last {min(limit, len(blocks))} in {path}):")
    for block in blocks[-limit:]:
        for line in block:
            print("  " + line[:300])
        print()


def main(argv=None):
    args = parse_args(argv)
    if args.url and not args.admin_password:
        die("--url needs --admin-password")
    if args.guests and not args.url and os.geteuid() != 0:
        die("--guests starts pocketstack with --dataplane linux --compute-driver qemu, which needs "
            "root (network namespaces, taps, QEMU guests): run as root, or use --url with a cloud "
            "that runs real guests")
    if args.dataplane and not args.url and os.geteuid() != 0:
        die("--dataplane starts pocketstack with --dataplane linux, which needs root (network namespaces)")
    linux = (args.guests or args.dataplane) and not args.url
    args.guests_cloud = ("tg" + secrets.token_hex(3)) if linux else None
    if args.baseline and not Path(args.baseline_file).exists():
        die(f"{args.baseline_file} does not exist")
    args.identity_uri = None
    if args.baseline and not read_id_file(args.baseline_file):
        log(f"baseline {args.baseline_file} is empty: nothing to run")
        print("tempest: 0 passed, 0 failed, 0 skipped")
        return 0

    venv = ensure_venv(args.venv, args.recreate_venv)

    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        keep = True
    else:
        workdir = Path(tempfile.mkdtemp(prefix="pocketstack-tempest-"))
        keep = args.keep
    if keep:
        args.debug_log = True
    server = None
    running = []    # the tempest run in progress, for the clean-up

    def on_term(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    try:
        workspace = workdir / "tempest"
        if workspace.exists():
            shutil.rmtree(workspace)
        subprocess.run([str(venv / "bin" / "tempest"), "init",
                        "--workspace-path", str(workdir / "workspace.yaml"),
                        "--name", "pocketstack-" + secrets.token_hex(4), str(workspace)],
                       check=True, stdout=subprocess.DEVNULL)
        conf_path = workspace / "etc" / "tempest.conf"

        sel_args, desc, wanted = build_selection(args, workdir)
        extra = ["--exclude-regex", args.exclude_regex] if args.exclude_regex else []
        if sel_args is None:
            log(f"{desc}: nothing to run")
            print("tempest: 0 passed, 0 failed, 0 skipped")
            return 0

        if args.list_tests:
            write_tempest_conf(conf_path, None, "x", args, [])
            ids = list_tests(venv, workspace, sel_args, extra)
            for tid in ids:
                print(tid)
            log(f"{desc}: {len(ids)} tests selected")
            if wanted is not None:
                found = {base_name(t) for t in ids}
                missing = [w for w in wanted if w not in found]
                if missing:
                    log(f"{len(missing)} ids of the list are not in this tempest: "
                        + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
            return 0

        # the cloud
        if args.url:
            password = args.admin_password
            uri_v3 = identity_uri(args.url)
        else:
            password = args.admin_password or "Ps" + secrets.token_hex(12)
            if args.pocketstack_cmd:
                prefix = shlex.split(args.pocketstack_cmd)
            else:
                exe = REPO / ".venv" / "bin" / "pocketstack"
                if not exe.exists():
                    die(f"{exe} not found: install the project first "
                        "(or pass --pocketstack-cmd / --url)")
                prefix = [str(exe)]
            if args.guests and args.server_config:
                log("--guests with --server-config: the config file must turn on "
                    "network.dataplane linux and compute.driver qemu itself")
            http_image = HttpImage()
            args.http_image, args.http_qcow2_image = http_image.url, http_image.qcow2_url
            server = Server(prefix, workdir, password, free_port(),
                            max(args.startup_timeout, 300) if args.guests else args.startup_timeout,
                            args.server_config, args.password_hash_rounds, args.guests_cloud,
                            None if args.server_config else http_image.port, qemu=args.guests)
            server.start()
            uri_v3 = server.url + "/identity/v3"
        cloud = Cloud(uri_v3, password)
        log(f"catalog: {', '.join(sorted(cloud.endpoints)) or '(empty)'}")
        notes = []
        write_tempest_conf(conf_path, cloud, password, args, notes)
        for n in notes:
            log("discovered " + n)

        expected = list_tests(venv, workspace, sel_args, extra)
        if wanted is not None:
            found = {base_name(t) for t in expected}
            missing = [w for w in wanted if w not in found]
            if missing:
                log(f"{len(missing)} ids of the selection are not known to this tempest "
                    f"(counted as not-run): {', '.join(missing[:5])}")
                expected += missing
        log(f"{desc}: {len(expected)} tests, concurrency {args.concurrency}")
        if not expected:
            die("the selection matches no test")

        cmd = ([str(venv / "bin" / "tempest"), "run", "--concurrency", str(args.concurrency)]
               + sel_args + extra)
        rc, elapsed, records = run_tempest(cmd, venv, workspace, workdir / "tempest-run.log",
                                           workdir / "results.subunit", args.verbose, running)
        results, fixtures = collate(expected, records)
        flaky = []
        if args.baseline and args.rerun_failures:
            # one more try for the baseline tests that did not pass, on the same cloud: a test that
            # passes then is reported as flaky (by name, below) instead of failing the run
            again = sorted(t for t, r in results.items() if r["status"] != "passed")
            if again and len(again) <= args.rerun_failures:
                rerun_list = workdir / "rerun-list.txt"
                rerun_list.write_text("".join("^" + re.escape(base_name(t)) + r"(\[.*\])?$" + "\n" for t in again))
                log(f"re-running the {len(again)} baseline test(s) that did not pass, once")
                cmd2 = [str(venv / "bin" / "tempest"), "run", "--concurrency", str(args.concurrency),
                        "--include-list", str(rerun_list)]
                _, _, records2 = run_tempest(cmd2, venv, workspace, workdir / "tempest-rerun.log",
                                             workdir / "results-rerun.subunit", args.verbose, running)
                results2, _ = collate(again, records2)
                for tid in again:
                    if results2.get(tid, {}).get("status") == "passed":
                        flaky.append((tid, results[tid]))
                        results[tid] = results2[tid]
            elif again:
                log(f"{len(again)} baseline tests did not pass: more than --rerun-failures "
                    f"{args.rerun_failures}, so no rerun")
        table, total = summarize(results)
        print_table(table, total)

        failed = {t: r for t, r in results.items() if r["status"] in ("failed", "not-run")}
        reqs = failed_requests(workspace / "logs" / "tempest.log")
        for tid, r in failed.items():
            req = last_failed_request(reqs, tid, r.get("via"))
            if req:
                r["last_failed_request"] = " ".join(req)
            r["cause"] = failure_signature(r["traceback"], req)
        causes = collections.Counter(r["cause"] for r in failed.values())
        if causes:
            print(f"top failure causes ({len(failed)} failing tests, {len(causes)} distinct):")
            for sig, n in causes.most_common(args.top):
                print(f"  {n:5d}  {sig}")
            print()
        skips = collections.Counter(r["reason"].strip().splitlines()[0][:200]
                                    if r["reason"].strip() else "(no reason)"
                                    for r in results.values() if r["status"] == "skipped")
        if skips:
            print("top skip reasons:")
            for sig, n in skips.most_common(min(args.top, 10)):
                print(f"  {n:5d}  {sig}")
            print()
        teardown_errors = [f for f in fixtures
                           if f["id"].startswith("tearDown") and f["status"] == "fail"]
        if teardown_errors:
            print(f"{len(teardown_errors)} class teardown error(s): "
                  + ", ".join(f["id"] for f in teardown_errors[:10]))
            print()

        baseline_failed = []
        if args.baseline:
            baseline_failed = sorted(t for t, r in results.items()
                                     if r["status"] != "passed")
        show = args.show_failures
        if show is None:
            show = len(failed) if args.baseline else 30
        listing = sorted(baseline_failed if args.baseline else failed)
        if listing and show:
            print("not passing:" if args.baseline else "failing tests:")
            for tid in listing[:show]:
                r = results[tid]
                print(f"- {tid}  [{r['status']}]")
                if r.get("last_failed_request"):
                    print(f"    last 4xx/5xx request: {r['last_failed_request']}")
                text = r["reason"] if r["status"] == "skipped" else r["traceback"]
                for line in last_lines(text, 4):
                    print("    " + line[:240])
            if len(listing) > show:
                print(f"  ... and {len(listing) - show} more (see --json)")
            print()

        if args.json:
            out = {
                "tempest": TEMPEST_VERSION,
                "plugins": REQUIREMENTS[1:],
                "selection": desc,
                "cloud": cloud.uri_v3,
                "catalog": sorted(cloud.endpoints),
                "discovered": notes,
                "elapsed_seconds": round(elapsed, 1),
                "tempest_exit_code": rc,
                "summary": dict(total),
                "services": {k: dict(v) for k, v in table.items()},
                "failure_causes": [{"count": n, "cause": s} for s, n in causes.most_common()],
                "tests": results,
            }
            Path(args.json).write_text(json.dumps(out, indent=1, sort_keys=False) + "\n")
            log(f"wrote {args.json}")
        if args.write_passing:
            passing = sorted(t for t, r in results.items() if r["status"] == "passed")
            Path(args.write_passing).write_text(
                f"# passing tests: {desc}; tempest {TEMPEST_VERSION}\n"
                + "".join(t + "\n" for t in passing))
            log(f"wrote {len(passing)} passing ids to {args.write_passing}")

        if flaky:
            print(f"flaky: {len(flaky)} baseline test(s) failed once and passed when re-run:")
            for tid, first in flaky:
                print(f"- {tid}")
                for line in last_lines(first["traceback"], 2):
                    print("    " + line[:240])
            if server is not None:
                print_server_errors(server.log_path)
            print()
        print(f"tempest: {total.get('passed', 0)} passed, "
              f"{total.get('failed', 0) + total.get('not-run', 0)} failed, "
              f"{total.get('skipped', 0)} skipped")
        if args.baseline:
            if baseline_failed:
                if server is not None:
                    print_server_errors(server.log_path)
                log(f"{len(baseline_failed)} baseline test(s) did not pass")
                return 1
            log("every baseline test passed")
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for tempest_proc in running:
            if tempest_proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(tempest_proc.pid, signal.SIGTERM)
                try:
                    tempest_proc.wait(10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(tempest_proc.pid, signal.SIGKILL)
        if server is not None:
            server.stop()
            if args.guests_cloud and not args.server_config:
                server.reap_guests(server.cmd[:server.cmd.index("serve")], args.guests_cloud)
        if keep:
            log(f"kept {workdir} (server.log, tempest/logs/tempest.log, results.subunit)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

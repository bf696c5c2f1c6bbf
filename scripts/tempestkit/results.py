"""Selecting, listing and reading the results of a Tempest run."""

import collections
import json
import re
import subprocess
import urllib.parse

from tempestkit.common import (CLASS_FIXTURE_RE, SERVICE_ALIASES, SERVICES, base_name, die, include_list_line,
                               read_id_file, service_of)

# Subunit v2 -> JSON, run with the tempest venv's python (python-subunit and
# testtools live there, not in the interpreter running this script).
SUBUNIT_PARSER = r"""
import json, sys
import subunit, testtools

out = []
def on_test(t):
    details = {}
    for name, content in (t.get('details') or {}).items():
        try:
            details[name] = content.as_text()
        except Exception:
            pass
    ts = [x for x in (t.get('timestamps') or []) if x]
    duration = (ts[-1] - ts[0]).total_seconds() if len(ts) >= 2 else None
    out.append({'id': t['id'], 'status': t['status'], 'duration': duration,
                'traceback': details.get('traceback', ''),
                'reason': details.get('reason', '')})
with open(sys.argv[1], 'rb') as f:
    stream = subunit.ByteStreamToStreamResult(f, non_subunit_name='stdout')
    result = testtools.StreamToDict(on_test)
    result.startTestRun()
    try:
        stream.run(result)
    finally:
        result.stopTestRun()
json.dump(out, sys.stdout)
"""


# --------------------------------------------------------------------------
# selection, run, results


def build_selection(args, workdir):
    """Return (tempest run args, description, wanted ids or None)."""
    if args.baseline:
        ids = read_id_file(args.baseline_file)
        if not ids:
            return None, f"baseline {args.baseline_file} (empty)", []
        src = ids
        desc = f"baseline {args.baseline_file} ({len(ids)} ids)"
    elif args.list:
        src = []
        for lf in args.list:
            src.extend(read_id_file(lf))
        desc = f"list {', '.join(args.list)} ({len(src)} ids)"
    elif args.service:
        regexes = []
        for name in ",".join(args.service).split(","):
            name = name.strip()
            key = SERVICE_ALIASES.get(name, name)
            if key not in SERVICES:
                die(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
            regexes.append(SERVICES[key])
        rx = "|".join(f"(?:{r})" for r in regexes)
        return ["--regex", rx], f"service {','.join(args.service)}", None
    else:
        return ["--regex", args.regex], f"regex {args.regex}", None
    inc = workdir / "include-list.txt"
    seen = set()
    lines = []
    for tid in src:
        bn = base_name(tid)
        if bn not in seen:
            seen.add(bn)
            lines.append(include_list_line(tid))
    inc.write_text("\n".join(lines) + "\n")
    return ["--include-list", str(inc)], desc, sorted(seen)


def list_tests(venv, workspace, sel_args, extra):
    r = subprocess.run([str(venv / "bin" / "tempest"), "run", "--list-tests"] + sel_args + extra,
                       cwd=workspace, capture_output=True, text=True)
    ids = [line.strip() for line in r.stdout.splitlines()
           if re.match(r"^[A-Za-z_][\w.]*\.\w+(\[[^\]]*\])?$", line.strip())]
    if r.returncode != 0 and not ids:
        die(f"tempest run --list-tests failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return ids


def parse_subunit(venv, stream_path):
    r = subprocess.run([str(venv / "bin" / "python"), "-c", SUBUNIT_PARSER, str(stream_path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die(f"could not parse subunit stream: {r.stderr[-2000:]}")
    return json.loads(r.stdout or "[]")


STATUS_MAP = {"success": "passed", "xfail": "passed", "skip": "skipped",
              "fail": "failed", "uxsuccess": "failed"}


def collate(expected, records):
    """Per expected test id: status, reason/traceback; class fixtures expanded."""
    by_id = {}
    class_level = {}
    fixtures = []
    for rec in records:
        m = CLASS_FIXTURE_RE.match(rec["id"])
        if m:
            fixtures.append(rec)
            if m.group(1) == "setUpClass" or rec["status"] == "skip":
                prev = class_level.get(m.group(2))
                if prev is None or prev["status"] != "fail":
                    class_level[m.group(2)] = rec
            continue
        if rec["status"] in ("exists", "inprogress"):
            continue
        by_id[rec["id"]] = rec
    by_base = {base_name(k): v for k, v in by_id.items()}
    results = {}
    for tid in expected:
        rec = by_id.get(tid) or by_base.get(base_name(tid))
        cls = base_name(tid).rsplit(".", 1)[0]
        if rec is None:
            crec = class_level.get(cls) or class_level.get(cls.rsplit(".", 1)[0])
            if crec is not None:
                status = STATUS_MAP.get(crec["status"], "failed")
                results[tid] = {"status": status, "duration": None,
                                "reason": crec.get("reason", ""),
                                "traceback": crec.get("traceback", ""),
                                "via": crec["id"]}
            else:
                results[tid] = {"status": "not-run", "duration": None, "reason": "",
                                "traceback": "no result in the subunit stream"
                                             " (worker crash or timeout?)"}
            continue
        results[tid] = {"status": STATUS_MAP.get(rec["status"], "failed"),
                        "duration": rec.get("duration"),
                        "reason": rec.get("reason", ""),
                        "traceback": rec.get("traceback", "")}
    # tests that ran but were not expected (should not happen)
    expected_bases = {base_name(t) for t in expected}
    for tid, rec in by_id.items():
        if base_name(tid) not in expected_bases:
            results[tid] = {"status": STATUS_MAP.get(rec["status"], "failed"),
                            "duration": rec.get("duration"), "reason": rec.get("reason", ""),
                            "traceback": rec.get("traceback", "")}
    return results, fixtures


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Mismatch|Exit|"
                       r"NotFound|BadRequest|Conflict|Forbidden|Unauthorized|"
                       r"ServerFault|TimeoutException|[A-Z]\w+)):\s?(.*)$")


_REQ_LINE = re.compile(r"Request \((\w+):(\w+)\): (\d{3}) ([A-Z]+) (\S+)")
_HTTP_EXC = re.compile(r"^tempest\.lib\.exceptions\.(BadRequest|Unauthorized|Forbidden|NotFound|"
                       r"Conflict|Gone|ServerFault|NotImplemented|UnexpectedResponseCode|"
                       r"UnexpectedContentType|OverLimit|RateLimitExceeded|InvalidContentType|"
                       r"UnprocessableEntity|PreconditionFailed|RequestEntityTooLarge|"
                       r"InvalidHTTPResponseBody|InvalidHTTPResponseHeader|NotAcceptable)\b")


def failed_requests(log_path):
    """(TestClass, test method or setUpClass) -> [(status, verb, path)] of 4xx/5xx answers,
    read from the INFO lines tempest writes for every request."""
    out = collections.defaultdict(list)
    try:
        f = open(log_path, errors="replace")
    except OSError:
        return out
    with f:
        for line in f:
            if "Request (" not in line:
                continue
            m = _REQ_LINE.search(line)
            if m and m.group(3)[0] in "45":
                path = urllib.parse.urlsplit(m.group(5))
                out[(m.group(1), m.group(2))].append(
                    (m.group(3), m.group(4), path.path + ("?" + path.query if path.query else "")))
    return out


def last_failed_request(reqs, test_id, via=None):
    if via:
        m = CLASS_FIXTURE_RE.match(via)
        key = (m.group(2).rsplit(".", 1)[-1], m.group(1)) if m else None
    else:
        parts = base_name(test_id).rsplit(".", 2)
        key = (parts[-2], parts[-1]) if len(parts) == 3 else None
    hits = reqs.get(key) if key else None
    return hits[-1] if hits else None


def failure_signature(tb, request=None):
    """A short, normalised cause for grouping failures."""
    lines = [l for l in (tb or "").splitlines() if l.strip()]
    sig = None
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if line.startswith((" ", "\t", "Traceback")):
            continue
        m = _EXC_LINE.match(line)
        if m:
            sig = line
            # tempest.lib exceptions put the server's answer on "Details:"
            for nxt in lines[i + 1:i + 3]:
                if nxt.startswith("Details:"):
                    sig += " | " + nxt
                    break
            if request and _HTTP_EXC.match(line):
                sig = f"{request[0]} {request[1]} {request[2]} -> " + sig
            break
    if sig is None:
        sig = lines[-1] if lines else "(no traceback)"
    sig = re.sub(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "<id>", sig)
    sig = re.sub(r"\b[0-9a-f]{32}\b", "<id>", sig)
    sig = re.sub(r"(?<![\w.])\d{4,}\b", "<n>", sig)
    sig = re.sub(r"(tempest|test)-[\w-]*-\d+", r"\1-<name>", sig)
    sig = re.sub(r"http://127\.0\.0\.1:\d+", "http://<host>", sig)
    return sig[:300]


def last_lines(tb, n):
    lines = [l for l in (tb or "").splitlines() if l.strip()]
    return lines[-n:]


def summarize(results):
    table = collections.OrderedDict()
    for tid in sorted(results):
        svc = service_of(tid)
        row = table.setdefault(svc, collections.Counter())
        row["total"] += 1
        row[results[tid]["status"]] += 1
    total = collections.Counter()
    for row in table.values():
        total.update(row)
    return table, total


def print_table(table, total):
    cols = ["total", "passed", "failed", "skipped", "not-run"]
    w = max([len("service")] + [len(s) for s in table]) + 2
    print()
    print("service".ljust(w) + "".join(c.rjust(9) for c in cols))
    for svc, row in table.items():
        print(svc.ljust(w) + "".join(str(row.get(c, 0)).rjust(9) for c in cols))
    print("TOTAL".ljust(w) + "".join(str(total.get(c, 0)).rjust(9) for c in cols))
    print()



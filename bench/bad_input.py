#!/usr/bin/env python3
"""Bad input, measured: walk every route of every service with requests that must be refused.

    .venv/bin/python bench/bad_input.py                 # a sample (about 8,000 requests)
    .venv/bin/python bench/bad_input.py --full          # every attack on every route (>= 50,000)
    .venv/bin/python bench/bad_input.py --full --database-url postgresql://postgres@127.0.0.1:5432/postgres

Starts a throwaway cloud (tests/conftest.py start_cloud), takes tokens for admin, demo and alt
from its clouds.yaml, creates one resource of each main kind per service in demo's project, then
enumerates the route table (`pocketstack.services.load_all()`, each Service's `routes`) and sends, per
route: malformed JSON, invalid UTF-8, a JSON array/string/number/null instead of an object,
missing required fields, unknown fields, wrong types, oversize strings, huge and negative
integers (from the route's body schema where it declares one, from the resource key otherwise),
bad ids in the path, bad query values, another project's token on demo's resources, bad
microversion headers, no token and a bogus token.

Checks: never a 5xx, never a traceback in a body, every error body in the owning service's own
format, and nothing changes: a snapshot of the database (row count and hash per table) and of
the blob store taken before the walk must equal one taken after. A 2xx answer is counted as
"accepted" and listed; the state diff says whether it changed anything.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_postgres, _fresh_postgres, start_cloud, stop_cloud  # noqa: E402

HUGE = 2 ** 64
LONG = "x" * 70_000
BOGUS_TOKEN = "gAAAAABbogus" + "A" * 120
BAD_IDS = ["not-a-uuid", "9" * 300, "%00", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "%ff%fe", str(uuid.uuid4())]
BAD_QUERIES = ["limit=-1", "limit=abc", f"limit={HUGE}", "marker=" + str(uuid.uuid4()), "marker=%00",
               "sort_key=zz_nope", "sort_dir=sideways", "name=%ff", "changes-since=not-a-date",
               "all_tenants=maybe", "fields=%00", "offset=-5"]
BAD_VERSIONS = ["9.99", "abc", "1.", "0.1", "2.999999999999999999999", "1.2.3"]
# path parameters naming a thing a PUT/POST may create under that name: a bad value there is not
# a request that must be refused, so those are attacked with alt's token only
NAMEISH = {"tag", "trait", "name", "key", "obj", "container", "option", "group", "setting", "indicator",
           "resource_class", "class_name", "class_id", "alias", "host", "hostname", "action", "path", "rest",
           "type_name", "template_version", "resource_name", "output_key", "namespace", "object_name",
           "property_name", "tag_name", "resource_type", "rule_type", "network_label", "pattern", "before",
           "driver_name", "store_id", "account", "idp_id", "sp_id", "mapping_id", "protocol_id"}

# --- error formats: the owning service's own body -----------------------------------------


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _keystone(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("error"), dict) and {"code", "message", "title"} <= set(doc["error"])


def _nova(doc: Any) -> bool:
    return (isinstance(doc, dict) and len(doc) == 1 and isinstance(next(iter(doc.values())), dict)
            and "message" in next(iter(doc.values())))


def _neutron(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("NeutronError"), dict) and "message" in doc["NeutronError"]


def _heat(doc: Any) -> bool:
    return isinstance(doc, dict) and {"explanation", "code", "error", "title"} <= set(doc)


def _ironic(doc: Any) -> bool:
    return isinstance(doc, dict) and "error_message" in doc


def _placement(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("errors"), list) and bool(doc["errors"])


FORMATS = {"identity": _keystone, "compute": _nova, "block-storage": _nova, "network": _neutron,
           "orchestration": _heat, "baremetal": _ironic, "accelerator": _ironic, "placement": _placement}


def format_ok(service: str, status: int, body: bytes, method: str, path: str = "") -> bool:
    if method == "HEAD" or status in (204, 304) or not body:
        return method == "HEAD" or service in ("image", "object-store") or status in (204, 304)
    check = FORMATS.get(service)
    if service == "compute" and path.startswith("/compute/metadata"):
        return True                          # the metadata service answers in plain text, as nova's
    if check is None:                       # glance, swift: text or HTML as upstream; never JSON tracebacks
        return True
    doc = _json(body)
    return check(doc) or (status == 401 and _keystone(doc))


def traceback_in(body: bytes) -> bool:
    return b"Traceback (most recent call last)" in body or b'File "/' in body


# --- the cloud's state ------------------------------------------------------------------------


# columns a running cloud changes by itself (every host's heartbeat), left out of the comparison
HEARTBEAT_COLUMNS = {"host_services": {"last_seen_up", "report_count"}}


def db_snapshot(url: str) -> dict[str, tuple[int, str]]:
    import sqlalchemy as sa
    from pocketstack.core.db import normalize_url
    engine = sa.create_engine(normalize_url(url))
    out: dict[str, tuple[int, str]] = {}
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                live = HEARTBEAT_COLUMNS.get(table.name, set())
                rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(
                    *(c for c in table.columns if c.name not in live))))
                out[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])
    finally:
        engine.dispose()
    return out


def blob_snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest()[:16] if st.st_size < (4 << 20) else str(st.st_mtime_ns)
            out[str(p.relative_to(root))] = f"{st.st_size}:{digest}"
    return out


# a cache is no state a request changes: a read of an image (its bad header ignored) may fill Glance's
CACHES = ("image_cache", "blob:image-cache/")


def state_diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [f"{k}: {before.get(k)} -> {after.get(k)}" for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k) and not k.startswith(CACHES)]


# --- the resources to attack ------------------------------------------------------------------


@dataclass
class Target:
    url: str
    tokens: dict[str, str]
    ids: dict[tuple[str, str], str] = field(default_factory=dict)   # (service, param) -> value
    demo_project: str = ""


def _ok(r: httpx.Response) -> httpx.Response:
    if r.status_code >= 400:
        raise RuntimeError(f"{r.request.method} {r.request.url} -> {r.status_code} {r.text[:300]}")
    return r


def _wait(c: httpx.Client, path: str, key: str, field_: str, good: set[str], token: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        doc = _ok(c.get(path, headers={"X-Auth-Token": token})).json()
        status = (doc[key] if key else doc).get(field_)
        if status in good:
            return
        time.sleep(0.3)
    raise RuntimeError(f"{path} never reached {good}")


def make_resources(url: str, tokens: dict[str, str]) -> Target:
    """One resource of each main kind, in demo's project (admin-only kinds made by admin)."""
    t = Target(url, tokens)
    d = {"X-Auth-Token": tokens["demo"]}
    a = {"X-Auth-Token": tokens["admin"]}
    ids = t.ids
    with httpx.Client(base_url=url, timeout=60) as c:
        tok = _ok(c.get("/identity/v3/auth/tokens", headers={**a, "X-Subject-Token": tokens["demo"]})).json()["token"]
        project, user = tok["project"]["id"], tok["user"]["id"]
        t.demo_project = project
        member = next(r["id"] for r in tok["roles"] if r["name"] == "member")
        for p in ("project_id",):
            ids[("identity", p)] = project
        ids[("identity", "user_id")] = user
        ids[("identity", "role_id")] = member
        ids[("identity", "domain_id")] = "default"
        cred = _ok(c.post("/identity/v3/credentials", headers=d, json={"credential": {
            "type": "ec2", "user_id": user, "project_id": project,
            "blob": json.dumps({"access": uuid.uuid4().hex, "secret": "s"})}})).json()["credential"]
        ids[("identity", "credential_id")] = cred["id"]
        group = _ok(c.post("/identity/v3/groups", headers=a, json={"group": {"name": "bad-input-g"}})).json()["group"]
        ids[("identity", "group_id")] = group["id"]
        # image: a private image with bytes
        img = _ok(c.post("/image/v2/images", headers=d, json={"name": "bad-input", "disk_format": "raw",
                                                              "container_format": "bare"})).json()
        _ok(c.put(f"/image/v2/images/{img['id']}/file", headers={**d, "Content-Type": "application/octet-stream"},
                  content=os.urandom(4096)))
        ids[("image", "image_id")] = img["id"]
        ids[("compute", "image_id")] = img["id"]
        # network
        n = {"X-Auth-Token": tokens["demo"]}
        net = _ok(c.post("/networking/v2.0/networks", headers=n, json={"network": {"name": "bad-input"}})).json()["network"]
        sub = _ok(c.post("/networking/v2.0/subnets", headers=n, json={"subnet": {
            "network_id": net["id"], "cidr": "10.77.0.0/24", "ip_version": 4}})).json()["subnet"]
        port = _ok(c.post("/networking/v2.0/ports", headers=n, json={"port": {"network_id": net["id"]}})).json()["port"]
        sg = _ok(c.post("/networking/v2.0/security-groups", headers=n,
                        json={"security_group": {"name": "bad-input"}})).json()["security_group"]
        router = _ok(c.post("/networking/v2.0/routers", headers=n, json={"router": {"name": "bad-input"}})).json()["router"]
        # neutron makes a project's auto-allocated topology on the first GET of it: made here, before the
        # walk's first snapshot, so the walk's reads of it change nothing
        _ok(c.get(f"/networking/v2.0/auto-allocated-topology/{project}", headers=n))
        ids.update({("network", "network_id"): net["id"], ("network", "subnet_id"): sub["id"],
                    ("network", "port_id"): port["id"], ("network", "security_group_id"): sg["id"],
                    ("network", "rule_id"): sg["security_group_rules"][0]["id"],
                    ("network", "router_id"): router["id"], ("network", "project_id"): project,
                    ("compute", "network_id"): net["id"], ("compute", "port_id"): port["id"]})
        # compute
        flavors = _ok(c.get("/compute/v2.1/flavors", headers=d)).json()["flavors"]
        flavor = next(f["id"] for f in flavors if f["name"] == "m1.nano")
        images = _ok(c.get("/image/v2/images?status=active", headers=d)).json()["images"]
        boot = next(i["id"] for i in images if i["name"].startswith("cirros"))
        _ok(c.post("/compute/v2.1/os-keypairs", headers=d, json={"keypair": {"name": "bad-input"}}))
        grp = _ok(c.post("/compute/v2.1/os-server-groups", headers=d,
                         json={"server_group": {"name": "bad-input", "policies": ["anti-affinity"]}})).json()
        server = _ok(c.post("/compute/v2.1/servers", headers=d, json={"server": {
            "name": "bad-input", "flavorRef": flavor, "imageRef": boot,
            "networks": [{"uuid": net["id"]}]}})).json()["server"]
        _wait(c, f"/compute/v2.1/servers/{server['id']}", "server", "status", {"ACTIVE"}, tokens["demo"])
        _ok(c.put(f"/compute/v2.1/servers/{server['id']}/tags/bad-input",
                  headers={**d, "OpenStack-API-Version": "compute 2.26"}))
        ids.update({("compute", "server_id"): server["id"], ("compute", "name"): "bad-input",
                    ("compute", "group_id"): grp["server_group"]["id"], ("compute", "flavor_id"): flavor,
                    ("compute", "project_id"): project, ("compute", "tag"): "bad-input",
                    ("orchestration", "server_id"): server["id"]})
        # block storage
        v = f"/volume/v3/{project}"
        vol = _ok(c.post(f"{v}/volumes", headers=d, json={"volume": {"size": 1, "name": "bad-input",
                                                                       "metadata": {"k": "v"}}})).json()["volume"]
        _wait(c, f"{v}/volumes/{vol['id']}", "volume", "status", {"available"}, tokens["demo"])
        snap = _ok(c.post(f"{v}/snapshots", headers=d, json={"snapshot": {"volume_id": vol["id"]}})).json()["snapshot"]
        _wait(c, f"{v}/snapshots/{snap['id']}", "snapshot", "status", {"available"}, tokens["demo"])
        types = _ok(c.get(f"{v}/types", headers=d)).json()["volume_types"]
        ids.update({("block-storage", "project_id"): project, ("block-storage", "volume_id"): vol["id"],
                    ("block-storage", "snapshot_id"): snap["id"], ("block-storage", "key"): "k",
                    ("block-storage", "type_id"): types[0]["id"], ("block-storage", "target_project"): project,
                    ("compute", "volume_id"): vol["id"], ("compute", "snapshot_id"): snap["id"]})
        # object store
        acct = f"AUTH_{project}"
        _ok(c.put(f"/object-store/v1/{acct}/bad-input", headers=d))
        _ok(c.put(f"/object-store/v1/{acct}/bad-input/obj", headers=d, content=b"hello"))
        ids.update({("object-store", "account"): acct, ("object-store", "container"): "bad-input",
                    ("object-store", "obj"): "obj"})
        # orchestration
        h = f"/heat-api/v1/{project}"
        stack = _ok(c.post(f"{h}/stacks", headers=d, json={"stack_name": "bad-input", "template": {
            "heat_template_version": "2018-08-31", "resources": {"r": {"type": "OS::Heat::None"}},
            "outputs": {"o": {"value": "x"}}}})).json()["stack"]
        _wait(c, f"{h}/stacks/bad-input/{stack['id']}", "stack", "stack_status",
              {"CREATE_COMPLETE", "CREATE_FAILED"}, tokens["demo"])
        ids.update({("orchestration", "tenant_id"): project, ("orchestration", "stack_name"): "bad-input",
                    ("orchestration", "stack_id"): stack["id"], ("orchestration", "resource_name"): "r",
                    ("orchestration", "output_key"): "o"})
        # placement, baremetal, accelerator: admin kinds
        pa = {**a, "OpenStack-API-Version": "placement latest"}
        rp_uuid = str(uuid.uuid4())
        _ok(c.post("/placement/resource_providers", headers=pa, json={"name": "bad-input", "uuid": rp_uuid}))
        ids.update({("placement", "uuid"): rp_uuid, ("placement", "resource_class"): "VCPU",
                    ("placement", "consumer_uuid"): server["id"], ("placement", "name"): "HW_CPU_X86_AVX"})
        ba = {"X-Auth-Token": tokens["system"], "X-OpenStack-Ironic-API-Version": "latest"}
        node = _ok(c.post("/baremetal/v1/nodes", headers=ba, json={"driver": "fake-hardware",
                                                                     "name": "bad-input"})).json()
        chassis = _ok(c.post("/baremetal/v1/chassis", headers=ba, json={"description": "bad-input"})).json()
        bport = _ok(c.post("/baremetal/v1/ports", headers=ba, json={"node_uuid": node["uuid"],
                                                                      "address": "52:54:00:aa:bb:cc"})).json()
        ids.update({("baremetal", "node_ident"): node["uuid"], ("baremetal", "chassis_id"): chassis["uuid"],
                    ("baremetal", "port_id"): bport["uuid"], ("baremetal", "driver_name"): "fake-hardware"})
        devs = _ok(c.get("/accelerator/v2/devices", headers=a)).json().get("devices", [])
        if devs:
            ids[("accelerator", "uuid")] = devs[0]["uuid"]
    return t


# --- attacks ----------------------------------------------------------------------------------


@dataclass
class Attack:
    service: str
    route: str                 # METHOD template, for the report
    upstream_5xx: bool
    kind: str
    method: str
    path: str
    token: str | None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


TOKENS: dict[str, str] = {}
PARAM = re.compile(r"\{(\w+)(?::path)?\}")


def fill(service: str, template: str, ids: dict[tuple[str, str], str], override: dict[str, str] | None = None) -> str:
    override = override or {}

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in override:
            return override[name]
        return ids.get((service, name)) or ids.get(("*", name)) or f"{name}-{'0' * 8}"
    return PARAM.sub(one, template)


def wrapper_key(template: str) -> str:
    parts = [p for p in template.split("/") if p and not p.startswith("{")]
    last = parts[-1] if parts else "resource"
    last = last.removeprefix("os-").replace("-", "_")
    if last.endswith("ies"):
        return last[:-3] + "y"
    return last[:-1] if last.endswith("s") else last


def sample(schema: dict[str, Any]) -> Any:
    """A plausible value of the schema's type (not necessarily valid: the attacks break it further)."""
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    return {"string": "x", "integer": 1, "number": 1, "boolean": True, "null": None,
            "array": [], "object": skeleton(schema)}.get(t or "", "x")


def skeleton(schema: dict[str, Any]) -> dict[str, Any]:
    props = schema.get("properties") or {}
    return {k: sample(v) for k, v in props.items() if k in (schema.get("required") or [])}


WRONG = {"string": [12345, ["x"], {"x": 1}], "integer": ["12", 1.5, [1]], "number": ["1.5", [1]],
         "boolean": ["yes", 2], "array": ["x", {"x": 1}], "object": ["x", [1]], "null": []}


def schema_bodies(schema: dict[str, Any], depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Bodies that the schema must refuse, each with its kind."""
    if schema.get("type") != "object" or depth > 2:
        return
    base = skeleton(schema)
    props: dict[str, Any] = schema.get("properties") or {}
    for req in schema.get("required") or []:
        yield "missing_required", {k: v for k, v in base.items() if k != req}
    if schema.get("additionalProperties") is False and not schema.get("patternProperties"):
        yield "unknown_field", {**base, "zz_unknown_field": 1}
    for name, sub in props.items():
        t = sub.get("type")
        if isinstance(t, str) and "enum" not in sub:
            for wrong in WRONG.get(t, [])[:2]:
                yield "wrong_type", {**base, name: wrong}
        if t == "string" or (isinstance(t, list) and "string" in t):
            if "maxLength" in sub:
                yield "oversize", {**base, name: LONG}
        if t == "integer" or (isinstance(t, list) and "integer" in t):
            # only where the schema bounds it: upstream's own schemas take 2**64 where they
            # declare no maximum (keystone's authorization_ttl, cinder's key_size)
            if "maximum" in sub:
                yield "huge_int", {**base, name: HUGE}
            if isinstance(sub.get("minimum"), int) and sub["minimum"] >= 0:
                yield "negative", {**base, name: -1}
        if t == "object":
            for kind, inner in schema_bodies(sub, depth + 1):
                yield kind, {**base, name: inner}


# services whose bodies are wrapped in the resource's key ({"server": {...}}): a wrong wrapped
# value must be refused there; Glance, Heat, Ironic, Placement and Cyborg take bare objects
WRAPPED = {"compute", "block-storage", "network"}
# routes whose body upstream reads only for optional keys: nova's floating IP create
# (`create(self, req, body=None)`, `pool` only if the body holds one)
# and Ironic's maintenance PUT (`reason` only)
BODY_IGNORED = {("compute", "POST", "/v2.1/os-floating-ips"), ("baremetal", "PUT", "/v1/nodes/{node_ident}/maintenance"),
                ("baremetal", "PUT", "/nodes/{node_ident}/maintenance")}
LEGIT: set[tuple[str, str, str, str]] = set()
# 5xx answers upstream gives too, kept on purpose (counted apart, never hidden): Cyborg raises
# DeviceProfileNameNeeded, a plain CyborgException (code 500), for an ARQ request with no profile name
UPSTREAM_5XX = {("accelerator", "POST", "/v2/accelerator_requests")}


def generic_bodies(service: str, template: str, method: str) -> Iterator[tuple[str, Any]]:
    """For a route without a declared schema: the shapes every such body must refuse."""
    key = wrapper_key(template)
    if method != "PATCH" or service != "baremetal":       # an empty JSON patch is a valid no-op
        yield "array_body", []
    yield "string_body", "x"
    yield "number_body", 12
    yield "null_body", None
    if service not in WRAPPED:
        return
    yield "wrapped_array", {key: []} if method != "PATCH" else [{"op": "frobnicate", "path": "/x"}]
    yield "wrapped_string", {key: "x"}
    yield "wrapped_number", {key: HUGE}
    yield "wrong_type", {key: {"name": ["x"], "id": {"x": 1}}}
    yield "oversize", {key: {"name": LONG}}
    yield "huge_int", {key: {"size": HUGE, "ram": HUGE, "vcpus": -1}}


RAW_BODIES = [("malformed_json", b'{"x": '), ("malformed_json", b"{'single': 'quotes'}"),
              ("invalid_utf8", b'{"name": "\xff\xfe\xfd"}'), ("malformed_json", b"\x00\x01\x02")]


def attacks(services: list[Any], target: Target, full: bool) -> list[Attack]:
    out: list[Attack] = []
    for service in services:
        tok = dict(target.tokens)
        if service.type == "baremetal":
            tok["admin"] = tok["system"]
        mv = service.microversions
        for prefix in service.prefixes[:1]:
            for r in service.routes:
                name = f"{r.method} {prefix}{r.path}"
                params = PARAM.findall(r.path)
                owned = [p for p in params if (service.type, p) in target.ids]
                url = prefix + fill(service.type, r.path, target.ids)
                sends_body = r.method in ("POST", "PUT", "PATCH")
                # PUTs of a name or an assignment, and Glance's actions, take no body: what is sent
                # there is attacked with alt's token, which must be refused whatever the body
                body_ignored = sends_body and ((r.body is None and (
                    (params and params[-1] in NAMEISH) or "/actions/" in r.path
                    or (service.type == "identity" and r.method == "PUT")))
                    or (service.type, r.method, r.path) in BODY_IGNORED)

                def add(kind: str, method: str = r.method, path: str = url, token: str | None = tok["demo"],
                        body: Any = ..., raw: bytes | None = None, headers: dict[str, str] | None = None,
                        name: str = name) -> None:
                    content = raw if raw is not None else (None if body is ... else json.dumps(body).encode())
                    h = dict(headers or {})
                    if content is not None:
                        h.setdefault("Content-Type", "application/json")
                    out.append(Attack(service.type, name, (service.type, r.method, r.path) in UPSTREAM_5XX,
                                      kind, method, path, token, content, h))

                # authentication: every route that needs a token
                if r.auth is True:
                    add("no_token", token=None, body={} if sends_body else ...)
                    add("bogus_token", token=BOGUS_TOKEN, body={} if sends_body else ...)
                # another project's token on demo's resources
                if owned and not (service.type == "identity" and r.path.startswith("/v3/auth")):
                    add("other_project", token=tok["alt"], body={} if sends_body else ...)
                    if sends_body and not r.raw_body:
                        add("other_project", token=tok["alt"], body={wrapper_key(r.path): {"name": "alt"}})
                # bad microversions, on this service's own header
                if mv is not None and r.auth is not False:
                    for bad in (BAD_VERSIONS if full else BAD_VERSIONS[:3]):
                        add("bad_microversion", headers={"OpenStack-API-Version": f"{mv.name} {bad}"},
                            body={} if sends_body else ...)
                    for legacy in mv.legacy:
                        add("bad_microversion", headers={legacy: "9.99"}, body={} if sends_body else ...)
                # bad ids in the path
                for p in params:
                    if sends_body and (p in NAMEISH or r.raw_body):
                        continue
                    if r.raw_body and r.method not in ("GET", "HEAD", "DELETE"):
                        continue
                    for bad in (BAD_IDS if full else BAD_IDS[:4]):
                        if p in NAMEISH and bad == BAD_IDS[-1]:
                            continue
                        path = prefix + fill(service.type, r.path, target.ids, {p: bad})
                        if r.method == "DELETE" and p in NAMEISH and bad in ("not-a-uuid", BAD_IDS[-1]):
                            continue   # deleting a (missing) key by name is still fine, but pointless
                        add("bad_id", path=path, body={} if sends_body else ...)
                        # Heat lets an admin name any tenant in the URL: it acts in its own
                        if full and sends_body and not (service.type == "orchestration" and p == "tenant_id"):
                            add("bad_id", path=path, token=tok["admin"], body={} if sends_body else ...)
                # bad queries on reads
                if r.method == "GET":
                    for q in (BAD_QUERIES if full else BAD_QUERIES[:5]):
                        add("bad_query", path=url + "?" + q)
                        if full:
                            add("bad_query", path=url + "?" + q, token=tok["admin"])
                # bodies
                if sends_body and not r.raw_body and not (body_ignored and not owned):
                    who = ["alt"] if body_ignored else (["demo", "admin"] if full else ["demo"])
                    for w in who:
                        for kind, raw in RAW_BODIES:
                            add(kind, token=tok[w], raw=raw)
                        bodies = list(schema_bodies(r.body)) if r.body else []
                        if r.body:
                            bodies += [("array_body", []), ("string_body", "x"), ("number_body", 12),
                                       ("null_body", None)]
                        else:
                            bodies += list(generic_bodies(service.type, r.path, r.method))
                        for kind, body in (bodies if full else bodies[:14]):
                            if (service.type, r.method, r.path, kind) in LEGIT:
                                continue
                            add(kind, token=tok[w], body=body)
    return out


# --- the walk ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    tried: int = 0
    by_status: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    by_kind: collections.Counter[str] = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)
    upstream_5xx: list[str] = field(default_factory=list)   # 500s the real service answers too
    tracebacks: list[str] = field(default_factory=list)
    bad_format: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)     # writes answered 2xx/3xx: listed
    accepted_reads: int = 0                                 # reads answered 2xx/3xx: counted
    cross_project_reads: list[str] = field(default_factory=list)   # alt's token read demo's resource
    transport_errors: list[str] = field(default_factory=list)
    state_changes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def send(client: httpx.Client, a: Attack, out: Outcome, lock: threading.Lock) -> None:
    headers = dict(a.headers)
    if a.token:
        headers["X-Auth-Token"] = a.token
    try:
        r = client.request(a.method, a.path, content=a.body, headers=headers)
        status, body = r.status_code, r.content
    except httpx.HTTPError as exc:
        with lock:
            out.tried += 1
            out.transport_errors.append(f"{a.kind} {a.method} {a.path[:120]}: {exc!r}")
        return
    who = next((k for k, v in TOKENS.items() if v == a.token), "none" if a.token is None else "bogus")
    line = f"{status} {a.kind} as {who} {a.route} [{a.method} {a.path[:140]}] {body[:200]!r}"
    with lock:
        out.tried += 1
        out.by_status[(a.service, status)] += 1
        out.by_kind[a.kind] += 1
        if status >= 500 and a.upstream_5xx and status == 500:
            out.upstream_5xx.append(line)
        elif status >= 500:
            out.server_errors.append(line)
        if traceback_in(body):
            out.tracebacks.append(line)
        if 200 <= status < 300 and a.method not in ("GET", "HEAD", "OPTIONS"):
            out.accepted.append(line)
        elif status < 400:
            out.accepted_reads += 1
            if a.kind == "other_project" and status < 300:
                out.cross_project_reads.append(line)
        elif status != 500 and not format_ok(a.service, status, body, a.method, a.path):
            out.bad_format.append(line)


def walk(url: str, todo: list[Attack], concurrency: int, out: Outcome) -> None:
    lock = threading.Lock()
    local = threading.local()

    def one(a: Attack) -> None:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=60)
        send(local.client, a, out, lock)
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, todo))


def token(url: str, clouds: dict[str, Any], name: str) -> str:
    auth = clouds[name]["auth"]
    scope: dict[str, Any] = ({"system": {"all": True}} if auth.get("system_scope") else
                             {"project": {"name": auth["project_name"], "domain": {"id": "default"}}})
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": auth["username"], "domain": {"id": "default"}, "password": auth["password"]}}},
        "scope": scope}}
    r = httpx.post(f"{url}/identity/v3/auth/tokens", json=body, timeout=60)
    r.raise_for_status()
    return r.headers["X-Subject-Token"]


def run(*, full: bool = False, limit: int | None = None, database_url: str | None = None,
        concurrency: int = 4, seed: int = 14, workdir: Path | None = None,
        only: set[str] | None = None) -> Outcome:
    from pocketstack import services
    import yaml
    tmp = Path(workdir or tempfile.mkdtemp(prefix="ps-bad-input-"))
    db_url = _fresh_postgres(database_url) if database_url else None
    cloud = start_cloud(tmp, db_url)
    out = Outcome()
    try:
        clouds = yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]
        tokens = {"admin": token(cloud.url, clouds, "devstack-admin"), "demo": token(cloud.url, clouds, "devstack"),
                  "alt": token(cloud.url, clouds, "devstack-alt"),
                  "system": token(cloud.url, clouds, "devstack-system-admin")}
        TOKENS.clear()
        TOKENS.update(tokens)
        target = make_resources(cloud.url, tokens)
        mounted = [s for s in services.load_all() if not only or s.type in only]
        todo = attacks(mounted, target, full)
        random.Random(seed).shuffle(todo)
        if limit is not None and len(todo) > limit:
            todo = todo[:limit]
        # deletes last, so a wrongly accepted one cannot hide the other routes' answers
        todo.sort(key=lambda a: a.method == "DELETE")
        time.sleep(1.0)                      # let jobs started by the fixtures settle
        state_url = db_url or f"sqlite:///{cloud.data_dir / 'pocketstack.db'}"
        before = {**db_snapshot(state_url), **{"blob:" + k: v for k, v in blob_snapshot(cloud.data_dir / "blobs").items()}}
        started = time.perf_counter()
        walk(cloud.url, todo, concurrency, out)
        out.seconds = time.perf_counter() - started
        time.sleep(1.0)
        after = {**db_snapshot(state_url), **{"blob:" + k: v for k, v in blob_snapshot(cloud.data_dir / "blobs").items()}}
        out.state_changes = state_diff(before, after)
        if cloud.process.poll() is not None:
            out.server_errors.append("the server exited during the walk")
    finally:
        stop_cloud(cloud)
        if db_url:
            _drop_postgres(db_url)
    log = (tmp / "server.log").read_text(errors="replace")
    out.tracebacks += [f"server log: {m}" for m in re.findall(r"unhandled error in [^\n]+", log)][:200]
    if workdir is None and not (out.server_errors or out.tracebacks or out.state_changes):
        shutil.rmtree(tmp, ignore_errors=True)      # kept, with server.log, when something was found
    return out


def report(out: Outcome, verbose: int = 40) -> str:
    lines = [f"requests tried: {out.tried} in {out.seconds:.0f} s ({out.tried / max(out.seconds, 1e-9):.0f}/s)",
             f"5xx answers: {len(out.server_errors)} (and {len(out.upstream_5xx)} where upstream answers 500 too)",
             f"tracebacks: {len(out.tracebacks)}",
             f"error bodies not in the service's format: {len(out.bad_format)}",
             f"accepted writes (2xx/3xx): {len(out.accepted)}", f"accepted reads: {out.accepted_reads}",
             f"reads of demo's resources with alt's token answered 2xx: {len(out.cross_project_reads)}",
             f"transport errors: {len(out.transport_errors)}",
             f"state changes: {len(out.state_changes)}", "", "per service and status:"]
    per: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for (svc, status), n in out.by_status.items():
        per[svc][status] += n
    for svc in sorted(per):
        lines.append(f"  {svc:14} {sum(per[svc].values()):6}  " +
                     " ".join(f"{s}:{n}" for s, n in sorted(per[svc].items())))
    lines.append("per attack: " + ", ".join(f"{k} {n}" for k, n in sorted(out.by_kind.items())))
    for title, items in (("5xx", out.server_errors), ("tracebacks", out.tracebacks),
                         ("state changes", out.state_changes), ("accepted", out.accepted),
                         ("cross-project reads", out.cross_project_reads),
                         ("bad format", out.bad_format), ("transport", out.transport_errors)):
        if items:
            lines.append(f"--- {title} (first {verbose}) ---")
            lines += sorted(set(items))[:verbose]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="every attack on every route (>= 50,000 requests)")
    ap.add_argument("--limit", type=int, default=None, help="send at most this many (a random sample)")
    ap.add_argument("--database-url", default=None, help="a PostgreSQL server; a fresh database is made on it")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--service", action="append", help="only these service types")
    ap.add_argument("--verbose", type=int, default=40, help="lines listed per finding kind")
    args = ap.parse_args()
    limit = args.limit if args.limit is not None else (None if args.full else 8000)
    out = run(full=args.full, limit=limit, database_url=args.database_url, concurrency=args.concurrency,
              only=set(args.service) if args.service else None)
    print(report(out, args.verbose))
    return 1 if out.server_errors or out.tracebacks or out.state_changes else 0


if __name__ == "__main__":
    sys.exit(main())

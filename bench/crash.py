#!/usr/bin/env python3
"""Crash safety, measured: a mixed load, SIGKILL at random moments, restart, check what survived.

    .venv/bin/python bench/crash.py                       # SQLite, 20 kills
    .venv/bin/python bench/crash.py --kills 5 --threads 3 --job-delay 0
    .venv/bin/python bench/crash.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

A few threads run a mixed load against a throwaway cloud (tests/conftest.py start_cloud): object
PUTs of random bytes, image creates and uploads, volume creates and snapshots, server builds and
actions, network/port creates and updates, stack creates. Meanwhile the server is killed with
SIGKILL after a random 1-6 s, N times (jobs wait --job-delay before they first run, so kills
find them pending or half-way), and restarted on the same data dir (and database).

A write counts as acknowledged when the server answered it 2xx. At the end, after jobs have had
`--settle` seconds to resume, it checks:
  - lost: an acknowledged object or image upload that is missing or not byte-exact; an
    acknowledged create (server, volume, snapshot, network, port, stack) that is gone; an
    acknowledged port rename that is not the port's name (unless a later, unanswered rename won);
  - half-written: an object or active image whose bytes do not match its own ETag/checksum;
  - stuck: a server, volume, snapshot, image or stack still in a transitional state.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_postgres, _fresh_postgres, free_port, start_cloud  # noqa: E402

TRANSITIONAL = {
    "server": {"BUILD", "REBOOT", "HARD_REBOOT", "RESIZE", "MIGRATING", "REBUILD", "PASSWORD"},
    "volume": {"creating", "deleting", "attaching", "detaching", "extending", "downloading", "uploading",
               "backing-up", "restoring-backup", "retyping", "reserved"},
    "snapshot": {"creating", "deleting", "restoring", "unmanaging"},
    "image": {"saving", "importing", "uploading", "deleting"},
    "stack": {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS",
              "SNAPSHOT_IN_PROGRESS", "SUSPEND_IN_PROGRESS", "RESUME_IN_PROGRESS", "CHECK_IN_PROGRESS"},
}


@dataclass
class Ledger:
    """What the server acknowledged (and what it was asked that it never answered)."""

    objects: dict[str, str] = field(default_factory=dict)        # name -> sha256 of acked bytes
    images: dict[str, str] = field(default_factory=dict)         # id -> sha256 of acked upload
    created: dict[str, set[str]] = field(default_factory=lambda: collections.defaultdict(set))
    port_names: dict[str, tuple[str, list[str]]] = field(default_factory=dict)   # id -> (acked, tried after)
    attempts: collections.Counter[str] = field(default_factory=collections.Counter)
    acks: collections.Counter[str] = field(default_factory=collections.Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, kind: str) -> None:
        with self.lock:
            self.acks[kind] += 1

    def tried(self, kind: str) -> None:
        with self.lock:
            self.attempts[kind] += 1


class Client:
    """httpx with a demo token that is fetched again after a 401 (or a restart)."""

    def __init__(self, url: str, clouds: dict[str, Any], cloud: str = "devstack") -> None:
        self.url, self.auth = url, clouds[cloud]["auth"]
        self.http = httpx.Client(base_url=url, timeout=30)
        self.token = ""
        self.project = ""

    def login(self) -> None:
        a = self.auth
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": a["username"], "domain": {"id": "default"}, "password": a["password"]}}},
            "scope": {"project": {"name": a["project_name"], "domain": {"id": "default"}}}}}
        r = self.http.post("/identity/v3/auth/tokens", json=body)
        r.raise_for_status()
        self.token = r.headers["X-Subject-Token"]
        self.project = r.json()["token"]["project"]["id"]

    def req(self, method: str, path: str, **kw: Any) -> httpx.Response:
        if not self.token:
            self.login()
        headers = {"X-Auth-Token": self.token, **kw.pop("headers", {})}
        r = self.http.request(method, path, headers=headers, **kw)
        if r.status_code == 401:
            self.login()
            headers["X-Auth-Token"] = self.token
            r = self.http.request(method, path, headers=headers, **kw)
        return r


class Load:
    def __init__(self, url: str, clouds: dict[str, Any], ledger: Ledger, seed: int) -> None:
        self.url, self.clouds, self.ledger = url, clouds, ledger
        self.rng = random.Random(seed)
        self.c = Client(url, clouds)
        self.stop = threading.Event()
        self.fixtures: dict[str, str] = {}

    # each op returns nothing; it records what was acknowledged
    def op_object(self) -> None:
        data = os.urandom(self.rng.choice([1, 4, 64, 256]) * 1024)
        name = f"o-{uuid.uuid4().hex[:12]}"
        self.ledger.tried("object_put")
        r = self.c.req("PUT", f"/object-store/v1/AUTH_{self.c.project}/crash/{name}", content=data)
        if r.status_code == 201:
            with self.ledger.lock:
                self.ledger.objects[name] = hashlib.sha256(data).hexdigest()
            self.ledger.ack("object_put")

    def op_image(self) -> None:
        self.ledger.tried("image_create")
        r = self.c.req("POST", "/image/v2/images", json={"name": "crash", "disk_format": "raw",
                                                            "container_format": "bare"})
        if r.status_code != 201:
            return
        image = r.json()["id"]
        self.ledger.ack("image_create")
        with self.ledger.lock:
            self.ledger.created["image"].add(image)
        data = os.urandom(self.rng.choice([64, 512, 2048]) * 1024)
        self.ledger.tried("image_upload")
        r = self.c.req("PUT", f"/image/v2/images/{image}/file", content=data,
                       headers={"Content-Type": "application/octet-stream"})
        if r.status_code == 204:
            with self.ledger.lock:
                self.ledger.images[image] = hashlib.sha256(data).hexdigest()
            self.ledger.ack("image_upload")

    def op_volume(self) -> None:
        p = f"/volume/v3/{self.c.project}"
        if self.rng.random() < 0.5 and self.ledger.created["volume"]:
            vol = self.rng.choice(sorted(self.ledger.created["volume"]))
            self.ledger.tried("snapshot_create")
            r = self.c.req("POST", f"{p}/snapshots", json={"snapshot": {"volume_id": vol, "force": True}})
            if r.status_code == 202:
                with self.ledger.lock:
                    self.ledger.created["snapshot"].add(r.json()["snapshot"]["id"])
                self.ledger.ack("snapshot_create")
            return
        self.ledger.tried("volume_create")
        r = self.c.req("POST", f"{p}/volumes", json={"volume": {"size": 1, "name": "crash"}})
        if r.status_code == 202:
            with self.ledger.lock:
                self.ledger.created["volume"].add(r.json()["volume"]["id"])
            self.ledger.ack("volume_create")

    def op_server(self) -> None:
        if self.rng.random() < 0.5 and self.ledger.created["server"]:
            server = self.rng.choice(sorted(self.ledger.created["server"]))
            action = self.rng.choice([{"reboot": {"type": "SOFT"}}, {"os-stop": None}, {"os-start": None}])
            self.ledger.tried("server_action")
            r = self.c.req("POST", f"/compute/v2.1/servers/{server}/action", json=action)
            if r.status_code == 202:
                self.ledger.ack("server_action")
            return
        self.ledger.tried("server_create")
        r = self.c.req("POST", "/compute/v2.1/servers", json={"server": {
            "name": "crash", "flavorRef": self.fixtures["flavor"], "imageRef": self.fixtures["image"],
            "networks": [{"uuid": self.fixtures["network"]}]}})
        if r.status_code == 202:
            with self.ledger.lock:
                self.ledger.created["server"].add(r.json()["server"]["id"])
            self.ledger.ack("server_create")

    def op_network(self) -> None:
        n = "/networking/v2.0"
        ports = sorted(self.ledger.port_names)
        if ports and self.rng.random() < 0.5:
            port = self.rng.choice(ports)
            name = f"p-{uuid.uuid4().hex[:8]}"
            with self.ledger.lock:
                acked, after = self.ledger.port_names[port]
                self.ledger.port_names[port] = (acked, [*after, name])
            self.ledger.tried("port_update")
            r = self.c.req("PUT", f"{n}/ports/{port}", json={"port": {"name": name}})
            if r.status_code == 200:
                with self.ledger.lock:
                    self.ledger.port_names[port] = (name, [])
                self.ledger.ack("port_update")
            return
        self.ledger.tried("port_create")
        r = self.c.req("POST", f"{n}/ports", json={"port": {"network_id": self.fixtures["network"], "name": "p0"}})
        if r.status_code == 201:
            port = r.json()["port"]["id"]
            with self.ledger.lock:
                self.ledger.created["port"].add(port)
                self.ledger.port_names[port] = ("p0", [])
            self.ledger.ack("port_create")

    def op_stack(self) -> None:
        self.ledger.tried("stack_create")
        name = f"s-{uuid.uuid4().hex[:8]}"
        r = self.c.req("POST", f"/heat-api/v1/{self.c.project}/stacks", json={"stack_name": name, "template": {
            "heat_template_version": "2018-08-31",
            "resources": {"a": {"type": "OS::Heat::RandomString"}, "b": {"type": "OS::Heat::None"}}}})
        if r.status_code == 201:
            with self.ledger.lock:
                self.ledger.created["stack"].add(r.json()["stack"]["id"])
            self.ledger.ack("stack_create")

    OPS = ("op_object", "op_object", "op_image", "op_volume", "op_server", "op_network", "op_stack")

    def run(self, up: threading.Event) -> None:
        while not self.stop.is_set():
            if not up.wait(1):
                continue
            op = getattr(self, self.rng.choice(self.OPS))
            try:
                op()
            except (httpx.HTTPError, KeyError, ValueError):
                time.sleep(0.05)            # the server is down or answered oddly: not acknowledged


def fixtures(c: Client) -> dict[str, str]:
    c.login()
    flavors = c.req("GET", "/compute/v2.1/flavors").json()["flavors"]
    images = c.req("GET", "/image/v2/images?status=active").json()["images"]
    net = c.req("POST", "/networking/v2.0/networks", json={"network": {"name": "crash"}}).json()["network"]
    r = c.req("POST", "/networking/v2.0/subnets", json={"subnet": {      # room for thousands of ports
        "network_id": net["id"], "cidr": "10.99.0.0/16", "ip_version": 4}})
    assert r.status_code == 201, r.text
    assert c.req("PUT", f"/object-store/v1/AUTH_{c.project}/crash").status_code in (201, 202)
    return {"flavor": next(f["id"] for f in flavors if f["name"] == "m1.nano"),
            "image": next(i["id"] for i in images if i["name"].startswith("cirros")),
            "network": net["id"]}


def unlimited(admin: Client, project: str) -> None:
    """No quota in the way of the load: servers, volumes, snapshots and ports unlimited for demo."""
    admin.login()
    for method, path, body in (
            ("PUT", f"/compute/v2.1/os-quota-sets/{project}", {"quota_set": {"instances": -1, "cores": -1, "ram": -1}}),
            ("PUT", f"/volume/v3/{admin.project}/os-quota-sets/{project}",
             {"quota_set": {"volumes": -1, "snapshots": -1, "gigabytes": -1}}),
            ("PUT", f"/networking/v2.0/quotas/{project}", {"quota": {"port": -1}})):
        r = admin.req(method, path, json=body)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])


def listing(c: Client, path: str, key: str) -> list[dict[str, Any]]:
    out, marker = [], None
    while True:
        sep = "&" if "?" in path else "?"
        r = c.req("GET", path + (f"{sep}marker={marker}" if marker else ""))
        r.raise_for_status()
        page = r.json()[key]
        out += page
        if not page or len(page) < 1000 and key != "objects":
            return out
        if key == "objects" and len(page) < 10000:
            return out
        marker = page[-1].get("id") or page[-1].get("name")


def states(c: Client) -> dict[str, dict[str, str]]:
    p = c.project
    return {
        "server": {s["id"]: s["status"] for s in listing(c, "/compute/v2.1/servers/detail?limit=1000", "servers")},
        "volume": {v["id"]: v["status"] for v in listing(c, f"/volume/v3/{p}/volumes/detail?limit=1000", "volumes")},
        "snapshot": {s["id"]: s["status"] for s in listing(c, f"/volume/v3/{p}/snapshots?limit=1000", "snapshots")},
        "image": {i["id"]: i["status"] for i in listing(c, "/image/v2/images?limit=1000", "images")},
        "stack": {s["id"]: s["stack_status"] for s in listing(c, f"/heat-api/v1/{p}/stacks?limit=1000", "stacks")},
        "port": {q["id"]: q["name"] for q in listing(c, "/networking/v2.0/ports?limit=1000", "ports")},
    }


@dataclass
class Result:
    kills: int = 0
    acks: collections.Counter[str] = field(default_factory=collections.Counter)
    attempts: collections.Counter[str] = field(default_factory=collections.Counter)
    lost: list[str] = field(default_factory=list)
    half_written: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    restart_seconds: list[float] = field(default_factory=list)
    settle_seconds: float = 0.0
    planted: list[str] = field(default_factory=list)
    workdir: str = ""


def plant_faults(blobs: Path, ledger: Ledger, rng: random.Random) -> list[str]:
    """--self-check: cut an acknowledged image's bytes and one stored object's in half on disk,
    behind the server's back, so the checker must report them."""
    planted = []
    images = sorted(ledger.images)
    if images:
        image = rng.choice(images)
        f = blobs / "image" / "file" / image
        if f.exists():
            f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
            planted.append(f"image {image}")
    objects = sorted(p for p in (blobs / "swift").rglob("*") if p.is_file() and p.stat().st_size > 1)
    if objects:
        f = rng.choice(objects)
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
        planted.append(f"swift blob {f.name}")
    return planted


class _Read:
    def __init__(self, status: int, content: bytes) -> None:
        self.status_code, self.content = status, content


def read(c: Client, path: str) -> _Read:
    """GET the bytes; a body cut short (Content-Length not met) counts as status 0."""
    try:
        r = c.req("GET", path)
        return _Read(r.status_code, r.content)
    except httpx.HTTPError:
        c.http = httpx.Client(base_url=c.url, timeout=30)
        return _Read(0, b"")


def verify(c: Client, ledger: Ledger, settle: float, result: Result) -> None:
    deadline = time.time() + settle
    while True:
        now = states(c)
        stuck = [f"{kind} {rid} {status}" for kind, rows in now.items() for rid, status in rows.items()
                 if status in TRANSITIONAL.get(kind, set())]
        if not stuck or time.time() > deadline:
            break
        time.sleep(2)
    result.settle_seconds = settle - max(0.0, deadline - time.time())
    result.stuck = stuck
    for kind, ids in ledger.created.items():
        if kind == "port":
            continue
        missing = ids - set(now[kind])
        result.lost += [f"{kind} {i} acknowledged but gone" for i in sorted(missing)]
    for port, (acked, after) in ledger.port_names.items():
        if port not in now["port"]:
            result.lost.append(f"port {port} acknowledged but gone")
        elif now["port"][port] not in (acked, *after):
            result.lost.append(f"port {port} name {now['port'][port]!r}, acknowledged {acked!r}")
    acct = f"/object-store/v1/AUTH_{c.project}/crash"
    listed = {o["name"]: o for o in c.req("GET", acct + "?format=json&limit=10000").json()}
    for name, digest in ledger.objects.items():
        r = read(c, f"{acct}/{name}")
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != digest:
            result.lost.append(f"object {name}: {r.status_code}, bytes {'differ' if r.status_code == 200 else 'missing'}")
    for name, meta in listed.items():                 # everything visible is whole
        if name in ledger.objects:
            continue
        r = read(c, f"{acct}/{name}")
        if r.status_code != 200 or hashlib.md5(r.content).hexdigest() != meta["hash"] or len(r.content) != meta["bytes"]:
            result.half_written.append(f"object {name}: listed {meta['bytes']} bytes {meta['hash']}, got {r.status_code} "
                                       f"{len(r.content)} bytes")
    images = {i["id"]: i for i in listing(c, "/image/v2/images?limit=1000", "images")}
    for image, digest in ledger.images.items():
        r = read(c, f"/image/v2/images/{image}/file")
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != digest:
            result.lost.append(f"image {image}: {r.status_code}, data {'differs' if r.status_code == 200 else 'missing'}")
    for image, meta in images.items():
        if image in ledger.images or meta["status"] != "active" or meta["id"] not in ledger.created["image"]:
            continue
        r = read(c, f"/image/v2/images/{image}/file")
        if r.status_code != 200 or hashlib.md5(r.content).hexdigest() != meta.get("checksum") or \
                len(r.content) != meta.get("size"):
            result.half_written.append(f"image {image}: active with size {meta.get('size')}, got {len(r.content)} bytes")


def run(*, kills: int = 20, threads: int = 3, database_url: str | None = None, settle: float = 90,
        seed: int = 14, min_gap: float = 1.0, max_gap: float = 6.0, workdir: Path | None = None,
        job_delay: float = 1.0, self_check: bool = False) -> Result:
    tmp = Path(workdir or tempfile.mkdtemp(prefix="ps-crash-"))
    db_url = _fresh_postgres(database_url) if database_url else None
    port = free_port()
    # jobs wait job_delay before they first run, so kills find builds, copies and stacks half-way
    options = {"jobs": {"start_delay": job_delay}}
    cloud = start_cloud(tmp, db_url, port=port, options=options)
    rng = random.Random(seed)
    ledger, result = Ledger(), Result()
    clouds = yaml.safe_load(cloud.clouds_yaml.read_text())["clouds"]
    up = threading.Event()
    loads = [Load(cloud.url, clouds, ledger, seed + i) for i in range(threads)]
    fx = fixtures(loads[0].c)
    unlimited(Client(cloud.url, clouds, "devstack-admin"), loads[0].c.project)
    for load in loads:
        load.fixtures = fx
    workers = [threading.Thread(target=load.run, args=(up,), daemon=True) for load in loads]
    up.set()
    for w in workers:
        w.start()
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(min_gap, max_gap))
            cloud.process.kill()                    # SIGKILL
            cloud.process.wait()
            up.clear()
            result.kills += 1
            started = time.time()
            cloud = start_cloud(tmp, db_url, port=port, options=options)
            result.restart_seconds.append(time.time() - started)
            up.set()
        time.sleep(rng.uniform(min_gap, max_gap))
    finally:
        for load in loads:
            load.stop.set()
        up.set()
        for w in workers:
            w.join(timeout=60)
    if self_check:
        result.planted = plant_faults(tmp / "data" / "blobs", ledger, rng)
    try:
        checker = Client(cloud.url, clouds)
        checker.login()
        verify(checker, ledger, settle, result)
    finally:
        cloud.process.terminate()
        try:
            cloud.process.wait(timeout=15)
        except Exception:  # noqa: BLE001
            cloud.process.kill()
        if db_url:
            _drop_postgres(db_url)
    result.acks, result.attempts = ledger.acks, ledger.attempts
    result.workdir = str(tmp)
    if workdir is None and not (result.lost or result.half_written or result.stuck):
        shutil.rmtree(tmp, ignore_errors=True)      # kept, with server.log, when something was found
    return result


def report(r: Result, verbose: int = 30) -> str:
    median = sorted(r.restart_seconds)[len(r.restart_seconds) // 2] if r.restart_seconds else 0.0
    lines = [f"kills: {r.kills} (restart to healthy: median {median:.1f} s)",
             f"writes tried: {sum(r.attempts.values())}, acknowledged: {sum(r.acks.values())}",
             "  " + ", ".join(f"{k} {r.acks[k]}/{r.attempts[k]}" for k in sorted(r.attempts)),
             f"writes lost: {len(r.lost)}", f"half-written visible: {len(r.half_written)}",
             f"stuck in a transitional state after {r.settle_seconds:.0f} s: {len(r.stuck)}"]
    if r.planted:
        lines.append(f"self-check: planted {len(r.planted)} faults ({', '.join(r.planted)}); "
                     f"reported lost + half-written: {len(r.lost) + len(r.half_written)}")
    if r.lost or r.half_written or r.stuck:
        lines.append(f"data dir and server.log kept in {r.workdir}")
    for title, items in (("lost", r.lost), ("half-written", r.half_written), ("stuck", r.stuck)):
        if items:
            lines.append(f"--- {title} ---")
            lines += items[:verbose]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--threads", type=int, default=3)
    ap.add_argument("--settle", type=float, default=90,
                    help="seconds jobs get to resume before 'stuck' counts (a killed job's lease is 60 s)")
    ap.add_argument("--job-delay", type=float, default=1.0, help="jobs.start_delay: seconds before a job first runs")
    ap.add_argument("--database-url", default=None, help="a PostgreSQL server; a fresh database is made on it")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--self-check", action="store_true",
                    help="cut an acknowledged image and a stored object in half on disk before checking: "
                         "the report must count them")
    args = ap.parse_args()
    kills = max(1, min(args.kills, 200))
    r = run(kills=kills, threads=args.threads, database_url=args.database_url, settle=args.settle, seed=args.seed,
            job_delay=args.job_delay, self_check=args.self_check)
    print(report(r))
    if args.self_check:
        return 0 if len(r.lost) + len(r.half_written) >= len(r.planted) else 1
    return 1 if r.lost or r.half_written or r.stuck else 0


if __name__ == "__main__":
    sys.exit(main())

"""`pocketstack conformance` against the real test cloud, plus stub Neutron/Cinder endpoints put in its catalog."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from pocketstack import conformance
from pocketstack.conformance import profile as profiles
from pocketstack.conformance.cinder import PREFIX
from pocketstack.conformance.report import Status

PS = [sys.executable, "-m", "pocketstack", "conformance", "--os-cloud", "pocketstack-admin"]
REMOVED = "trunk"   # a mandatory extension (seed and moselle) the stub Neutron leaves out


# --- profiles are data --------------------------------------------------------------
def test_profiles_carry_the_chapter_5_tables():
    seed, moselle = profiles.load("seed"), profiles.load("moselle")
    assert profiles.available() == ["moselle", "seed"]
    assert seed.service("identity").version == "3.10" and moselle.service("identity").version == "3.14"
    assert [m.value for m in seed.service("block-storage").microversions] == ["3.43"]
    assert [m.value for m in moselle.service("block-storage").microversions] == ["3.64"]
    assert [m.value for m in moselle.service("compute").microversions] == ["2.88"]
    assert [m.value for m in moselle.service("placement").microversions] == ["1.36"]
    assert [m.value for m in seed.service("baremetal").microversions] == ["1.25"]
    assert moselle.service("baremetal") is None and seed.service("placement") is None
    groups = {p.name: {g.group: g for g in p.features} for p in (seed, moselle)}
    cinder = {"backup", "clone", "manage_snapshot", "manage_volume", "snapshot", "volume_revert"}
    for name in ("seed", "moselle"):
        assert set(groups[name]["cinder-features"].mandatory) == cinder
    seed_ext, moselle_ext = groups["seed"]["neutron-extensions"], groups["moselle"]["neutron-extensions"]
    assert (len(seed_ext.mandatory), len(seed_ext.items())) == (59, 69)
    assert (len(moselle_ext.mandatory), len(moselle_ext.items())) == (51, 76)
    assert "network-segment-range" in seed_ext.optional      # the seed table has a stray non-breaking space
    assert len(groups["moselle"]["swift-capabilities"].mandatory) == 14


def test_unknown_profile_is_a_usage_error(cloud):
    proc = subprocess.run(PS + ["--profile", "nope"], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "unknown profile" in proc.stderr


# --- against pocketstack as it is -------------------------------------------------------
def _catalog_types(cloud) -> set[str]:
    """The catalog as keystone itself serves it, independently of the checker."""
    token = cloud.token("pocketstack-admin")
    r = httpx.get(f"{cloud.url}/identity/v3/auth/catalog", headers={"X-Auth-Token": token})
    r.raise_for_status()
    return {s["type"] for s in r.json()["catalog"] if s.get("endpoints")}


def test_identity_passes_and_absent_services_are_missing(cloud):
    report = conformance.run("pocketstack-admin", "seed")
    assert report.find("identity", "in catalog").status is Status.PASS
    version = report.find("identity", "API version")
    assert version.status is Status.PASS and "3.14" in version.found
    present = _catalog_types(cloud)
    for spec in profiles.load("seed").services:
        row = report.find(spec.type, "in catalog")
        if present & set(spec.catalog_types):
            assert row.status is Status.PASS, row
        else:
            assert row.status is Status.MISSING, row
            assert report.find(spec.type, "API version").status is Status.MISSING
    if not present & {"network"}:
        assert report.find("neutron-extensions", "address-scope").status is Status.MISSING
    if not present & {"block-storage", "volumev3", "volume"}:
        assert report.find("cinder-features", "backup").status is Status.MISSING
    if present & {"accelerator"}:   # Cyborg v2 replaced the v1 the seed names: "1.0 or later" holds
        assert report.find("accelerator", "API version").status is Status.PASS
    assert report.exit_code() == (1 if any(r.blocking for r in report.results) else 0)
    assert report.exit_code() == 0     # pocketstack has every service the seed marks mandatory
    assert report.find("orchestration", "in catalog").status is Status.PASS
    assert report.duration < 60


def test_moselle_identity_ceiling(cloud):
    report = conformance.run("pocketstack-admin", "moselle")
    assert report.find("identity", "API version").status is Status.PASS
    assert report.find("keystone-features", "project_tags").status is Status.PASS
    if "compute" not in _catalog_types(cloud):
        assert report.find("nova-features", "live_migration").status is Status.MISSING


def test_cli_json_and_junit(cloud, tmp_path):
    """Against pocketstack (every mandatory row met: exit 0) and against a profile that asks for a
    service this cloud lacks (Placement, in the moselle profile: exit 1 and a MISSING row)."""
    proc = subprocess.run(PS + ["--format", "json"], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rows = {(r["section"], r["requirement"]): r for r in data["results"]}
    assert rows[("identity", "API version")]["status"] == "PASS"
    assert rows[("orchestration", "in catalog")]["status"] == "PASS"
    assert data["passed"] is True and data["summary"]["mandatory_failed"] == 0
    out = tmp_path / "report.xml"
    proc = subprocess.run(PS + ["--format", "junit", "--output", str(out)], check=False, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "identity: API version" in proc.stdout and "CONFORMANT" in proc.stdout   # the table
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and int(root.get("failures")) == 0
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert cases[("ra1.identity", "API version")].find("failure") is None
    absent = [s.type for s in profiles.load("moselle").services if s.mandatory
              and not _catalog_types(cloud) & set(s.catalog_types)]
    if absent:
        proc = subprocess.run([*PS, "--profile", "moselle", "--format", "json"], check=False, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr
        rows = {(r["section"], r["requirement"]): r for r in json.loads(proc.stdout)["results"]}
        assert rows[(absent[0], "in catalog")]["status"] == "MISSING"


# --- stub services registered in the catalog ----------------------------------------------
class Stub(BaseHTTPRequestHandler):
    """Neutron at /network (extensions list) and Cinder at /volume/v3/<project> (in-memory resources)."""
    extensions: ClassVar[list[str]] = []
    store: ClassVar[dict[str, dict[str, dict[str, Any]]]] = {}
    delay: ClassVar[float] = 0.0          # seconds every transitional status lasts
    posts: ClassVar[list[str]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n)) if n else {}

    def _base(self) -> str:
        return f"http://{self.headers['Host']}"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/")
        if path == "/network":
            return self._send(200, {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
                {"rel": "self", "href": f"{self._base()}/network/v2.0/"}]}]})
        if path == "/network/v2.0/extensions":
            return self._send(200, {"extensions": [{"alias": a, "name": a} for a in self.extensions]})
        if path == "/volume":
            return self._send(300, {"versions": [{"id": "v3.0", "status": "CURRENT", "min_version": "3.0",
                                                  "version": "3.70", "links": [
                                                      {"rel": "self", "href": f"{self._base()}/volume/v3/"}]}]})
        parts = path.split("/")[4:]   # /volume/v3/<project>/...
        if parts and parts[0].startswith("manageable_") and parse_qs(url.query).get("host"):
            return self._send(200, {parts[0].replace("_", "-"): []})
        if len(parts) == 2 and parts[0] in self.store and parts[1] == "detail":
            return self._send(200, {parts[0]: [self._settle(o) for o in self.store[parts[0]].values()]})
        if len(parts) == 2 and parts[0] in self.store:
            obj = self.store[parts[0]].get(parts[1])
            return self._send(404) if obj is None else self._send(200, {parts[0][:-1]: self._settle(obj)})
        self._send(404, {"error": path})

    def _settle(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj["status"] != "available" and time.monotonic() >= obj["_until"]:
            obj["status"] = "available"
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _new(self, coll: str, spec: dict[str, Any]) -> dict[str, Any]:
        obj = {**spec, "id": uuid.uuid4().hex, "status": "creating", "_until": time.monotonic() + self.delay,
               "os-vol-host-attr:host": "stub@lvm#pool"}
        self.store[coll][obj["id"]] = obj
        return obj

    def do_POST(self) -> None:
        parts = urlsplit(self.path).path.rstrip("/").split("/")[4:]
        body = self._body()
        self.posts.append("/".join(parts))
        if len(parts) == 1 and parts[0] in self.store:
            return self._send(202, {parts[0][:-1]: self._settle(self._new(parts[0], body[parts[0][:-1]]))})
        if len(parts) == 3 and parts[2] == "action" and "revert" in body:
            vol = self.store["volumes"][parts[1]]
            ok = "volume 3.40" in self.headers.get("OpenStack-API-Version", "")
            vol.update(status="reverting", _until=time.monotonic() + self.delay)
            return self._send(202 if ok else 404)
        self._send(404)

    def do_DELETE(self) -> None:
        coll, oid = urlsplit(self.path).path.rstrip("/").split("/")[4:6]
        if oid not in self.store.get(coll, {}):
            return self._send(404)
        if coll == "volumes" and any(s["volume_id"] == oid for s in self.store["snapshots"].values()):
            return self._send(400, {"badRequest": {"message": "volume has snapshots"}})
        del self.store[coll][oid]
        self._send(202)


@pytest.fixture()
def stub(cloud, admin_token, tmp_path, monkeypatch) -> Iterator[dict[str, Any]]:
    """The stub server as network + block-storage endpoints of a region of its own (so real services of the
    test cloud never mix in), reached through the clouds.yaml entry `conformance-stub`; all removed after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    Stub.extensions = [n for g in profiles.load("seed").features + profiles.load("moselle").features
                       if g.group == "neutron-extensions" for n, _ in g.items() if n != REMOVED]
    Stub.store, Stub.delay, Stub.posts = {"volumes": {}, "snapshots": {}, "backups": {}}, 0.2, []
    api, headers = f"{cloud.url}/identity/v3", {"X-Auth-Token": admin_token}
    project = httpx.get(f"{api}/auth/tokens",
                        headers={**headers, "X-Subject-Token": admin_token}).json()["token"]["project"]["id"]
    region = f"conformance-stub-{uuid.uuid4().hex[:6]}"
    services: list[str] = []
    made_region = False

    def need(r: httpx.Response, what: str) -> dict[str, Any]:
        if r.status_code != 201:
            pytest.xfail(f"{what} not available in pocketstack yet ({r.status_code}: {r.text[:150]})")
        return r.json()

    try:
        need(httpx.post(f"{api}/regions", headers=headers, json={"region": {"id": region}}), "POST /v3/regions")
        made_region = True
        for stype, url in (("network", f"{base}/network"), ("block-storage", f"{base}/volume/v3/{project}")):
            body = need(httpx.post(f"{api}/services", headers=headers,
                                   json={"service": {"type": stype, "name": f"stub-{stype}"}}), "POST /v3/services")
            services.append(body["service"]["id"])
            need(httpx.post(f"{api}/endpoints", headers=headers, json={"endpoint": {
                "service_id": services[-1], "interface": "public", "region_id": region, "url": url}}),
                "POST /v3/endpoints")
        clouds = cloud.clouds()
        clouds["conformance-stub"] = {**clouds["pocketstack-admin"], "region_name": region}
        config = tmp_path / "clouds.yaml"
        config.write_text(yaml.safe_dump({"clouds": clouds}))
        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(config))
        yield {"base": base, "store": Stub.store}
    finally:
        for sid in services:
            for ep in httpx.get(f"{api}/endpoints", headers=headers,
                                params={"service_id": sid}).json().get("endpoints", []):
                httpx.delete(f"{api}/endpoints/{ep['id']}", headers=headers)
            httpx.delete(f"{api}/services/{sid}", headers=headers)
        if made_region:
            httpx.delete(f"{api}/regions/{region}", headers=headers)
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", ["seed", "moselle"])
def test_removed_neutron_extension_fails(stub, name):
    report = conformance.run("conformance-stub", name)
    assert report.find("network", "in catalog").status is Status.PASS
    assert report.find("network", "API version").status is Status.PASS
    ext = [r for r in report.results if r.section == "neutron-extensions"]
    assert [r.requirement for r in ext if r.status is not Status.PASS] == [REMOVED]
    assert next(r for r in ext if r.requirement == REMOVED).blocking


def test_cinder_features_probed_and_cleaned_up(stub):
    store = stub["store"]
    old = {"id": "leftover", "name": f"{PREFIX}old-base", "status": "available", "_until": 0}
    keep = {"id": "keep", "name": "somebody-elses", "status": "available", "_until": 0}
    store["volumes"].update(leftover=old, keep=keep)
    report = conformance.run("conformance-stub", "seed")
    rows = {r.requirement: r for r in report.results if r.section == "cinder-features"}
    for feature in ("backup", "clone", "manage_snapshot", "manage_volume", "snapshot", "volume_revert"):
        assert rows[feature].status is Status.PASS, (feature, rows[feature])
    assert rows["consistency_group"].status is Status.SKIP
    assert report.find("block-storage", "microversion 3.43").status is Status.PASS
    assert report.find("cleanup", "sweep leftovers").found == "1 removed"
    assert report.find("cleanup", "remove test resources").status is Status.PASS
    assert list(store["volumes"]) == ["keep"] and not store["snapshots"] and not store["backups"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_cleans_up(stub, cloud, signum):
    Stub.delay = 30.0   # the base volume never becomes available during the test
    cmd = [sys.executable, "-m", "pocketstack", "conformance", "--os-cloud", "conformance-stub"]
    proc = subprocess.Popen(cmd + ["--format", "json", "--wait-timeout", "5"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    deadline = time.monotonic() + 60
    while "volumes" not in Stub.posts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stub["store"]["volumes"], "the run never created its volume"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert json.loads(out)["interrupted"] is True
    assert not stub["store"]["volumes"] and not stub["store"]["snapshots"]

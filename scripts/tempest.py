#!/usr/bin/env python3
"""Run upstream Tempest 47.0.0 (and its plugins) against pocketstack.

One command from a fresh clone::

    python3 scripts/tempest.py --service identity
    python3 scripts/tempest.py --list ../shared/conformance/tempest47-identity.txt
    python3 scripts/tempest.py --regex 'tempest\\.api\\.identity'
    python3 scripts/tempest.py --baseline
    python3 scripts/tempest.py --url http://127.0.0.1:5000 --admin-password PW --service image

What it does:

1. creates (or reuses) a virtualenv with Tempest and the plugins at
   ~/.cache/pocketstack/tempest-47.0.0;
2. starts ``pocketstack serve`` on a free port with a fresh data directory
   (or uses ``--url``) and waits for ``/healthcheck``;
3. writes ``tempest.conf`` from what the running cloud shows (catalog, version
   documents, images, flavors, networks, extensions);
4. runs the selection with ``tempest run``;
5. reads the subunit stream, prints a table per service, writes ``--json`` and
   ``--write-passing``; with ``--baseline`` exits 1 when a baseline test did
   not pass;
6. stops the server it started (SIGTERM to its PID) and removes the temporary
   files, also on Ctrl-C.

Only the standard library is needed (PyYAML is not required).
"""

import argparse
import collections
import configparser
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "tests" / "conformance" / "baseline.txt"
CACHE = Path(os.environ.get("POCKETSTACK_CACHE",
                            Path.home() / ".cache" / "pocketstack"))

TEMPEST_VERSION = "47.0.0"
REQUIREMENTS = [
    "tempest==47.0.0",
    "keystone-tempest-plugin==0.22.0",
    "neutron-tempest-plugin==3.3.0",
    "cinder-tempest-plugin==1.23.0",
    "glance-tempest-plugin==0.17.0",
    "heat-tempest-plugin==3.0.0",
    "ironic-tempest-plugin==3.2.0",
    "cyborg-tempest-plugin==2.8.0",
]
# A combination known to install without conflicts and to discover every
# test of the plugins with no import error (pip check clean, Python 3.11).
# Used as pip constraints; if they cannot be met (another Python version), the
# install is retried without them.
CONSTRAINTS = """
alembic==1.20.1 amqp==5.4.2 anyio==4.16.0 attrs==26.1.0 autopage==0.6.0
bcrypt==5.0.0 cachetools==8.0.2 certifi==2026.10.19.post1 cffi==2.1.1
charset-normalizer==3.5.3 cliff==4.17.0 cmd2==4.3.1 colorama==0.4.6
cryptography==50.0.2 ddt==1.7.2 debtcollector==3.1.0 decorator==5.3.1
defusedxml==0.7.1 dnspython==2.9.2 dogpile.cache==1.5.0 eventlet==0.41.3
fasteners==0.20 fixtures==4.3.2 futurist==3.5.0 gabbi==4.2.3
gnocchiclient==7.2.0 greenlet==3.5.6 h11==0.16.0 h2==4.4.1 hpack==4.2.0
httpcore==1.0.9 httpx==0.28.1 hyperframe==6.1.0 idna==3.20 iniconfig==2.3.1
invoke==3.0.3 iso8601==2.1.0 Jinja2==3.1.6 jmespath==1.1.0 jsonpatch==1.48
jsonpath-ng==1.16.0 jsonpointer==3.12 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 keystoneauth1==5.18.1 kombu==5.7.0
lxml==6.1.3 Mako==1.4.3 markdown-it-py==4.3.0 MarkupSafe==3.0.4 mdurl==0.1.2
msgpack==1.2.4 ncclient==0.7.1 netaddr==1.3.0 neutron-lib==5.0.1
openstacksdk==4.22.0 os-collect-config==14.1.0 os-ken==4.2.2
os-service-types==1.9.0 os-traits==3.9.0 osc-lib==4.7.0
oslo.concurrency==7.6.1 oslo.config==10.7.0 oslo.context==6.5.0
oslo.db==18.1.1 oslo.i18n==6.9.0 oslo.log==8.3.2 oslo.messaging==18.3.1
oslo.metrics==0.17.0 oslo.middleware==8.2.0 oslo.policy==6.0.1
oslo.serialization==5.11.0 oslo.service==4.8.0 oslo.utils==10.2.0
oslo.versionedobjects==3.12.0 osprofiler==4.4.0 ovs==4.0.0 packaging==26.4
paramiko==5.1.0 Paste==3.10.1 PasteDeploy==3.1.0 pbr==7.1.3 pecan==1.8.0
platformdirs==4.14.8 pluggy==1.7.0 prettytable==3.18.0
prometheus_client==0.26.0 prompt_toolkit==3.0.53 psutil==7.2.2
pycparser==3.12 Pygments==2.21.0 PyNaCl==1.6.2 pyparsing==3.3.3
pyperclip==1.11.0 pytest==9.2.0 python-cinderclient==9.10.0
python-dateutil==4.0.0 python-heatclient==5.3.0 python-keystoneclient==6.0.0
python-neutronclient==14.0.0 python-novaclient==18.13.1
python-subunit==1.4.6 python-swiftclient==4.11.0 python-zaqarclient==4.7.0
PyYAML==6.0.4 referencing==0.37.0 repoze-lru==0.8 requests==2.34.2
rfc3986==2.0.0 rich==15.0.0 rich-argparse==1.8.0 Routes==2.5.1
rpds-py==2026.9.1 setproctitle==1.3.8 six==1.17.0 sortedcontainers==2.4.0
SQLAlchemy==2.1.9 statsd==4.0.1 stestr==4.2.1 stevedore==5.10.0
tenacity==9.2.1 testresources==2.1.2 testscenarios==0.7.0 testtools==2.9.1
tomlkit==0.15.2 typing_extensions==4.16.0 tzdata==2026.6 ujson==6.1.0
urllib3==2.8.0 vine==5.1.0 voluptuous==0.16.0 wcwidth==0.9.4 WebOb==1.8.11
wrapt==2.5.2 yappi==1.7.6
""".split()

# --service NAME -> regex over the test ids. Each one reproduces exactly the
# matching ../shared/conformance/tempest47-NAME.txt list.
SERVICES = {
    "identity": r"^tempest\.api\.identity\.|^keystone_tempest_plugin\.tests\.api\.",
    "identity-rbac": r"^keystone_tempest_plugin\.tests\.rbac\.",
    "compute": r"^tempest\.api\.compute\.|^tempest\.serial_tests\.api\.compute\.",
    "image": r"^tempest\.api\.image\.",
    "image-rbac": r"^glance_tempest_plugin\.tests\.rbac\.",
    "volume": r"^tempest\.api\.volume\.|^cinder_tempest_plugin\.api\.volume\.",
    "volume-rbac": r"^cinder_tempest_plugin\.rbac\.",
    "object_storage": r"^tempest\.api\.object_storage\.",
    "network": r"^tempest\.api\.network\.|^neutron_tempest_plugin\.api\.",
    "network-stadium": (r"^neutron_tempest_plugin\.(bgpvpn|fwaas|neutron_dynamic_routing"
                        r"|sfc|tap_as_a_service|vpnaas)\.(api|tests\.api)\."),
    "orchestration": r"^heat_tempest_plugin\.tests\.api\.",
    "orchestration-functional": r"^heat_tempest_plugin\.tests\.functional\.",
    "baremetal": r"^ironic_tempest_plugin\.tests\.api\.",
    "accelerator": r"^cyborg_tempest_plugin\.tests\.api\.",
}
SERVICE_ALIASES = {
    "keystone": "identity", "nova": "compute", "glance": "image",
    "cinder": "volume", "block-storage": "volume", "volumev3": "volume",
    "swift": "object_storage", "object-store": "object_storage",
    "object-storage": "object_storage", "neutron": "network",
    "heat": "orchestration", "ironic": "baremetal", "cyborg": "accelerator",
}

# [service_available] option -> catalog service types that enable it.
SERVICE_TYPES = {
    "nova": ("compute",),
    "glance": ("image",),
    "cinder": ("block-storage", "volumev3"),
    "swift": ("object-store",),
    "neutron": ("network",),
    "heat": ("orchestration",),
    "ironic": ("baremetal",),
    "cyborg": ("accelerator",),
}

# Keystone settings the server is started with; tempest.conf must agree.
SECURITY_COMPLIANCE = {
    "lockout_failure_attempts": 2,
    "lockout_duration": 5,
    "unique_last_password_count": 2,
    "minimum_password_age": 0,
}

# From ../shared/conformance/rc1-tempest_conf.yaml (the settings RC1 certifies
# with), minus what is discovered from the cloud instead (microversions,
# extensions) and minus what needs real guests (validation.*) or a specific
# storage backend (volume.storage_protocol).
RC1_OVERLAY = {
    "compute-feature-enabled": {
        "attach_encrypted_volume": "false",
        "block_migration_for_live_migration": "false",
        "block_migrate_cinder_iscsi": "false",
        "change_password": "false",
        "cold_migration": "true",
        "config_drive": "true",
        "console_output": "true",
        "disk_config": "true",
        "enable_instance_password": "true",
        "interface_attach": "true",
        "live_migrate_back_and_forth": "false",
        "metadata_service": "true",
        "pause": "true",
        "personality": "false",
        "rdp_console": "false",
        "rescue": "true",
        "resize": "true",
        "scheduler_available_filters": (
            "AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,"
            "ImagePropertiesFilter,ServerGroupAntiAffinityFilter,"
            "ServerGroupAffinityFilter,SameHostFilter,DifferentHostFilter"),
        "serial_console": "false",
        "shelve": "true",
        "snapshot": "true",
        "spice_console": "false",
        "suspend": "true",
        "swap_volume": "false",
        "vnc_console": "true",
        "volume_backed_live_migration": "false",
        "volume_multiattach": "false",
    },
    "image-feature-enabled": {
        "api_v2": "true",
        "api_v1": "false",
        "import_image": "false",
    },
    "network-feature-enabled": {
        "port_admin_state_change": "true",
        "port_security": "true",
    },
    "volume": {
        "manage_volume_ref": "source-name,volume-%s",
        "manage_snapshot_ref": "source-name,snapshot-%s",
    },
    "volume-feature-enabled": {
        "multi_backend": "false",
        "backup": "true",
        "snapshot": "true",
        "clone": "true",
        "manage_snapshot": "true",
        "manage_volume": "true",
        "extend_attached_volume": "true",
        "extend_attached_encrypted_volume": "false",
        "consistency_group": "false",
        "volume_revert": "true",
    },
    "neutron_plugin_options": {
        "agent_availability_zone": "nova",
        "available_type_drivers": "flat,geneve,vlan,gre,local,vxlan",
        "provider_vlans": "public,",
        "create_shared_resources": "true",
    },
    "object-storage-feature-enabled": {
        "object_versioning": "true",
        "discoverability": "true",
    },
    "heat_plugin": {
        "skip_functional_test_list": "EncryptionVolTypeTest",
        "skip_scenario_test_list": (
            "AodhAlarmTest,SoftwareConfigIntegrationTest,"
            "VolumeBackupRestoreIntegrationTest,CfnInitIntegrationTest,"
            "LoadBalancerTest"),
        "auth_version": "3",
    },
    "heat_features_enabled": {
        "multi_cloud": "false",
    },
}

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

ATTRS_RE = re.compile(r"\[[^\]]*\]$")
CLASS_FIXTURE_RE = re.compile(r"^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((.+)\)$")


def log(msg):
    print(f"[tempest.py] {msg}", file=sys.stderr, flush=True)


def die(msg, code=2):
    log(f"error: {msg}")
    raise SystemExit(code)


def base_name(test_id):
    """Test id without its ``[id-...,smoke]`` attribute suffix."""
    return ATTRS_RE.sub("", test_id.strip())


def read_id_file(path):
    ids = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


def include_list_line(test_id):
    """One line of tempest's --include-list (a regex, searched in each id).

    The ids carry ``[id-<uuid>,attr,...]``; the attributes depend on the
    configuration (``slow`` appears or not), so the line matches the name
    only, anchored, with an optional attribute suffix.
    """
    return "^" + re.escape(base_name(test_id)) + r"(\[.*\])?$"


def service_of(test_id):
    """Group for the summary table: segment after tempest.api., else plugin."""
    parts = test_id.split(".")
    if parts[0] == "tempest":
        if len(parts) > 2 and parts[1] == "api":
            return parts[2]
        if len(parts) > 3 and parts[1] == "serial_tests" and parts[2] == "api":
            return parts[3]
        return "tempest." + parts[1] if len(parts) > 1 else "tempest"
    return parts[0]


# --------------------------------------------------------------------------
# virtualenv


def ensure_venv(venv, recreate=False):
    venv = Path(venv)
    marker = venv / ".pocketstack-ready"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    tempest_bin = venv / "bin" / "tempest"
    if (not recreate and marker.exists() and marker.read_text() == wanted
            and tempest_bin.exists()):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    lock_path = venv.parent / (venv.name + ".lock")
    import fcntl
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (not recreate and marker.exists() and marker.read_text() == wanted
                and tempest_bin.exists()):
            return venv
        if venv.exists():
            log(f"removing incomplete or outdated venv {venv}")
            shutil.rmtree(venv)
        log(f"creating venv {venv} (a few minutes)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run(pip + ["install", "-q", "--upgrade", "pip", "setuptools", "wheel"],
                       check=True, stdout=sys.stderr)
        constraints = venv / "constraints.txt"
        constraints.write_text("\n".join(CONSTRAINTS) + "\n")
        rc = subprocess.run(pip + ["install", "-q", "-c", str(constraints)] + REQUIREMENTS,
                            stdout=sys.stderr).returncode
        if rc != 0:
            log("install with pinned constraints failed; retrying without them")
            rc = subprocess.run(pip + ["install", "-q"] + REQUIREMENTS, stdout=sys.stderr).returncode
            if rc != 0:
                die("pip install of tempest and plugins failed")
        subprocess.run(pip + ["check"], check=False, stdout=sys.stderr)
        check = subprocess.run(
            [str(venv / "bin" / "python"), "-c",
             "import tempest, keystone_tempest_plugin, neutron_tempest_plugin, "
             "cinder_tempest_plugin, glance_tempest_plugin, heat_tempest_plugin, "
             "ironic_tempest_plugin, cyborg_tempest_plugin, subunit, testtools"],
            stdout=sys.stderr)
        if check.returncode != 0:
            die("tempest venv does not import its plugins")
        marker.write_text(wanted)
        log(f"venv ready: {venv}")
    return venv


# --------------------------------------------------------------------------
# HTTP


class HTTPResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode() or "null")
        except (ValueError, UnicodeDecodeError):
            return None


def http(method, url, token=None, body=None, headers=None, timeout=30):
    hdrs = {"Accept": "application/json"}
    if token:
        hdrs["X-Auth-Token"] = token
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return HTTPResult(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as e:
        return HTTPResult(e.code, e.headers, e.read() or b"")
    except (urllib.error.URLError, OSError) as e:
        return HTTPResult(0, {}, str(e).encode())


# --------------------------------------------------------------------------
# the server


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_config_text(hash_rounds=None):
    lines = ["# written by scripts/tempest.py", "identity:"]
    if hash_rounds:
        # bcrypt cost 12 (keystone's default) makes every token and user
        # request take ~1 s on 2 cores; the tests check behaviour, not cost
        lines.append(f"  password_hash_rounds: {hash_rounds}")
    lines.append("  security_compliance:")
    for k, v in SECURITY_COMPLIANCE.items():
        lines.append(f"    {k}: {v}")
    return "\n".join(lines) + "\n"


class Server:
    def __init__(self, cmd_prefix, workdir, password, port, timeout, config=None,
                 hash_rounds=None):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.data_dir = workdir / "data"
        if self.data_dir.exists():  # a reused --workdir: start fresh
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir()
        if config:
            self.config = Path(config).resolve()
        else:
            self.config = workdir / "pocketstack.yaml"
            self.config.write_text(server_config_text(hash_rounds))
        self.log_path = workdir / "server.log"
        self.cmd = cmd_prefix + [
            "serve", "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", str(self.data_dir), "--admin-password", password,
            "--config", str(self.config)]
        self.timeout = timeout
        self.proc = None

    def start(self):
        shown = [("***" if i > 0 and self.cmd[i - 1] == "--admin-password" else c)
                 for i, c in enumerate(self.cmd)]
        log("starting: " + " ".join(shlex.quote(c) for c in shown))
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log_file,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log_file.flush()
                die(f"pocketstack exited with {self.proc.returncode} before it was "
                    f"healthy; last lines of {self.log_path}:\n{self.tail()}")
            r = http("GET", self.url + "/healthcheck", timeout=5)
            if r.status == 200:
                log(f"pocketstack healthy at {self.url} (pid {self.proc.pid})")
                return
            time.sleep(0.5)
        die(f"pocketstack did not answer 200 on /healthcheck within {self.timeout}s; "
            f"last lines of {self.log_path}:\n{self.tail()}")

    def tail(self, n=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        log(f"stopping pocketstack (pid {self.proc.pid})")
        # The server runs in its own session; its process group id is its pid,
        # so this reaches only what it started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.log_file.close()


# --------------------------------------------------------------------------
# discovery and tempest.conf


def identity_uri(url):
    url = url.rstrip("/")
    if url.endswith("/v3"):
        return url
    for cand in (url + "/identity/v3", url + "/v3"):
        r = http("GET", cand, timeout=10)
        if r.status == 200:
            return cand
    return url + "/identity/v3"


class Cloud:
    """What tempest.conf is computed from."""

    def __init__(self, uri_v3, password, region="RegionOne"):
        self.uri_v3 = uri_v3
        self.password = password
        self.region = region
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
        r = http("POST", uri_v3 + "/auth/tokens", body=body)
        if r.status != 201:
            die(f"admin token request to {uri_v3}/auth/tokens answered {r.status}: "
                f"{r.body[:500]!r}")
        self.token = r.headers.get("X-Subject-Token")
        tok = (r.json() or {}).get("token", {})
        self.project_id = (tok.get("project") or {}).get("id")
        self.catalog = tok.get("catalog") or []
        self.endpoints = {}
        for svc in self.catalog:
            eps = svc.get("endpoints") or []
            pick = None
            for ep in eps:
                if ep.get("interface") == "public" and ep.get("region", ep.get("region_id")) == region:
                    pick = ep
                    break
            if pick is None:
                pick = next((ep for ep in eps if ep.get("interface") == "public"),
                            eps[0] if eps else None)
            if pick and svc.get("type"):
                self.endpoints.setdefault(svc["type"], pick["url"].rstrip("/"))

    def has(self, *types):
        return any(t in self.endpoints for t in types)

    def get(self, url, **kw):
        return http("GET", url, token=self.token, **kw)


def parse_version_doc(doc):
    """(min, max) microversion from a version document, or None."""
    if not isinstance(doc, dict):
        return None
    cands = []
    if isinstance(doc.get("version"), dict):
        cands.append(doc["version"])
    vs = doc.get("versions")
    if isinstance(vs, dict):
        vs = vs.get("values")
    if isinstance(vs, list):
        cands.extend(v for v in vs if isinstance(v, dict))
    if isinstance(doc.get("default_version"), dict):
        cands.append(doc["default_version"])
    found = []
    for c in cands:
        mx = c.get("version") or c.get("max_version")
        mn = c.get("min_version")
        if mx and mn:
            rank = {"CURRENT": 0, "SUPPORTED": 1}.get(str(c.get("status", "")).upper(), 2)
            found.append((rank, str(mn), str(mx)))
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    return found[0][1], found[0][2]


def microversions(cloud, stype):
    url = cloud.endpoints.get(stype)
    if not url:
        return None
    url = re.sub(r"/(AUTH_)?[0-9a-fA-F]{32}$", "", url)
    url = re.sub(r"/(AUTH_)?\$\(project_id\)s$", "", url)
    url = re.sub(r"/(AUTH_)?%\(project_id\)s$", "", url)
    tried = [url]
    parent = url.rsplit("/", 1)[0]
    if parent.startswith("http") and parent.count("/") >= 2 and parent not in tried:
        tried.append(parent)
    for u in tried:
        r = cloud.get(u + "/", timeout=10)
        if r.status in (200, 300):
            mv = parse_version_doc(r.json())
            if mv:
                return mv
    return None


def network_url(cloud):
    url = cloud.endpoints.get("network")
    if not url:
        return None
    return url if re.search(r"/v2\.0$", url) else url + "/v2.0"


def discover(cloud, cfg, notes):
    def setopt(section, key, value):
        if section != "DEFAULT" and not cfg.has_section(section):
            cfg.add_section(section)
        cfg.set(section, key, str(value))

    # microversions
    for stype, section in (("compute", "compute"), ("placement", "placement"),
                           ("baremetal", "baremetal")):
        mv = microversions(cloud, stype)
        if mv:
            setopt(section, "min_microversion", mv[0])
            setopt(section, "max_microversion", mv[1])
            notes.append(f"{stype} microversions {mv[0]}..{mv[1]}")
    vtype = next((t for t in ("block-storage", "volumev3") if t in cloud.endpoints), None)
    if vtype:
        setopt("volume", "catalog_type", vtype)
        mv = microversions(cloud, vtype)
        if mv:
            setopt("volume", "min_microversion", mv[0])
            setopt("volume", "max_microversion", mv[1])
            notes.append(f"volume ({vtype}) microversions {mv[0]}..{mv[1]}")

    # images
    if cloud.has("image"):
        iurl = cloud.endpoints["image"]
        iurl = iurl if re.search(r"/v2(\.\d+)?$", iurl) else iurl + "/v2"
        r = cloud.get(iurl + "/images?status=active&limit=100")
        images = ((r.json() or {}).get("images") or []) if r.status == 200 else []
        images.sort(key=lambda i: (0 if "cirros" in (i.get("name") or "").lower() else 1,
                                   i.get("name") or ""))
        if images:
            setopt("compute", "image_ref", images[0]["id"])
            setopt("compute", "image_ref_alt", images[min(1, len(images) - 1)]["id"])
            setopt("heat_plugin", "image_ref", images[0]["id"])
            setopt("heat_plugin", "minimal_image_ref", images[0]["id"])
            notes.append(f"image_ref {images[0].get('name')}")
        else:
            notes.append(f"no active image found (GET images: {r.status})")

    # flavors, hypervisors
    if cloud.has("compute"):
        r = cloud.get(cloud.endpoints["compute"] + "/flavors/detail")
        flavors = ((r.json() or {}).get("flavors") or []) if r.status == 200 else []
        by_name = {f.get("name"): f for f in flavors}
        order = ["m1.nano", "m1.micro", "cirros256", "m1.tiny", "m1.small"]
        chosen = [by_name[n] for n in order if n in by_name]
        if not chosen and flavors:
            chosen = sorted(flavors, key=lambda f: (f.get("ram") or 0, f.get("disk") or 0))
        if chosen:
            setopt("compute", "flavor_ref", chosen[0]["id"])
            setopt("compute", "flavor_ref_alt", chosen[min(1, len(chosen) - 1)]["id"])
            setopt("heat_plugin", "minimal_instance_type", chosen[0]["id"])
            setopt("heat_plugin", "instance_type", chosen[min(1, len(chosen) - 1)]["id"])
            notes.append(f"flavor_ref {chosen[0].get('name')}")
        r = cloud.get(cloud.endpoints["compute"] + "/os-hypervisors")
        if r.status == 200:
            n = len((r.json() or {}).get("hypervisors") or [])
            if n:
                setopt("compute", "min_compute_nodes", min(n, 10))
                setopt("compute-feature-enabled", "live_migration", "true" if n > 1 else "false")
                notes.append(f"{n} hypervisor(s)")

    # networks and extensions
    nurl = network_url(cloud)
    if nurl:
        r = cloud.get(nurl + "/networks?router:external=true")
        nets = ((r.json() or {}).get("networks") or []) if r.status == 200 else []
        if nets:
            pub = next((n for n in nets if n.get("name") == "public"), nets[0])
            setopt("network", "public_network_id", pub["id"])
            setopt("network", "floating_network_name", pub.get("name") or "public")
            setopt("heat_plugin", "floating_network_name", pub.get("name") or "public")
            notes.append(f"public network {pub.get('name')}")
        r = cloud.get(nurl + "/extensions")
        if r.status == 200:
            aliases = sorted(e.get("alias") for e in (r.json() or {}).get("extensions") or []
                             if e.get("alias"))
            if aliases:
                setopt("network-feature-enabled", "api_extensions", ",".join(aliases))
                notes.append(f"{len(aliases)} network extensions")

    # swift /info
    if cloud.has("object-store"):
        root = re.sub(r"/v1(/.*)?$", "", cloud.endpoints["object-store"])
        r = cloud.get(root + "/info")
        if r.status == 200 and isinstance(r.json(), dict):
            keys = sorted(k for k in r.json() if k != "swift")
            if keys:
                setopt("object-storage-feature-enabled", "discoverable_apis", ",".join(keys))
                notes.append(f"swift /info: {len(keys)} middlewares")


def ensure_heat_user(cloud, password):
    """heat-tempest-plugin uses fixed credentials: a member of its own project."""
    base = cloud.uri_v3
    name = "heat_tempest"

    def find(kind, query):
        r = cloud.get(f"{base}/{kind}?{query}")
        items = ((r.json() or {}).get(kind) or []) if r.status == 200 else []
        return items[0] if items else None

    proj = find("projects", f"name={name}&domain_id=default")
    if not proj:
        r = http("POST", f"{base}/projects", token=cloud.token,
                 body={"project": {"name": name, "domain_id": "default"}})
        proj = (r.json() or {}).get("project") if r.status == 201 else None
    user = find("users", f"name={name}&domain_id=default")
    if user:
        http("PATCH", f"{base}/users/{user['id']}", token=cloud.token,
             body={"user": {"password": password, "default_project_id": proj and proj["id"]}})
    else:
        r = http("POST", f"{base}/users", token=cloud.token,
                 body={"user": {"name": name, "domain_id": "default", "password": password,
                                "default_project_id": proj and proj["id"]}})
        user = (r.json() or {}).get("user") if r.status == 201 else None
    role = find("roles", "name=member")
    if not (proj and user and role):
        log("warning: could not create the heat_plugin user/project; orchestration tests "
            "will fail to authenticate")
        return None
    http("PUT", f"{base}/projects/{proj['id']}/users/{user['id']}/roles/{role['id']}",
         token=cloud.token)
    return name


def write_tempest_conf(path, cloud, password, args, notes):
    cfg = configparser.RawConfigParser()
    cfg.optionxform = str
    cfg.read(path)

    def setopt(section, key, value):
        if section != "DEFAULT" and not cfg.has_section(section):
            cfg.add_section(section)
        cfg.set(section, key, str(value))

    def b(v):
        return "true" if v else "false"

    uri_v3 = cloud.uri_v3 if cloud else args.identity_uri or "http://127.0.0.1:5000/identity/v3"
    # rc1 settings first; discovered and required values override them below
    for section, opts in RC1_OVERLAY.items():
        for k, v in opts.items():
            setopt(section, k, v)

    setopt("auth", "admin_username", "admin")
    setopt("auth", "admin_password", password)
    setopt("auth", "admin_project_name", "admin")
    setopt("auth", "admin_domain_name", "Default")
    setopt("auth", "use_dynamic_credentials", "true")
    setopt("auth", "default_credentials_domain_name", "Default")

    setopt("identity", "uri_v3", uri_v3)
    setopt("identity", "auth_version", "v3")
    setopt("identity", "region", "RegionOne")
    setopt("identity", "admin_domain_scope", b(args.admin_domain_scope))
    setopt("identity", "default_domain_id", "default")
    setopt("identity", "user_lockout_failure_attempts", SECURITY_COMPLIANCE["lockout_failure_attempts"])
    setopt("identity", "user_lockout_duration", SECURITY_COMPLIANCE["lockout_duration"])
    setopt("identity", "user_unique_last_password_count",
           SECURITY_COMPLIANCE["unique_last_password_count"])
    setopt("identity", "user_minimum_password_age", SECURITY_COMPLIANCE["minimum_password_age"])

    for k, v in {"api_v3": True, "api_v2": False, "api_v2_admin": False,
                 "application_credentials": True, "access_rules": True, "trust": True,
                 "project_tags": True, "security_compliance": True,
                 "domain_specific_drivers": False, "external_idp": False,
                 "federation": False}.items():
        setopt("identity-feature-enabled", k, b(v))

    # [service_available]: identity always, the rest only if in the catalog
    for opt, types in SERVICE_TYPES.items():
        setopt("service_available", opt, b(bool(cloud) and cloud.has(*types)))
    for opt in ("horizon", "barbican", "ironic_inspector"):
        setopt("service_available", opt, "false")

    enforce = set(args.enforce_scope.split(",")) if args.enforce_scope else set()
    for svc in ("keystone", "nova", "neutron", "glance", "cinder", "placement"):
        setopt("enforce_scope", svc, b(svc in enforce))
    for svc in enforce - {"keystone", "nova", "neutron", "glance", "cinder", "placement"}:
        setopt("enforce_scope", svc, "true")

    setopt("validation", "run_validation", "false")
    if args.debug_log:
        setopt("DEFAULT", "debug", "true")

    if cloud:
        discover(cloud, cfg, notes)
        if cloud.has("orchestration"):
            heat_pw = "Ht" + secrets.token_hex(12)
            heat_user = ensure_heat_user(cloud, heat_pw)
            if heat_user:
                for k, v in {"username": heat_user, "password": heat_pw,
                             "project_name": heat_user, "admin_username": "admin",
                             "admin_password": password, "admin_project_name": "admin",
                             "auth_url": uri_v3, "auth_version": "3",
                             "user_domain_name": "Default", "project_domain_name": "Default",
                             "region": "RegionOne"}.items():
                    setopt("heat_plugin", k, v)

    for item in args.set or []:
        m = re.match(r"^([^.=]+)\.([^=]+)=(.*)$", item)
        if not m:
            die(f"--set expects SECTION.KEY=VALUE, got {item!r}")
        setopt(m.group(1), m.group(2), m.group(3))

    with open(path, "w") as f:
        cfg.write(f)


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


# --------------------------------------------------------------------------


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
    p.add_argument("--show-failures", type=int, default=None,
                   help="print at most this many failing ids with their traceback ends "
                        "(default: all with --baseline, 30 otherwise)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.url and not args.admin_password:
        die("--url needs --admin-password")
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
    tempest_proc = None

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
            server = Server(prefix, workdir, password, free_port(), args.startup_timeout,
                            args.server_config, args.password_hash_rounds)
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
        t0 = time.monotonic()
        run_log = workdir / "tempest-run.log"
        tempest_proc = subprocess.Popen(cmd, cwd=workspace, start_new_session=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        with open(run_log, "wb") as rl:
            # subunit-trace output: all of it to the log, one line per test to
            # the console (tracebacks come in the summary below)
            for raw in tempest_proc.stdout:
                rl.write(raw)
                line = raw.decode(errors="replace").rstrip()
                if args.verbose or re.match(r"^\{\d+\} ", line):
                    print(line, flush=True)
        rc = tempest_proc.wait()
        elapsed = time.monotonic() - t0
        tempest_proc = None
        log(f"tempest run exited {rc} after {elapsed:.0f}s")

        stream = workdir / "results.subunit"
        with open(stream, "wb") as f:
            subprocess.run([str(venv / "bin" / "stestr"), "last", "--subunit"],
                           cwd=workspace, stdout=f, check=False)
        records = parse_subunit(venv, stream)
        results, fixtures = collate(expected, records)
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

        print(f"tempest: {total.get('passed', 0)} passed, "
              f"{total.get('failed', 0) + total.get('not-run', 0)} failed, "
              f"{total.get('skipped', 0)} skipped")
        if args.baseline:
            if baseline_failed:
                log(f"{len(baseline_failed)} baseline test(s) did not pass")
                return 1
            log("every baseline test passed")
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if tempest_proc is not None and tempest_proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(tempest_proc.pid, signal.SIGTERM)
            try:
                tempest_proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(tempest_proc.pid, signal.SIGKILL)
        if server is not None:
            server.stop()
        if keep:
            log(f"kept {workdir} (server.log, tempest/logs/tempest.log, results.subunit)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

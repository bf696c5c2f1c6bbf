"""Shared bits of the Tempest runner: paths, services, settings, logging, test ids, a tiny HTTP client."""

import json
import os
import re
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "tests" / "conformance" / "baseline.txt"
CACHE = Path(os.environ.get("POCKETSTACK_CACHE",
                            Path.home() / ".cache" / "pocketstack"))


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
    "key-manager": r"^barbican_tempest_plugin\.tests\.api\.",
    "key-manager-rbac": r"^barbican_tempest_plugin\.tests\.rbac\.",     # with --enforce-scope barbican
}
SERVICE_ALIASES = {
    "keystone": "identity", "nova": "compute", "glance": "image",
    "cinder": "volume", "block-storage": "volume", "volumev3": "volume",
    "swift": "object_storage", "object-store": "object_storage",
    "object-storage": "object_storage", "neutron": "network",
    "heat": "orchestration", "ironic": "baremetal", "cyborg": "accelerator",
    "barbican": "key-manager", "key_manager": "key-manager",
}

# Keystone settings the server is started with; tempest.conf must agree.
SECURITY_COMPLIANCE = {
    "lockout_failure_attempts": 2,
    "lockout_duration": 5,
    "unique_last_password_count": 2,
    "minimum_password_age": 0,
}


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


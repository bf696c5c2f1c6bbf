"""Start pocketstack (or use a running cloud) and talk to its identity service."""

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tempestkit.common import SECURITY_COMPLIANCE, die, free_port, http, log


def server_config_text(hash_rounds=None, guests_cloud=None, http_image_port=None, qemu=True):
    """guests_cloud: run the Linux dataplane under this network.cloud_name, with real guests (the qemu
    driver) unless qemu is false (--dataplane).
    http_image_port: the operator allows http(s) locations and web-download on 127.0.0.1:<port>."""
    lines = ["# written by scripts/tempest.py", "identity:"]
    if hash_rounds:
        # bcrypt cost 12 (keystone's default) makes every token and user
        # request take ~1 s on 2 cores; the tests check behaviour, not cost
        lines.append(f"  password_hash_rounds: {hash_rounds}")
    lines.append("  security_compliance:")
    for k, v in SECURITY_COMPLIANCE.items():
        lines.append(f"    {k}: {v}")
    # neutron.conf [quotas] of the neutron-tempest-plugin gate jobs (zuul.d, neutron-tempest-plugin-base)
    lines += ["network:"]
    if guests_cloud:
        # its own cloud name: namespaces ps-<name>-*, removed by `pocketstack dataplane cleanup`
        lines += ["  dataplane: linux", f"  cloud_name: {guests_cloud}"]
    # neutron.conf [DEFAULT] dns_domain of those jobs (the plugin's dns tests say so: openstackgate.local)
    lines += ["  dns_domain: openstackgate.local"]
    lines += ["  quotas:", "    quota_router: 100", "    quota_floatingip: 500",
              "    quota_security_group: 150", "    quota_security_group_rule: 1000"]
    # two image stores, so the import, copy-image and store-weight tests have somewhere to go
    lines += ["image:", "  require_image_format_match: false", "  stores:",
              "    - {id: fast, description: Fast access store, default: true, weight: 50}",
              "    - {id: cheap, description: Less expensive store, weight: 100}"]
    if http_image_port:
        lines += ["  import_filtering:", "    allowed_hosts: [127.0.0.1]",
                  f"    allowed_ports: [{http_image_port}]",
                  "  import_methods: [glance-direct, web-download, copy-image, glance-download]"]
    # DevStack's multi-backend job: two volume backends, so the multi-backend, migration and retype
    # tests have somewhere to go
    lines += ["block_storage:", "  backends: [lvmdriver-1, lvmdriver-2]"]
    if guests_cloud and qemu:
        lines += ["compute:", "  driver: qemu"]
    return "\n".join(lines) + "\n"


class Server:
    def __init__(self, cmd_prefix, workdir, password, port, timeout, config=None,
                 hash_rounds=None, guests_cloud=None, http_image_port=None, qemu=True):
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
            self.config.write_text(server_config_text(hash_rounds, guests_cloud, http_image_port, qemu))
        self.log_path = workdir / "server.log"
        self.cmd = cmd_prefix + [
            "serve", "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", str(self.data_dir), "--admin-password", password,
            "--config", str(self.config),
            # the object store's own port, as DevStack's 8080, but free: runs may share the machine
            "--object-store-port", str(free_port())]
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

    def reap_guests(self, cmd_prefix, cloud_name):
        """After a --guests run: QEMU guests and the console proxy outlive pocketstack by design, so
        stop the ones of this data dir (each pidfile's process checked against its command line),
        then remove the cloud's namespaces, devices and dnsmasq with `pocketstack dataplane cleanup`."""
        reaped = []
        for pidfile in sorted(self.data_dir.rglob("*pid")):
            if pidfile.name not in ("pid", "websockify.pid"):
                continue
            try:
                pid = int(pidfile.read_text().strip())
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except (OSError, ValueError):
                continue
            ours = (pidfile.name == "pid" and b"-uuid" in argv
                    and pidfile.parent.name.encode() in argv) or \
                   (pidfile.name == "websockify.pid" and any(b"websockify" in a for a in argv))
            if not ours:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            reaped.append(f"{pidfile.parent.name}:{pid}")
            if pidfile.name == "pid":
                shutil.rmtree(Path("/run/pocketstack/qemu") / pidfile.parent.name, ignore_errors=True)
            elif b"--token-source" in argv[:-1]:      # the proxy's console tokens (symlinks) go with it
                tokens = Path(argv[argv.index(b"--token-source") + 1].decode())
                if tokens.parent == Path("/run/pocketstack/qemu"):
                    shutil.rmtree(tokens, ignore_errors=True)
        if reaped:
            log(f"stopped {len(reaped)} leftover guest/console process(es): {', '.join(reaped)}")
        r = subprocess.run(cmd_prefix + ["dataplane", "cleanup", "--cloud-name", cloud_name],
                           capture_output=True, text=True, check=False)
        removed = [ln for ln in r.stdout.splitlines() if ln.strip()]
        log(f"dataplane cleanup --cloud-name {cloud_name}: exit {r.returncode}, "
            f"{len(removed)} item(s) removed" + (f"; {r.stderr.strip()[:300]}" if r.returncode else ""))

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




class HttpImage:
    """[image] http_image on 127.0.0.1: a small raw image served over plain HTTP (what DevStack
    points http_image at is a download site; here nothing leaves the machine). For the location
    API and http store tests, which fetch it from the cloud and from tempest itself."""

    DATA = bytes((i * 13 + 7) % 256 for i in range(1 << 20))

    @staticmethod
    def empty_qcow2(size=1 << 20):
        """An empty qcow2 (version 2, 64 KiB clusters): header, L1 table, refcount table and block."""
        import struct
        cluster = 1 << 16
        header = struct.pack(">4sIQIIQIIQQIIQ", b"QFI\xfb", 2, 0, 0, 16, size, 0, 1, cluster, 2 * cluster,
                             1, 0, 0)
        refcount_table = struct.pack(">Q", 3 * cluster)
        refcounts = struct.pack(">4H", 1, 1, 1, 1)
        return b"".join(part.ljust(cluster, b"\0") for part in (header, b"", refcount_table, refcounts))

    def __init__(self):
        import http.server
        import threading
        files = {"/http-image.raw": self.DATA, "/http-image.qcow2": self.empty_qcow2()}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                data = files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/http-image.raw"
        self.qcow2_url = f"http://127.0.0.1:{self.port}/http-image.qcow2"
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()

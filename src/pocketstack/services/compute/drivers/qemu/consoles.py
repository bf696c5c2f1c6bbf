"""Remote consoles of real guests: noVNC and the serial console over websocket, through Debian's
websockify (nova's novncproxy / serial proxy role). One websockify per cloud serves noVNC's pages
(/usr/share/novnc) and proxies each websocket to a guest's VNC or serial unix socket, chosen by the token
in the URL: a token is a symlink in <root>/_consoles/ to the socket (websockify's
UnixDomainSocketDirectory plugin), valid for nova's token_ttl (600 s). The proxy is a process of its own,
like the guests, found again by its pidfile after a restart."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

from pocketstack.services.compute.drivers.base import RemoteConsole
from pocketstack.services.compute.drivers.qemu.machine import RUN_ROOT

LOG = logging.getLogger("pocketstack.compute.qemu")
NOVNC = Path("/usr/share/novnc")
TOKEN_TTL = 600                                   # nova's [consoleauth] token_ttl


class ConsoleProxy:
    def __init__(self, root: Path, host: str, port: int) -> None:
        # the tokens are symlinks websockify connects through, so their path must fit in a unix socket's
        # 108 bytes: under the short runtime dir, one per data dir
        self.dir = RUN_ROOT / f"_consoles-{hashlib.sha256(str(root).encode()).hexdigest()[:12]}"
        self.host, self.port = host, port
        self.pidfile = root / "websockify.pid"

    def available(self) -> bool:
        return bool(shutil.which("websockify")) and (NOVNC / "vnc_lite.html").exists()

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if str(self.dir).encode() in cmdline else None

    def ensure(self) -> None:
        """Start websockify unless the one of this data dir runs (it outlives pocketstack like the guests)."""
        if self.pid() is not None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        log = open(self.pidfile.parent / "websockify.log", "ab")
        proc = subprocess.Popen(
            ["websockify", "--web", str(NOVNC), "--token-plugin", "UnixDomainSocketDirectory",
             "--token-source", str(self.dir), f"{self.host}:{self.port}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        self.pidfile.write_text(str(proc.pid))
        log.close()
        deadline = time.monotonic() + 10                  # the URL handed out must answer at once
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        LOG.error("websockify did not start on %s:%s (see %s)", self.host, self.port,
                  self.pidfile.parent / "websockify.log")

    def stop(self) -> None:
        if (pid := self.pid()) is not None:
            os.kill(pid, 15)
            shutil.rmtree(self.dir, ignore_errors=True)      # its tokens go with it

    def token_for(self, target: Path) -> str:
        """A new token that leads to `socket`; expired tokens are removed."""
        self.ensure()
        now = time.time()
        for link in self.dir.iterdir():
            try:
                if now - link.lstat().st_mtime > TOKEN_TTL or not link.exists():
                    link.unlink()
            except OSError:
                pass
        token = secrets.token_hex(16)
        (self.dir / token).symlink_to(target)
        return token

    def open(self, base_url: str, console_type: str, target: Path) -> RemoteConsole:
        """nova's URLs: http://HOST:6080/vnc_lite.html?path=%3Ftoken%3D... and ws://HOST:6083/?token=...
        (one proxy port here for both). The guest's console is a unix socket: no host, port 0."""
        host = urlparse(base_url).hostname or self.host
        token = self.token_for(target)
        if console_type == "serial":
            url = f"ws://{host}:{self.port}/?token={token}"
        else:
            url = f"http://{host}:{self.port}/vnc_lite.html?path=%3Ftoken%3D{token}"
        return RemoteConsole(url=url, token=token, host=None, port=0, internal_access_path=None, tls_port=None)

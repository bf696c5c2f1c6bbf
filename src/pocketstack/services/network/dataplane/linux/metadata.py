"""The metadata proxy: 169.254.169.254:80 inside each router namespace (and the DHCP namespace of an isolated
network), answered by this process on a socket opened in that namespace (no haproxy, no extra process). Like neutron-metadata-agent it finds the instance
behind the source address among the ports of the router's networks and forwards the request with
`X-Instance-ID`, `X-Tenant-ID`, `X-Forwarded-For` and `X-Instance-ID-Signature` (HMAC-SHA256 of the instance
id with the shared secret) to compute's metadata endpoint."""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from pocketstack.core import internal_client

LOG = logging.getLogger(__name__)
CLONE_NEWNET = 0x40000000
PORT = 80
Lookup = Callable[[str, str], "tuple[str, str] | None"]      # (router:ID | network:ID, source) -> (instance, project)


def sign(secret: str, instance_id: str) -> str:
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def socket_in(ns: str, address: str, port: int) -> socket.socket:
    """A listening TCP socket created inside a network namespace (by a short-lived thread that enters it;
    the socket stays in the namespace it was made in)."""
    result: dict[str, Any] = {}

    def make() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            with open(f"/run/netns/{ns}") as f:
                if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {ns}")
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
            s.listen(64)
            result["socket"] = s
        except Exception as exc:  # noqa: BLE001 - reported to the caller below
            result["error"] = exc

    thread = threading.Thread(target=make)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["socket"]


class Proxy:
    def __init__(self, router_id: str, ns: str, lookup: Lookup, upstream: str, secret: str) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                proxy.forward(self)

            def do_POST(self) -> None:  # noqa: N802 - a guest posts its encrypted password this way
                proxy.forward(self)

            def log_message(self, fmt: str, *args: Any) -> None:
                LOG.debug("metadata %s: " + fmt, router_id, *args)

        self.router_id, self.lookup, self.upstream, self.secret = router_id, lookup, upstream, secret
        self.server = ThreadingHTTPServer((METADATA_BIND, PORT), Handler, bind_and_activate=False)
        self.server.socket.close()
        self.server.socket = socket_in(ns, METADATA_BIND, PORT)
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"metadata-{router_id[:8]}",
                                       daemon=True)
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def forward(self, rq: BaseHTTPRequestHandler) -> None:
        source = rq.client_address[0]
        found = self.lookup(self.router_id, source)
        if found is None:
            rq.send_error(404, "Instance not found for this address")
            return
        instance_id, project_id = found
        headers = {"X-Forwarded-For": source, "X-Instance-ID": instance_id, "X-Tenant-ID": project_id,
                   "X-Instance-ID-Signature": sign(self.secret, instance_id)}
        body = None
        if rq.command == "POST":
            length = int(rq.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                rq.send_error(413)
                return
            body = rq.rfile.read(length)
        try:
            if self.upstream.startswith(("http://", "https://")):
                r = httpx.request(rq.command, self.upstream.rstrip("/") + rq.path, headers=headers, content=body,
                                  timeout=30)
            else:
                r = internal_client.call(rq.command, self.upstream.rstrip("/") + rq.path, headers=headers,
                                         content=body)
        except Exception:  # noqa: BLE001 - the guest sees a 500, as from neutron's proxy
            LOG.exception("metadata upstream failed")
            rq.send_error(500)
            return
        body = r.content
        rq.send_response(r.status_code)
        rq.send_header("Content-Type", r.headers.get("content-type", "text/plain"))
        rq.send_header("Content-Length", str(len(body)))
        rq.end_headers()
        rq.wfile.write(body)


METADATA_BIND = "169.254.169.254"
MAX_BODY = 64 * 1024          # what a guest may POST (nova takes at most 1020 bytes of password)

"""What a stand-in machine runs inside its namespace (`ip netns exec NS python3 probe.py ...`):

  dhcp IFACE MAC          DHCP discover/request; prints the lease as JSON
  dhcp6 IFACE MAC MODE    DHCPv6 (MODE stateful: solicit/request, stateless: information-request); prints
                          the address (stateful) and DNS servers as JSON
  serve tcp|udp PORT      echo server (forever)
  tcp HOST PORT           exit 0 when a TCP echo comes back within 1 s
  udp HOST PORT           exit 0 when a UDP echo comes back within 1 s
  get URL                 HTTP GET; prints the body
"""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import sys
import urllib.request

MAGIC = b"\x63\x82\x53\x63"


def _packet(kind: int, mac: str, xid: int, extra: bytes = b"") -> bytes:
    chaddr = bytes.fromhex(mac.replace(":", "")) + b"\0" * 10
    head = struct.pack("!BBBBIHH4s4s4s4s16s192x", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                       b"\0" * 4, chaddr)
    return head + MAGIC + bytes([53, 1, kind]) + extra + b"\xff"


def _options(data: bytes) -> tuple[str, dict[int, bytes]]:
    yiaddr = socket.inet_ntoa(data[16:20])
    opts, i = {}, 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        code, length = data[i], data[i + 1]
        opts[code] = data[i + 2:i + 2 + length]
        i += 2 + length
    return yiaddr, opts


def dhcp(iface: str, mac: str) -> dict:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("", 68))
    s.settimeout(2)
    xid = random.getrandbits(32)

    def exchange(packet: bytes, want: int) -> tuple[str, dict[int, bytes]]:
        for _ in range(5):
            s.sendto(packet, ("255.255.255.255", 67))
            try:
                while True:
                    data = s.recv(2048)
                    if struct.unpack("!I", data[4:8])[0] == xid:
                        yiaddr, opts = _options(data)
                        if opts.get(53) == bytes([want]):
                            return yiaddr, opts
            except socket.timeout:
                continue
        raise SystemExit("no DHCP answer")

    offered, opts = exchange(_packet(1, mac, xid), 2)
    extra = bytes([50, 4]) + socket.inet_aton(offered) + bytes([54, 4]) + opts[54]
    ip, opts = exchange(_packet(3, mac, xid, extra), 5)
    out = {"ip": ip, "mask": socket.inet_ntoa(opts[1]), "server": socket.inet_ntoa(opts[54])}
    if 3 in opts:
        out["router"] = socket.inet_ntoa(opts[3][:4])
    if 6 in opts:
        out["dns"] = [socket.inet_ntoa(opts[6][i:i + 4]) for i in range(0, len(opts[6]), 4)]
    if 26 in opts:
        out["mtu"] = struct.unpack("!H", opts[26])[0]
    if 121 in opts:                                   # classless static routes (RFC 3442)
        data, routes = opts[121], []
        while data:
            width = data[0]
            octets = (width + 7) // 8
            dest = bytes(data[1:1 + octets]) + b"\0" * (4 - octets)
            gw = data[1 + octets:5 + octets]
            routes.append([f"{socket.inet_ntoa(dest)}/{width}", socket.inet_ntoa(gw)])
            data = data[5 + octets:]
        out["routes"] = routes
    if 12 in opts:
        out["hostname"] = opts[12].decode()
    return out


def _opt6(code: int, data: bytes) -> bytes:
    return struct.pack("!HH", code, len(data)) + data


def _options6(data: bytes) -> dict[int, bytes]:
    opts, i = {}, 0
    while i + 4 <= len(data):
        code, length = struct.unpack("!HH", data[i:i + 4])
        opts[code] = data[i + 4:i + 4 + length]
        i += 4 + length
    return opts


def dhcp6(iface: str, mac: str, mode: str) -> dict:
    """A DHCPv6 client (RFC 8415) from the link-local address, with a DUID-LL made of the MAC."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    scope = socket.if_nametoindex(iface)
    s.bind(("::", 546, 0, scope))
    s.settimeout(2)
    duid = struct.pack("!HH", 3, 1) + bytes.fromhex(mac.replace(":", ""))
    iaid = b"\0\0\0\1"
    xid = random.getrandbits(24).to_bytes(3, "big")
    oro = _opt6(6, struct.pack("!H", 23))                       # option request: DNS servers

    def exchange(kind: int, body: bytes, want: int) -> dict[int, bytes]:
        for _ in range(5):
            s.sendto(bytes([kind]) + xid + body, ("ff02::1:2", 547, 0, scope))
            try:
                while True:
                    data = s.recv(2048)
                    if data[0] == want and data[1:4] == xid:
                        return _options6(data[4:])
            except socket.timeout:
                continue
        raise SystemExit(f"no DHCPv6 answer to message type {kind}")

    client = _opt6(1, duid)
    if mode == "stateless":
        opts = exchange(11, client + oro, 7)                  # information-request -> reply
    else:
        ia = _opt6(3, iaid + b"\0" * 8)
        offer = exchange(1, client + ia + oro, 2)             # solicit -> advertise
        addr = _options6(offer.get(3, b"")[12:]).get(5)
        ia = _opt6(3, iaid + b"\0" * 8 + (_opt6(5, addr) if addr else b""))
        opts = exchange(3, client + _opt6(2, offer[2]) + ia + oro, 7)    # request -> reply
    dns = opts.get(23, b"")
    out: dict = {"dns": [socket.inet_ntop(socket.AF_INET6, dns[i:i + 16]) for i in range(0, len(dns), 16)]}
    if 3 in opts:
        ia_opts = _options6(opts[3][12:])
        if 5 in ia_opts:
            out["ip"] = socket.inet_ntop(socket.AF_INET6, ia_opts[5][:16])
    return out


def serve(kind: str, port: int) -> None:
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", port))
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        with conn:
            conn.settimeout(2)
            try:
                conn.sendall(conn.recv(2048))
            except OSError:
                pass


def echo(kind: str, host: str, port: int) -> int:
    try:
        if kind == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(1)
            s.sendto(b"ping", (host, port))
            return 0 if s.recv(64) == b"ping" else 1
        with socket.create_connection((host, port), timeout=1) as s:
            s.settimeout(1)
            s.sendall(b"ping")
            return 0 if s.recv(64) == b"ping" else 1
    except OSError:
        return 1


def main(argv: list[str]) -> int:
    cmd = argv[0]
    if cmd == "dhcp":
        print(json.dumps(dhcp(argv[1], argv[2])))
    elif cmd == "dhcp6":
        print(json.dumps(dhcp6(argv[1], argv[2], argv[3])))
    elif cmd == "serve":
        serve(argv[1], int(argv[2]))
    elif cmd in ("tcp", "udp"):
        return echo(cmd, argv[1], int(argv[2]))
    elif cmd == "get":
        with urllib.request.urlopen(argv[1], timeout=5) as r:
            sys.stdout.write(r.read().decode())
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main(sys.argv[1:]))

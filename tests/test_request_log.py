"""`pocketstack serve --log-requests`: one line per request (method, path and query, status, seconds,
size, request id), for the services and the dashboard; the session's cloud runs with it."""

from __future__ import annotations

import re
import time

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) "
                  r"(?P<seconds>\d+\.\d{3})s (?P<size>\d+B|-) (?P<request_id>req-[0-9a-f-]{36}|-)$")


def _lines(cloud) -> list[re.Match[str]]:
    text = (cloud.data_dir.parent / "server.log").read_text(errors="replace")
    return [m for line in text.splitlines() if (m := LINE.match(line))]


def test_each_request_is_one_readable_line(cloud, http, demo_token):
    r = http.get("/compute/v2.1/flavors?limit=1", headers={"X-Auth-Token": demo_token})
    missing = http.get("/compute/v2.1/servers/no-such-server", headers={"X-Auth-Token": demo_token})
    http.get("/dashboard/auth/login/")
    time.sleep(0.3)
    lines = _lines(cloud)
    by_id = {m["request_id"]: m for m in lines}
    ok = by_id[r.headers["x-openstack-request-id"]]
    assert (ok["method"], ok["path"], ok["status"]) == ("GET", "/compute/v2.1/flavors?limit=1", "200")
    assert ok["size"] == f"{len(r.content)}B"
    assert by_id[missing.headers["x-openstack-request-id"]]["status"] == "404"
    assert any(m["path"].startswith("/dashboard/auth/login") and m["request_id"] == "-" for m in lines)

"""The dataplane seam without privileges: `none` answers honestly, `linux` refuses in one line without root."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx

from pocketstack.services.network import dataplane


def test_none_dataplane_says_no_agent_runs(cloud: Any, admin_token: str) -> None:
    r = httpx.get(f"{cloud.url}/networking/v2.0/agents", headers={"X-Auth-Token": admin_token})
    agents = r.json()["agents"]
    assert agents and all(not a["alive"] and a["configurations"]["dataplane"] == "none" for a in agents)
    alive = httpx.get(f"{cloud.url}/networking/v2.0/agents", params={"alive": "true"},
                      headers={"X-Auth-Token": admin_token}).json()["agents"]
    assert alive == []


def test_linux_needs_root_in_one_line(monkeypatch: Any) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    message = dataplane.requirements_error("linux")
    assert message and "needs root" in message and "\n" not in message
    assert dataplane.requirements_error("none") is None
    assert "unknown" in (dataplane.requirements_error("ovs") or "")


def test_serve_refuses_linux_with_several_workers(tmp_path: Any) -> None:
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--dataplane", "linux", "--workers", "2",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "--workers 1" in proc.stderr

"""The session cookie alone: sealed, tamper-evident, dead when the token's expiry passes."""

from __future__ import annotations

import time
from pathlib import Path

from pocketstack.dashboard.session import Sessions, csrf_ok, load_key


def test_cookie_round_trip_tamper_and_expiry(tmp_path: Path) -> None:
    key = load_key(tmp_path)
    assert load_key(tmp_path) == key                      # one key per data dir, for every worker
    sessions = Sessions(key)
    live = sessions.seal({"token": "t", "expires_at": time.time() + 60})
    assert sessions.open(live)["token"] == "t"  # type: ignore[index]
    assert "token" not in live                            # encrypted, not just signed
    assert sessions.open(live[:-4] + "AAAA") is None
    assert sessions.open(sessions.seal({"token": "t", "expires_at": time.time() - 1})) is None
    (tmp_path / "other").mkdir()
    assert Sessions(load_key(tmp_path / "other")).open(live) is None


def test_csrf_comparison() -> None:
    assert csrf_ok("a" * 40, "a" * 40)
    assert not csrf_ok("a" * 40, "b" * 40) and not csrf_ok(None, None) and not csrf_ok("", "")

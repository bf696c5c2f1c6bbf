"""The pytest plugin as a user meets it: `pytest -p pocketstack.testing.pytest_plugin` on a test tree
of their own (tests_plugin/, with its own pytest.ini), and nothing started for tests that do not ask."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "pocketstack.testing.pytest_plugin",
                           "-p", "no:cacheprovider", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_a_users_test_tree_passes_with_the_plugin(tmp_path):
    proc = _pytest(str(ROOT / "tests_plugin"), "--basetemp", str(tmp_path / "bt"), "-W", "ignore",
                   cwd=ROOT / "tests_plugin")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "5 passed" in proc.stdout


def test_the_plugin_starts_nothing_unless_a_test_asks(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    fixtures = _pytest("--fixtures", str(tmp_path), cwd=tmp_path)
    assert "pocketstack_cloud" in fixtures.stdout and "pocketstack_reset" in fixtures.stdout
    proc = _pytest(str(tmp_path), "--basetemp", str(tmp_path / "bt"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert not list((tmp_path / "bt").glob("pocketstack*"))      # no throwaway cloud was made

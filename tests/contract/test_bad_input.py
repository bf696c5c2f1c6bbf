"""Bad input, CI-sized: a random sample of bench/bad_input.py's attacks on every service's routes.

Every answer must be a 4xx in the owning service's error format (never a 5xx, never a traceback)
and nothing may change in the database or the blob store. The full walk (>= 50,000 requests) is
`bench/bad_input.py --full`; figures in docs/bench.md.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bad_input.py"


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bad_input", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module            # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_bad_input_sample_is_refused_cleanly(tmp_path: Path) -> None:
    bench = _bench()
    out = bench.run(full=True, limit=3000, concurrency=2, seed=int(os.environ.get("BAD_INPUT_SEED", "14")),
                    workdir=tmp_path, database_url=os.environ.get("POCKETSTACK_TEST_DATABASE_URL"))
    summary = bench.report(out, verbose=20)
    assert out.tried >= 2900, summary
    assert not out.server_errors, summary
    assert not out.tracebacks, summary
    assert not out.transport_errors, summary
    assert not out.bad_format, summary
    assert not out.accepted, summary
    assert not out.state_changes, summary

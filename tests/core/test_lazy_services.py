"""The server imports a service's modules on its first use, not at start: the registry of prefixes
and catalog entries (pocketstack.services.ENTRIES) is data, and each service's own Service agrees
with it."""

from __future__ import annotations

import subprocess
import sys

from pocketstack import services


def test_importing_the_app_imports_no_service():
    code = ("import sys, pocketstack.app, pocketstack.cli, pocketstack.services as s; "
            "print(sorted(m for m in sys.modules if m.startswith('pocketstack.services.') or m == 'httpx'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_entry_loads_the_service_it_describes():
    assert [e.type for e in services.ENTRIES][0] == "identity"          # bootstrap order: identity first
    for entry in [*services.ENTRIES, services.CONTROL]:
        service = entry.load()
        assert (service.type, service.prefixes, service.catalog, service.listener_prefix) == \
            (entry.type, entry.prefixes, entry.catalog, entry.listener_prefix)
    assert [s.type for s in services.load_all()] == [e.type for e in services.ENTRIES]


def test_prefixes_are_unique():
    prefixes = [p for e in [*services.ENTRIES, services.CONTROL] for p in e.prefixes]
    assert len(prefixes) == len(set(prefixes))

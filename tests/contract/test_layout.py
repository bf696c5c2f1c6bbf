"""Whole-app rules: module sizes, import boundaries, the shape of every service package."""

from __future__ import annotations

import ast
from pathlib import Path

import pocketstack
from pocketstack import services
from pocketstack.core.routing import Service

ROOT = Path(pocketstack.__file__).parent
HARD_LIMIT = 800


def _modules(under: Path) -> list[Path]:
    return [p for p in under.rglob("*.py") if "migrations" not in p.parts]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_over_the_hard_limit():
    too_long = {str(p.relative_to(ROOT)): n for p in _modules(ROOT)
                if (n := len(p.read_text().splitlines())) > HARD_LIMIT}
    assert too_long == {}


def test_core_imports_no_service():
    offenders = {str(p.relative_to(ROOT)) for p in _modules(ROOT / "core")
                 if any(i.startswith("pocketstack.services") for i in _imports(p))}
    assert offenders == set()


def test_services_do_not_import_each_other():
    offenders = []
    for package in (ROOT / "services").iterdir():
        if not package.is_dir() or package.name.startswith("__"):
            continue
        own = f"pocketstack.services.{package.name}"
        for p in _modules(package):
            for name in _imports(p):
                if name.startswith("pocketstack.services.") and not name.startswith(own):
                    offenders.append((str(p.relative_to(ROOT)), name))
    assert offenders == []


def test_every_service_exports_only_SERVICE():
    for service in services.load_all():
        assert isinstance(service, Service)
        module = __import__(f"pocketstack.services.{service.type.replace('-', '_')}", fromlist=["SERVICE"])
        identity_hooks = ("token_validator", "token_minter")      # what app.py wires into core
        assert [n for n in getattr(module, "__all__", ["SERVICE"]) if n not in identity_hooks] == ["SERVICE"]


def test_every_policy_named_by_a_route_is_registered():
    for service in services.load_all():
        registered = {rule.name for rule in service.policies}
        missing = {r.policy for r in service.routes if isinstance(r.policy, str) and r.policy not in registered}
        assert missing == set(), f"{service.type}: {missing}"

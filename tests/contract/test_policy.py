"""Whole-app policy rules: every route of every service names how it is guarded, and every rule
name it or its handler uses has a registered default (core.policy)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from oslo_policy import policy as oslo_policy

import pocketstack
from pocketstack import control, services
from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden
from pocketstack.core.policy import ANY_USER, PUBLIC, InHandler, NoRule, Policy, rule

ROOT = Path(pocketstack.__file__).parent
# helpers through which handlers check a rule (each ends in Policy.authorize)
CHECK_CALLS = {"enforce", "check", "can", "allowed", "authorize"}


def _registered(service: services.Service) -> set[str]:   # type: ignore[name-defined]
    return {r.name for r in service.policies}


def _package(service_type: str) -> Path:
    return ROOT / "services" / service_type.replace("-", "_")


def test_every_route_names_its_rule():
    problems = []
    for service in [*services.load_all(), control.SERVICE]:
        names = _registered(service)
        for r in service.routes:
            where = f"{service.type} {r.method} {r.path}"
            if isinstance(r.policy, str):
                if r.policy not in names:
                    problems.append(f"{where}: rule {r.policy!r} has no registered default")
            elif isinstance(r.policy, InHandler):
                missing = [n for n in r.policy.rules if n not in names]
                if missing:
                    problems.append(f"{where}: in_handler rules without a default: {missing}")
            elif isinstance(r.policy, NoRule):
                if r.policy not in (PUBLIC, ANY_USER):
                    problems.append(f"{where}: an undocumented NoRule marker")
                elif r.policy.token != (r.auth is True):
                    problems.append(f"{where}: {'ANY_USER' if r.policy.token else 'PUBLIC'} with auth={r.auth!r}")
            else:
                problems.append(f"{where}: no rule (policy={r.policy!r})")
    assert problems == []


def _literal(node: ast.expr, consts: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):      # P + "servers:create"
        left, right = _literal(node.left, consts), _literal(node.right, consts)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    return None


def _handler_rule_names(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
              and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
              for t in n.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name not in CHECK_CALLS:
            continue
        for arg in node.args[:2]:
            text = _literal(arg, consts)
            if text is not None and not isinstance(arg, ast.Name):
                found.append((node.lineno, text))
    return found


def test_every_rule_a_handler_checks_is_registered():
    """A static look at the rule names handlers pass to their policy helpers (names built at run
    time are refused by Policy.authorize instead)."""
    problems = []
    for service in services.load_all():
        names = _registered(service)
        for path in _package(service.type).rglob("*.py"):
            for line, text in _handler_rule_names(path):
                looks_like_rule = ":" in text or text in names
                if looks_like_rule and text not in names and " " not in text:
                    problems.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert problems == []


def test_authorize_refuses_an_unregistered_rule():
    policy = Policy("demo", [rule("demo:get", "", "Get a demo.", [("GET", "/demo")])], None)
    ctx = Context(request_id="req-x", user_id="u", project_id="p", roles=["member"])
    assert policy.authorize("demo:get", {}, ctx) is True
    with pytest.raises(oslo_policy.PolicyNotRegistered):
        policy.authorize("demo:gett", {}, ctx)          # a misspelling no longer falls back to `default`
    with pytest.raises(oslo_policy.PolicyNotRegistered):
        policy.check("demo:gett", {}, ctx)


def test_authorize_denies_with_forbidden():
    policy = Policy("demo", [rule("demo:delete", "role:admin", "Delete.", [("DELETE", "/demo")])], None)
    ctx = Context(request_id="req-x", user_id="u", project_id="p", roles=["member"])
    assert policy.check("demo:delete", {}, ctx) is False
    with pytest.raises(Forbidden):
        policy.enforce("demo:delete", {}, ctx)

"""Compute policy rules: upstream Nova names and defaults (nova/policies/*.py), kept as data in policies.yaml
(rule names, check strings, descriptions, scope types and the operations each guards)."""

from __future__ import annotations

from pathlib import Path

from pocketstack.core.policy import rules_from_yaml

RULES = rules_from_yaml(Path(__file__).parent / "policies.yaml")
NAMES = {r.name for r in RULES}

"""Orchestration policy rules: Heat 24's names and defaults (heat/policies/*.py), kept as data in
policies.yaml (rule names, check strings, descriptions, scope types, the operations each guards)."""

from __future__ import annotations

from pathlib import Path

from pocketstack.core.policy import rules_from_yaml

RULES = rules_from_yaml(Path(__file__).parent / "policies.yaml")

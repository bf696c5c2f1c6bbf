"""Placement policy rules: upstream names and defaults (placement/policies/*.py), kept as data in policies.yaml."""

from __future__ import annotations

from pathlib import Path

from pocketstack.core.policy import rules_from_yaml

RULES = rules_from_yaml(Path(__file__).parent / "policies.yaml")

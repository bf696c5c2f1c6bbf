"""Compute policy rules: upstream Nova names and defaults (nova/policies/*.py), kept as data in policies.yaml
(rule names, check strings, descriptions, scope types and the operations each guards)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pocketstack.core.policy import DocumentedRuleDefault, RuleDefault


def _load() -> list[RuleDefault]:
    rules: list[RuleDefault] = []
    for item in yaml.safe_load((Path(__file__).parent / "policies.yaml").read_text()):
        if "operations" in item:
            rules.append(DocumentedRuleDefault(item["name"], item["check_str"], item.get("description", ""),
                                               item["operations"], scope_types=item.get("scope_types")))
        else:
            rules.append(RuleDefault(item["name"], item["check_str"], item.get("description"),
                                     scope_types=item.get("scope_types")))
    return rules


RULES = _load()
NAMES = {r.name for r in RULES}

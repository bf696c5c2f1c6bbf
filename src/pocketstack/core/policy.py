"""Policy: oslo.policy enforcers, one per service, with upstream rule names and defaults.

Each service ships its rules as `DocumentedRuleDefault`s; an operator's
`<data_dir>/policy/<service-type>.yaml` overrides any of them, exactly as a policy file does
for the upstream service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden

RuleDefault = oslo_policy.RuleDefault
DocumentedRuleDefault = oslo_policy.DocumentedRuleDefault


def rules_from_yaml(path: Path) -> list[RuleDefault]:
    """A service's rules kept as data: a YAML list of {name, check_str, description, scope_types,
    operations}; entries with operations are documented API rules, the others base rules."""
    rules: list[RuleDefault] = []
    for item in yaml.safe_load(path.read_text()):
        if "operations" in item:
            rules.append(DocumentedRuleDefault(item["name"], item["check_str"], item.get("description", ""),
                                               item["operations"], scope_types=item.get("scope_types")))
        else:
            rules.append(RuleDefault(item["name"], item["check_str"], item.get("description"),
                                     scope_types=item.get("scope_types")))
    return rules


def rule(name: str, check_str: str, description: str, operations: list[tuple[str, str]],
         scope_types: list[str] | None = None) -> DocumentedRuleDefault:
    """A documented rule naming the routes it guards: operations are (method, path) pairs."""
    return DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{"method": m, "path": p} for m, p in operations],
        scope_types=scope_types)


class Policy:
    def __init__(self, service_type: str, rules: list[RuleDefault], policy_dir: Path | None,
                 message: str = "You are not authorized to perform the requested action: {rule}.") -> None:
        conf = cfg.ConfigOpts()
        conf([], project="pocketstack", default_config_files=[], default_config_dirs=[])
        policy_file = None
        if policy_dir is not None:
            candidate = policy_dir / f"{service_type}.yaml"
            if candidate.exists():
                policy_file = str(candidate)
        # use_conf=True is what makes oslo.policy merge the registered defaults into its rules;
        # a missing file is fine (the defaults alone apply).
        self.enforcer = oslo_policy.Enforcer(conf, policy_file=policy_file or "/nonexistent/policy.yaml",
                                             use_conf=True)
        self.enforcer.conf.set_override("policy_dirs", [], group="oslo_policy")
        self.enforcer.register_defaults(rules)
        self.enforcer.load_rules()
        if policy_file is None:
            # the defaults are merged now; without this every check would search the disk again
            # for the missing file (about 4% of a cheap request's time)
            self.enforcer.use_conf = False
        self.message = message
        self.names = {r.name for r in rules}

    def check(self, rule_name: str, target: dict[str, Any], ctx: Context) -> bool:
        try:
            return bool(self.enforcer.enforce(rule_name, flatten(target), ctx.policy_credentials(),
                                              do_raise=False))
        except oslo_policy.InvalidScope:
            return False

    def enforce(self, rule_name: str, target: dict[str, Any], ctx: Context) -> None:
        if not self.check(rule_name, target, ctx):
            raise Forbidden(self.message.format(rule=rule_name), rule=rule_name)


def flatten(target: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"target": {"project": {"id": x}}} -> also {"target.project.id": x}, as keystone does, so
    check strings such as `%(target.project.domain_id)s` resolve."""
    out: dict[str, Any] = {}
    for key, value in target.items():
        name = f"{prefix}{key}"
        out[name] = value
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
    return out

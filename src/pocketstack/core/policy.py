"""Policy: oslo.policy enforcers, one per service, with upstream rule names and defaults.

Each service ships its rules as `DocumentedRuleDefault`s; an operator's
`<data_dir>/policy/<service-type>.yaml` overrides any of them, exactly as a policy file does
for the upstream service.

Every route names how it is guarded (`core.routing.Route.policy`): a registered rule name, which
the pipeline enforces before the handler; `in_handler(...)`, the rules a handler checks itself
because the rule depends on the body or the resource; or a `NoRule` marker (`PUBLIC`,
`ANY_USER`) saying why no rule applies. Every check, in the pipeline or in a handler, goes
through `Policy.authorize`, which refuses a rule name that has no registered default (as
oslo.policy's `Enforcer.authorize` does) instead of silently falling back to `default`.
`tests/contract/test_policy.py` walks every route of every service against these rules.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden

# oslo.policy (with oslo.config, oslo.utils and its check plugins: half a second of CPU to import) is
# imported when the first check builds an enforcer, not when a service declares its rules: the rules
# below record their arguments, and become oslo.policy's own objects then.


class RuleDefault:
    """oslo.policy's `RuleDefault(name, check_str, description, ..., scope_types=...)`, recorded."""

    def __init__(self, name: str, check_str: str, description: str | None = None, **kw: Any) -> None:
        self.name, self.check_str, self.description, self.kw = name, check_str, description, kw

    @property
    def scope_types(self) -> list[str] | None:
        return self.kw.get("scope_types")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.check_str!r})"

    def to_oslo(self) -> Any:
        from oslo_policy import policy as oslo_policy
        return oslo_policy.RuleDefault(self.name, self.check_str, self.description, **self.kw)


class DocumentedRuleDefault(RuleDefault):
    """oslo.policy's `DocumentedRuleDefault`: a rule with the API operations it guards."""

    def __init__(self, name: str, check_str: str, description: str, operations: list[dict[str, str]],
                 **kw: Any) -> None:
        super().__init__(name, check_str, description, **kw)
        self.operations = operations

    def to_oslo(self) -> Any:
        from oslo_policy import policy as oslo_policy
        return oslo_policy.DocumentedRuleDefault(self.name, self.check_str, self.description or "",
                                                 self.operations, **self.kw)


def __getattr__(name: str) -> Any:
    if name == "PolicyNotRegistered":       # oslo.policy's, raised by Policy.authorize
        from oslo_policy import policy as oslo_policy
        return oslo_policy.PolicyNotRegistered
    raise AttributeError(name)


@dataclass(frozen=True)
class NoRule:
    """A route that names no oslo.policy rule on purpose; `why` documents it."""

    why: str
    token: bool            # True: the route requires a valid token (auth=True)


PUBLIC = NoRule("public by definition: version documents, token issue, pre-signed URLs, Swift (its own "
                "ACLs), OAuth1 token exchange, placeholders for versions that do not exist", token=False)
ANY_USER = NoRule("any authenticated caller: upstream guards this operation with no rule either "
                  "(nova's flavors and image proxy, cinder's limits, neutron's extension list...), "
                  "or the route only answers 404 for a method or version that does not exist", token=True)


@dataclass(frozen=True)
class InHandler:
    """The handler authorizes itself, through `Policy.authorize`, with one of these rules: the
    rule depends on the request body (an action) or on the resource (concealment as 404)."""

    rules: tuple[str, ...]


def in_handler(*rules: str) -> InHandler:
    if not rules:
        raise ValueError("in_handler() needs the rule names the handler checks")
    return InHandler(tuple(sorted(set(rules))))


def rules_from_yaml(path: Path) -> list[RuleDefault]:
    """A service's rules kept as data: a YAML list of {name, check_str, description, scope_types,
    operations}; entries with operations are documented API rules, the others base rules."""
    rules: list[RuleDefault] = []
    for item in _load_rule_data(path):
        if "operations" in item:
            rules.append(DocumentedRuleDefault(item["name"], item["check_str"], item.get("description", ""),
                                               item["operations"], scope_types=item.get("scope_types")))
        else:
            rules.append(RuleDefault(item["name"], item["check_str"], item.get("description"),
                                     scope_types=item.get("scope_types")))
    return rules


def _cache_dir() -> Path:
    import platformdirs
    return Path(platformdirs.user_cache_dir("pocketstack")) / "policy"


def _load_rule_data(path: Path) -> Any:
    """The YAML's data, parsed once per content: kept as JSON under the user's cache dir, named by
    the file's SHA-256 (parsing every service's rules took a second or more at each start). Any
    trouble with the cache falls back to parsing the file."""
    raw = path.read_bytes()
    cached = _cache_dir() / f"{path.parent.name}-{hashlib.sha256(raw).hexdigest()}.json"
    try:
        return json.loads(cached.read_bytes())
    except (OSError, ValueError):
        pass
    import yaml
    data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))   # libyaml when there
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(data, f)
            os.replace(tmp, cached)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError:
        pass
    return data


def rule(name: str, check_str: str, description: str, operations: list[tuple[str, str]],
         scope_types: list[str] | None = None) -> DocumentedRuleDefault:
    """A documented rule naming the routes it guards: operations are (method, path) pairs."""
    return DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{"method": m, "path": p} for m, p in operations],
        scope_types=scope_types)


def operator_file(policy_dir: Path, service_type: str) -> Path:
    """Where an operator's policy file for the service is (the data dir's policy/<type>.yaml)."""
    return policy_dir / f"{service_type}.yaml"


class Policy:
    """One service's rules and oslo.policy enforcer. The enforcer is built on the first check (or at
    once when the operator has a policy file for the service, so a broken file stops the start)."""

    def __init__(self, service_type: str, rules: list[RuleDefault], policy_dir: Path | None,
                 message: str = "You are not authorized to perform the requested action: {rule}.") -> None:
        self.rules = list(rules)
        self.policy_file: str | None = None
        if policy_dir is not None and operator_file(policy_dir, service_type).exists():
            self.policy_file = str(operator_file(policy_dir, service_type))
        self.message = message
        self.names = {r.name for r in self.rules}
        self._enforcer: Any = None
        self._lock = threading.Lock()
        if self.policy_file is not None:
            self._build()

    @property
    def enforcer(self) -> Any:
        return self._enforcer if self._enforcer is not None else self._build()

    def _build(self) -> Any:
        with self._lock:
            if self._enforcer is not None:
                return self._enforcer
            from oslo_config import cfg
            from oslo_policy import policy as oslo_policy
            conf = cfg.ConfigOpts()
            conf([], project="pocketstack", default_config_files=[], default_config_dirs=[])
            # use_conf=True is what makes oslo.policy merge the registered defaults into its rules;
            # a missing file is fine (the defaults alone apply).
            enforcer = oslo_policy.Enforcer(conf, policy_file=self.policy_file or "/nonexistent/policy.yaml",
                                            use_conf=True)
            enforcer.conf.set_override("policy_dirs", [], group="oslo_policy")
            enforcer.register_defaults([r.to_oslo() for r in self.rules])
            enforcer.load_rules()
            if self.policy_file is None:
                # the defaults are merged now; without this every check would search the disk again
                # for the missing file (about 4% of a cheap request's time)
                enforcer.use_conf = False
            self._enforcer = enforcer
            return enforcer

    def authorize(self, rule_name: str, target: dict[str, Any], ctx: Context, *, do_raise: bool = True) -> bool:
        """The one policy check: False (or Forbidden with do_raise) when denied; PolicyNotRegistered
        when `rule_name` has no registered default (a misspelling is a bug, not a `default` check).
        The answer is kept on the context: one caller, one rule, one target, one answer per request."""
        key = (id(self), rule_name, _target_key(target))
        allowed = ctx.policy_memo.get(key)
        if allowed is None:
            from oslo_policy import policy as oslo_policy
            try:
                allowed = bool(self.enforcer.authorize(rule_name, flatten(target), ctx.policy_credentials(),
                                                       do_raise=False))
            except oslo_policy.InvalidScope:
                allowed = False
            if len(ctx.policy_memo) > 4096:
                ctx.policy_memo.clear()
            ctx.policy_memo[key] = allowed
        if not allowed and do_raise:
            raise Forbidden(self.message.format(rule=rule_name), rule=rule_name)
        return allowed

    def check(self, rule_name: str, target: dict[str, Any], ctx: Context) -> bool:
        return self.authorize(rule_name, target, ctx, do_raise=False)

    def enforce(self, rule_name: str, target: dict[str, Any], ctx: Context) -> None:
        self.authorize(rule_name, target, ctx)


class BootstrapPolicy(Policy):
    """The policy of a service's first-start bootstrap (its rows written as the cloud's admin, before
    anything serves): every registered rule is allowed without building an enforcer, which would
    import oslo.policy and oslo.config (a quarter of a second of a first start) for checks that all
    pass. tests/core/test_policy_rules.py runs a bootstrap with the real rules and checks that
    every one of its checks is allowed, so this changes nothing. The app replaces it with the
    service's real policy when it mounts the service, before the first request."""

    def __init__(self, service_type: str, rules: list[RuleDefault]) -> None:
        super().__init__(service_type, rules, None)

    def authorize(self, rule_name: str, target: dict[str, Any], ctx: Context, *, do_raise: bool = True) -> bool:
        if rule_name not in self.names:
            raise LookupError(f"policy rule {rule_name!r} is not registered")   # a bug, as in authorize
        return True


def _target_key(target: dict[str, Any]) -> Any:
    """A hashable form of a policy target: its items when flat (the usual {"project_id": ...}), else JSON."""
    try:
        return frozenset(target.items())     # TypeError for an unhashable value (a nested dict)
    except TypeError:
        return json.dumps(target, sort_keys=True, default=str)


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

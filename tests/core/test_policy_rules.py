"""Policy rules load fast: the YAML is parsed once per content (a JSON copy in the user's cache
dir), and oslo.policy's enforcer is built on the first check, or at once when the operator has a
policy file for the service (a broken file stops the start, as before)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pocketstack.core.context import Context
from pocketstack.core.errors import Forbidden
from pocketstack.core.policy import BootstrapPolicy, Policy, RuleDefault, rule, rules_from_yaml

YAML = """- name: demo:get
  check_str: role:reader
  description: Get a demo.
  scope_types: [project]
  operations: [{method: GET, path: /demo}]
- name: admin_only
  check_str: role:admin
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "pocketstack" / "policy"


def test_rules_are_parsed_once_per_content(tmp_path, cache):
    source = tmp_path / "demo" / "policies.yaml"
    source.parent.mkdir()
    source.write_text(YAML)
    first = rules_from_yaml(source)
    assert [(r.name, r.check_str, r.scope_types) for r in first] == [
        ("demo:get", "role:reader", ["project"]), ("admin_only", "role:admin", None)]
    assert first[0].operations == [{"method": "GET", "path": "/demo"}]
    (copy,) = cache.glob("demo-*.json")
    copy.write_text('[{"name": "from:cache", "check_str": ""}]')
    assert [r.name for r in rules_from_yaml(source)] == ["from:cache"]       # same content: the copy
    source.write_text(YAML.replace("role:reader", "role:member"))
    assert rules_from_yaml(source)[0].check_str == "role:member"              # new content: parsed again
    copy.write_text("not json")
    source.write_text(YAML)
    assert rules_from_yaml(source)[0].check_str == "role:reader"              # a broken copy is ignored


def test_the_enforcer_is_built_on_the_first_check(tmp_path):
    policy = Policy("demo", [rule("demo:get", "role:reader", "Get.", [("GET", "/demo")])], tmp_path)
    assert policy._enforcer is None
    reader = Context(request_id="req-x", user_id="u", project_id="p", roles=["reader"])
    assert policy.check("demo:get", {}, reader) is True
    assert policy._enforcer is not None


def test_an_operator_policy_file_is_read_at_once_and_honoured(tmp_path):
    (tmp_path / "demo.yaml").write_text('"demo:get": "role:admin"\n')
    policy = Policy("demo", [rule("demo:get", "role:reader", "Get.", [("GET", "/demo")])], tmp_path)
    assert policy._enforcer is not None
    reader = Context(request_id="req-x", user_id="u", project_id="p", roles=["reader"])
    with pytest.raises(Forbidden):
        policy.enforce("demo:get", {}, reader)


BOOTSTRAP_CHECKS = """
import json, sys, tempfile
from pathlib import Path
from pocketstack.core import policy
seen = []
def real(self, rule_name, target, ctx, *, do_raise=True):
    allowed = policy.Policy.authorize(self, rule_name, target, ctx, do_raise=False)
    seen.append([rule_name, allowed])
    return allowed
policy.BootstrapPolicy.authorize = real
from pocketstack.app import prepare
from pocketstack.config import Settings
assert prepare(Settings(data_dir=Path(tempfile.mkdtemp()), admin_password="pw"))
print(json.dumps(seen))
"""


def test_every_check_a_bootstrap_makes_is_allowed_by_the_real_rules():
    """BootstrapPolicy allows a first start's checks without an enforcer: with the real rules each of
    them must be allowed (else the bootstrap would write what its policy refuses)."""
    out = subprocess.run([sys.executable, "-c", BOOTSTRAP_CHECKS], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen, "the bootstrap made no policy check: this test no longer covers anything"
    assert [rule for rule, allowed in seen if not allowed] == []


def test_the_bootstrap_policy_refuses_an_unknown_rule():
    bootstrap = BootstrapPolicy("network", [RuleDefault("create_network", "role:admin")])
    assert bootstrap.check("create_network", {}, Context(request_id="r"))
    with pytest.raises(LookupError):
        bootstrap.check("create_netwrok", {}, Context(request_id="r"))

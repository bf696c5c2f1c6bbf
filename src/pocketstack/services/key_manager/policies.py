"""Key Manager policy rules: upstream Barbican names and secure-RBAC defaults
(barbican/common/policies/*.py), kept as data in policies.yaml.

quirk: upstream prefixes each new default with `True:%(enforce_new_defaults)s and`, a switch for the
legacy rules during the transition; this cloud always enforces the new defaults, so it is dropped.
quirk: project_quotas:* keep their deprecated alternative `role:key-manager:service-admin` (the legacy
`rule:service_admin`, which oslo.policy ORs in as DevStack runs Barbican), the role DevStack's plugin makes
for quota administration and barbican-tempest-plugin's ProjectQuotasTest uses."""

from __future__ import annotations

from pathlib import Path

from pocketstack.core.policy import rules_from_yaml

RULES = rules_from_yaml(Path(__file__).parent / "policies.yaml")

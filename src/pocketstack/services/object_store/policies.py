"""Who may do what: Swift has no oslo.policy file; keystoneauth's role options are its policy.

Defaults as DevStack configures keystoneauth (swift/common/middleware/keystoneauth.py):
operator_roles = admin, member, swiftoperator; reseller_admin_role = ResellerAdmin. Readers of the
project may read (keystoneauth's project_reader_roles); service tokens are not required.
"""

from __future__ import annotations

from typing import Any

OPERATOR_ROLES = frozenset({"admin", "member", "swiftoperator"})
READER_ROLES = frozenset({"reader"})
RESELLER_ADMIN_ROLE = "reselleradmin"

RULES: list[Any] = []   # no oslo.policy rules: authorization is keystoneauth's (see acl.py)

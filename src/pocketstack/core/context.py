"""The request context: who is calling, with which scope, roles and API version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pocketstack.core.versions import APIVersion


@dataclass
class Context:
    request_id: str
    base_url: str = ""                       # scheme://host:port of this request, for links
    token: str | None = None                 # the raw X-Auth-Token
    user_id: str | None = None
    user_name: str | None = None
    user_domain_id: str | None = None
    user_domain_name: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    project_domain_name: str | None = None
    domain_id: str | None = None             # domain-scoped token
    domain_name: str | None = None
    system_scope: str | None = None          # "all" for a system-scoped token
    roles: list[str] = field(default_factory=list)
    role_ids: list[str] = field(default_factory=list)
    is_admin_project: bool = False
    audit_ids: list[str] = field(default_factory=list)
    auth_methods: list[str] = field(default_factory=list)
    application_credential_id: str | None = None
    trust_id: str | None = None
    token_data: dict[str, Any] = field(default_factory=dict)  # the validated token body
    version: APIVersion | None = None         # negotiated microversion, if the service has them
    service_type: str | None = None
    global_request_id: str | None = None
    # the service acting for the user, from a valid X-Service-Token (keystonemiddleware's X-Service-*)
    service_user_id: str | None = None
    service_user_name: str | None = None
    service_project_id: str | None = None
    service_roles: list[str] = field(default_factory=list)
    # policy answers already given to this caller (core.policy): a list of 1,000 servers asks the
    # same three rules of the same project 1,000 times
    policy_memo: dict[tuple[int, str, Any], bool] = field(default_factory=dict, repr=False, compare=False)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_system(self) -> bool:
        return self.system_scope == "all"

    def policy_credentials(self) -> dict[str, Any]:
        """The credentials dict oslo.policy checks rules against (keystonemiddleware's names)."""
        return {
            "user_id": self.user_id, "user_domain_id": self.user_domain_id,
            "project_id": self.project_id, "project_domain_id": self.project_domain_id,
            "domain_id": self.domain_id, "system_scope": self.system_scope,
            "roles": list(self.roles), "is_admin_project": self.is_admin_project,
            "service_user_id": self.service_user_id, "service_project_id": self.service_project_id,
            "service_roles": list(self.service_roles),
            "trust_id": self.trust_id, "application_credential_id": self.application_credential_id,
            "token": self.token_data,
        }

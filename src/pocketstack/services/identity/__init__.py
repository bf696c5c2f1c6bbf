"""Identity (Keystone v3): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.identity import (
    access_rules, application_credentials, auth, bootstrap, credentials, domain_configs, domains, ec2,
    endpoint_groups, endpoints, errors, federation, grants, groups, limits, oauth1, policies,
    policies_api, projects, regions, role_assignments, roles, service_users, services, trusts, users, versions)
from pocketstack.services.identity.auth import validate_token as token_validator
from pocketstack.services.identity.service_users import mint as token_minter

SERVICE = Service(
    **about("identity"),
    routes=[*versions.ROUTES, *auth.ROUTES, *domains.ROUTES, *projects.ROUTES, *users.ROUTES, *groups.ROUTES,
            *roles.ROUTES, *grants.ROUTES, *role_assignments.ROUTES, *regions.ROUTES, *services.ROUTES,
            *endpoints.ROUTES, *endpoint_groups.ROUTES, *policies_api.ROUTES, *limits.ROUTES,
            *domain_configs.ROUTES, *credentials.ROUTES, *application_credentials.ROUTES,
            *access_rules.ROUTES, *trusts.ROUTES, *ec2.ROUTES, *federation.ROUTES, *oauth1.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    bootstrap=bootstrap.run,
    startup=service_users.ensure,
)

__all__ = ["SERVICE", "token_validator", "token_minter"]

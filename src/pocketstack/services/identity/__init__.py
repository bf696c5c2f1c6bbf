"""Identity (Keystone v3): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services.identity import (
    auth, bootstrap, domains, errors, options, policies, projects, versions)
from pocketstack.services.identity.auth import validate_token as token_validator

SERVICE = Service(
    type="identity",
    prefixes=["/identity", ""],
    routes=[*versions.ROUTES, *auth.ROUTES, *domains.ROUTES, *projects.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    bootstrap=bootstrap.run,
    startup=options.load,
    catalog=[("identity", "keystone", "/identity")],
)

__all__ = ["SERVICE", "token_validator"]

"""Orchestration (Heat v1): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services import about
from pocketstack.services.orchestration import (
    actions, discovery, errors, policies, resources, snapshots, software_configs, software_deployments, stacks,
    templates)
from pocketstack.services.orchestration.engine import operations

SERVICE = Service(
    max_body=1048576,   # heat's max_json_body_size (templates and files travel in the JSON body)
    **about("orchestration"),
    routes=[*discovery.ROUTES, *templates.ROUTES, *software_configs.ROUTES, *software_deployments.ROUTES,
            *resources.ROUTES, *actions.ROUTES, *snapshots.ROUTES, *stacks.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    startup=operations.startup,
)

__all__ = ["SERVICE"]

"""Orchestration (Heat v1): everything app.py needs to know about it."""

from pocketstack.core.routing import Service
from pocketstack.services.orchestration import (
    actions, discovery, errors, policies, resources, snapshots, software_configs, software_deployments, stacks,
    templates)
from pocketstack.services.orchestration.engine import operations

SERVICE = Service(
    max_body=1048576,   # heat's max_json_body_size (templates and files travel in the JSON body)
    type="orchestration",
    prefixes=["/heat-api", "/heat-api-cfn"],
    routes=[*discovery.ROUTES, *templates.ROUTES, *software_configs.ROUTES, *software_deployments.ROUTES,
            *resources.ROUTES, *actions.ROUTES, *snapshots.ROUTES, *stacks.ROUTES],
    render_error=errors.render,
    policies=policies.RULES,
    startup=operations.startup,
    catalog=[("orchestration", "heat", "/heat-api/v1/$(project_id)s"),
             ("cloudformation", "heat-cfn", "/heat-api-cfn/v1")],
)

__all__ = ["SERVICE"]

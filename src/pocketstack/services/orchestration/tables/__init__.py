"""The Orchestration service's SQL tables (heat/db/models.py), one module per concept."""

from pocketstack.services.orchestration.tables.software import software_configs, software_deployments
from pocketstack.services.orchestration.tables.stacks import events, resources, snapshots, stack_tags, stacks

__all__ = ["events", "resources", "snapshots", "software_configs", "software_deployments", "stack_tags", "stacks"]

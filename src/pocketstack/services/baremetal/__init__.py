"""Bare Metal (Ironic v1): everything app.py needs to know about it."""

from dataclasses import replace

from pocketstack.core.routing import Service
from pocketstack.services.baremetal import (
    allocations, bootstrap, chassis, common, deploy_templates, discovery, drivers, errors, inspection_rules,
    node_extras, node_states, node_traits, nodes, policies, portgroups, ports, ramdisk, runbooks, volume)
from pocketstack.services.baremetal.versions import MICROVERSIONS

V1_ROUTES = [*nodes.ROUTES, *node_states.ROUTES, *node_traits.ROUTES, *node_extras.ROUTES, *ports.ROUTES,
             *portgroups.ROUTES, *chassis.ROUTES, *drivers.ROUTES, *allocations.ROUTES,
             *volume.ROUTES, *deploy_templates.ROUTES, *ramdisk.ROUTES, *runbooks.ROUTES,
             *inspection_rules.ROUTES]
# quirk: ironic routes a path without its /v1 (GET /drivers) to v1 (controllers/root.py _lookup)
UNVERSIONED = [replace(r, path=r.path[len("/v1"):]) for r in V1_ROUTES]

SERVICE = Service(
    max_body=None,
    # ironic's own request id header; from 1.107 (always, as ironic's middleware) x-openstack-request-id too
    request_id_headers=("openstack-request-id",),      # ironic takes config drives (up to 64 MiB, gzipped base64) in JSON bodies
    type="baremetal",
    prefixes=["/baremetal"],
    routes=[*discovery.ROUTES, *V1_ROUTES, *UNVERSIONED],
    render_error=errors.render,
    policies=policies.RULES,
    microversions=MICROVERSIONS,
    startup=bootstrap.startup,
    catalog=[("baremetal", "ironic", "/baremetal")],
)
common.bind(SERVICE)

__all__ = ["SERVICE"]

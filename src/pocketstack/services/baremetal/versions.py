"""Bare Metal microversions: ironic's names (ironic/api/controllers/v1/versions.py), one constant per
version this service acts on, with the note from its version history."""

from __future__ import annotations

from pocketstack.core.versions import Microversions, V

MIN = V("1.1", "the initial version")
AVAILABLE_STATE = V("1.2", "'available' replaces the empty provision state")
DRIVER_INTERNAL_INFO = V("1.3", "nodes show driver_internal_info")
MANAGEABLE_STATE = V("1.4", "manage and provide verbs")
NODE_NAME = V("1.5", "nodes have a name")
INSPECT_STATE = V("1.6", "inspect verb, inspection_*_at fields")
NODE_CLEAN = V("1.7", "nodes show clean_step")
FIELDS = V("1.8", "?fields= on nodes, ports and chassis")
PROVISION_STATE_FILTER = V("1.9", "?provision_state= on node lists")
UNRESTRICTED_NAME = V("1.10", "node names may use ~ . _ and -")
ENROLL_STATE = V("1.11", "new nodes start in enroll")
RAID_CONFIG = V("1.12", "raid_config, target_raid_config")
ABORT_VERB = V("1.13", "abort verb")
LINKS_STATES = V("1.14", "links to node states and driver properties")
MANUAL_CLEAN = V("1.15", "clean verb with clean_steps")
DRIVER_FILTER = V("1.16", "?driver= on node lists")
ADOPT_VERB = V("1.17", "adopt verb")
PORT_INTERNAL_INFO = V("1.18", "ports show internal_info")
PORT_ADVANCED_NET = V("1.19", "ports have local_link_connection and pxe_enabled")
NETWORK_INTERFACE = V("1.20", "network_interface on nodes")
RESOURCE_CLASS = V("1.21", "resource_class on nodes")
PORTGROUPS = V("1.23", "portgroups")
PORTGROUPS_SUBCONTROLLERS = V("1.24", "/nodes/{id}/portgroups, /portgroups/{id}/ports, port portgroup_uuid")
UNSET_CHASSIS = V("1.25", "chassis_uuid may be removed from a node")
PORTGROUP_MODE = V("1.26", "portgroup mode and properties")
SOFT_POWER = V("1.27", "soft reboot and soft power off, power timeout")
VIFS = V("1.28", "/nodes/{id}/vifs")
INJECT_NMI = V("1.29", "/nodes/{id}/management/inject_nmi")
DYNAMIC_DRIVERS = V("1.30", "hardware types: driver type and detail")
DYNAMIC_INTERFACES = V("1.31", "the *_interface fields of nodes")
VOLUME = V("1.32", "volume connectors and targets")
STORAGE_INTERFACE = V("1.33", "storage_interface on nodes")
PORT_PHYSNET = V("1.34", "physical_network on ports")
NODE_TRAITS = V("1.37", "node traits")
RESCUE_INTERFACE = V("1.38", "rescue and unrescue verbs, rescue_interface")
INSPECT_WAIT = V("1.39", "inspect wait state")
BIOS_INTERFACE = V("1.40", "bios_interface on nodes")
INSPECT_ABORT = V("1.41", "abort from inspect wait")
FAULT = V("1.42", "fault on nodes, ?fault= on node lists")
DETAIL_QUERY = V("1.43", "?detail= on node lists")
DEPLOY_STEP = V("1.44", "deploy_step on nodes")
RESET_INTERFACES = V("1.45", "PATCH ?reset_interfaces=")
CONDUCTOR_GROUP = V("1.46", "conductor_group on nodes")
AUTOMATED_CLEAN = V("1.47", "automated_clean on nodes")
PROTECTED = V("1.48", "protected and protected_reason on nodes")
CONDUCTORS = V("1.49", "/conductors, conductor on nodes")
OWNER = V("1.50", "owner on nodes")
DESCRIPTION = V("1.51", "description on nodes")
ALLOCATIONS = V("1.52", "allocations")
SMARTNIC = V("1.53", "is_smartnic on ports")
DEPLOY_TEMPLATES = V("1.55", "deploy templates")
EVENTS = V("1.54", "/events")
ALLOCATION_UPDATE = V("1.57", "allocations can be updated")
ALLOCATION_BACKFILL = V("1.58", "allocations for already deployed nodes")
ALLOCATION_OWNER = V("1.60", "owner on allocations")
RETIRED = V("1.61", "retired and retired_reason on nodes")
LLC_NETWORK_TYPE = V("1.64", "network_type in local_link_connection")
LESSEE = V("1.65", "lessee on nodes")
NETWORK_DATA = V("1.66", "network_data on nodes")
VIF_PORT = V("1.67", "VIF attach to a given port")
RBAC_SCOPES = V("1.71", "scoped RBAC")
DEPLOY_UNDEPLOY_VERBS = V("1.73", "deploy and undeploy verbs")
BOOT_MODE = V("1.75", "boot_mode and secure_boot on nodes")
NODE_HISTORY = V("1.78", "/nodes/{id}/history")
CHANGE_BOOT_MODE = V("1.76", "PUT /states/boot_mode and /states/secure_boot")
ALLOCATION_NODE_NAME = V("1.79", "allocations may name a node by name")
PROJECT_CREATE_DELETE = V("1.80", "project admins may create and delete their nodes")
NODE_INVENTORY = V("1.81", "/nodes/{id}/inventory")
SHARD = V("1.82", "shard on nodes, /shards")
PARENT_NODE = V("1.83", "parent_node on nodes")
UNHOLD_VERB = V("1.85", "unhold verb")
FIRMWARE_INTERFACE = V("1.86", "firmware_interface on nodes")
SERVICE = V("1.87", "service verb, service_step on nodes")
MAX = SERVICE

MIN_HEADER = "X-OpenStack-Ironic-API-Minimum-Version"
MAX_HEADER = "X-OpenStack-Ironic-API-Maximum-Version"
MICROVERSIONS = Microversions(
    name="baremetal", min=MIN, max=MAX, legacy=("X-OpenStack-Ironic-API-Version",),
    extra_headers={MIN_HEADER: str(MIN), MAX_HEADER: str(MAX)})

# the provision verbs and the version each needs (utils.MIN_VERB_VERSIONS)
VERB_VERSIONS = {"manage": MANAGEABLE_STATE, "provide": MANAGEABLE_STATE, "inspect": INSPECT_STATE,
                 "abort": ABORT_VERB, "clean": MANUAL_CLEAN, "adopt": ADOPT_VERB, "rescue": RESCUE_INTERFACE,
                 "unrescue": RESCUE_INTERFACE, "deploy": DEPLOY_UNDEPLOY_VERBS,
                 "undeploy": DEPLOY_UNDEPLOY_VERBS, "unhold": UNHOLD_VERB, "service": SERVICE}

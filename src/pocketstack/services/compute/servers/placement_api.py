"""Nova's placement client and resource tracker: each compute host a resource provider (its inventory
from this host's driver), allocation candidates filtered and weighed by the scheduler and claimed for
builds, migration-uuid consumers for resizes and migrations (nova/scheduler/client/report.py,
nova/compute/resource_tracker.py, nova/scheduler/manager.py). Nova talks to Placement with its own
service credentials, and so does this module."""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

from pocketstack.core import hosts, internal_client, service_auth
from pocketstack.services.compute import common, drivers
from pocketstack.services.compute.servers import scheduler

LOG = logging.getLogger("pocketstack.compute")
PL = "/placement"
VERSION = {"OpenStack-API-Version": "placement 1.39"}
NO_VALID_HOST = "No valid host was found. There are not enough hosts available."

# nova.conf defaults: [DEFAULT] cpu/ram/disk_allocation_ratio initial values, reserved_host_memory_mb
# (the host's size is the driver's: drivers.current().host_resources())
DEFAULTS: dict[str, Any] = {"cpu_allocation_ratio": 16.0, "ram_allocation_ratio": 1.5, "disk_allocation_ratio": 1.0,
                            "reserved_host_memory_mb": 512, "reserved_host_disk_mb": 0, "reserved_host_cpus": 0}
_capacity: dict[str, Any] = dict(DEFAULTS)
_registered = threading.Event()
_lock = threading.Lock()


class NoValidHost(Exception):
    pass


class PlacementError(Exception):
    """Placement refused a call the compute service needed."""


def configure(settings: Any) -> None:
    """Allocation ratios and reservations, from the `compute:` section of the config file."""
    options = (settings.option("compute") if settings is not None else None) or {}
    _capacity.update({k: options[k] for k in DEFAULTS if k in options})
    _registered.clear()


def host_capacity() -> dict[str, Any]:
    host = drivers.current().host_resources()
    return {**_capacity, "vcpus": host.vcpus, "memory_mb": host.memory_mb, "local_gb": host.local_gb}


def _call(method: str, path: str, json: Any = None) -> Any:
    return internal_client.call(method, PL + path, token=service_auth.token("compute"), json=json, headers=VERSION)


def inventory() -> dict[str, dict[str, Any]]:
    c = host_capacity()
    return {
        "VCPU": {"total": int(c["vcpus"]), "reserved": int(c["reserved_host_cpus"]), "min_unit": 1,
                 "max_unit": int(c["vcpus"]), "step_size": 1, "allocation_ratio": float(c["cpu_allocation_ratio"])},
        "MEMORY_MB": {"total": int(c["memory_mb"]), "reserved": int(c["reserved_host_memory_mb"]), "min_unit": 1,
                      "max_unit": int(c["memory_mb"]), "step_size": 1,
                      "allocation_ratio": float(c["ram_allocation_ratio"])},
        "DISK_GB": {"total": int(c["local_gb"]), "reserved": math.ceil(int(c["reserved_host_disk_mb"]) / 1024),
                    "min_unit": 1, "max_unit": int(c["local_gb"]), "step_size": 1,
                    "allocation_ratio": float(c["disk_allocation_ratio"])},
    }


def ensure_host() -> str:
    """The resource tracker's update: the host's provider (uuid = the compute node's) and its inventory."""
    rp_uuid = common.HYPERVISOR_ID
    if _registered.is_set():
        return rp_uuid
    with _lock:
        if _registered.is_set():
            return rp_uuid
        r = _call("GET", f"/resource_providers/{rp_uuid}")
        if r.status_code == 404:
            r = _call("POST", "/resource_providers", json={"uuid": rp_uuid, "name": common.HOST})
            if r.status_code not in (200, 409):
                raise PlacementError(f"could not create the resource provider of {common.HOST}: {r.text[:300]}")
            r = _call("GET", f"/resource_providers/{rp_uuid}")
        have = _call("GET", f"/resource_providers/{rp_uuid}/inventories").json()
        if have["inventories"] != inventory():
            r = _call("PUT", f"/resource_providers/{rp_uuid}/inventories", json={
                "resource_provider_generation": have["resource_provider_generation"], "inventories": inventory()})
            if r.status_code != 200:
                raise PlacementError(f"could not set the inventory of {common.HOST}: {r.text[:300]}")
        traits = _call("GET", f"/resource_providers/{rp_uuid}/traits").json()
        if "COMPUTE_NODE" not in traits["traits"]:
            _call("PUT", f"/resource_providers/{rp_uuid}/traits", json={
                "resource_provider_generation": traits["resource_provider_generation"],
                "traits": sorted({*traits["traits"], "COMPUTE_NODE"})})
        _registered.set()
    return rp_uuid


def resources_of(flavor: dict[str, Any], boot_from_volume: bool = False) -> dict[str, int]:
    """nova's resources_from_flavor: root disk not counted when booting from a volume."""
    disk = (0 if boot_from_volume else flavor.get("disk") or 0) + (flavor.get("ephemeral") or 0) + \
        math.ceil((flavor.get("swap") or 0) / 1024)
    wanted = {"VCPU": flavor.get("vcpus") or 0, "MEMORY_MB": flavor.get("ram") or 0, "DISK_GB": disk}
    return {rc: int(n) for rc, n in wanted.items() if n}


def allocations_of(consumer: str) -> dict[str, Any]:
    r = _call("GET", f"/allocations/{consumer}")
    return r.json() if r.status_code == 200 else {"allocations": {}}


def _candidates(server: dict[str, Any], wanted: dict[str, int], allowed: set[str]) -> list[tuple[str, Any]]:
    """(host, allocation request) on allowed hosts, in the scheduler's order."""
    if not allowed:
        return []
    query = ",".join(f"{rc}:{n}" for rc, n in wanted.items())
    r = _call("GET", f"/allocation_candidates?resources={query}&limit=1000")
    if r.status_code != 200:
        raise PlacementError(f"allocation candidates failed: {r.text[:300]}")
    body = r.json()
    return scheduler.order(body["allocation_requests"], body.get("provider_summaries") or {}, allowed)


def host_of(allocations: dict[str, Any]) -> str | None:
    """The compute host whose provider holds these allocations."""
    for svc in hosts.rows("nova-compute"):
        if common.hypervisor_id(svc["host"]) in allocations:
            return str(svc["host"])
    return None


def claim(server: dict[str, Any]) -> str:
    """Schedule and claim (nova's select_destinations + claim_resources): the first candidate host that can
    still be claimed wins, and is returned; none left is NoValidHost."""
    ensure_host()
    held = allocations_of(server["id"])["allocations"]
    if held:                                     # claimed by an earlier attempt of this build
        return host_of(held) or common.HOST
    wanted = resources_of(server["flavor"], boot_from_volume=not server["image_id"])
    for chosen, candidate in _candidates(server, wanted, scheduler.candidate_hosts(server)):
        put = _call("PUT", f"/allocations/{server['id']}", json={
            "allocations": candidate["allocations"], "project_id": server["project_id"],
            "user_id": server["user_id"], "consumer_generation": None, "consumer_type": "INSTANCE"})
        if put.status_code == 204:
            return chosen
        LOG.info("claim for %s lost a race: %s", server["id"], put.text[:200])
    raise NoValidHost(NO_VALID_HOST)


def free(consumer: str) -> None:
    r = _call("DELETE", f"/allocations/{consumer}")
    if r.status_code not in (204, 404):
        raise PlacementError(f"could not free the allocations of {consumer}: {r.text[:300]}")


def start_resize(server: dict[str, Any], migration_uuid: str, new_flavor: dict[str, Any], *,
                 exclude: str | None = None, host: str | None = None) -> str:
    """Nova's move claim: the old flavor's allocations move to the migration consumer and the server claims
    the new flavor on the destination the scheduler picks (`exclude` the source for a migration, `host`
    as asked), in one POST /allocations. Returns the destination."""
    ensure_host()
    current = allocations_of(server["id"])
    if not current["allocations"]:
        raise PlacementError(f"server {server['id']} has no allocations to move")
    if allocations_of(migration_uuid)["allocations"]:
        return host_of(current["allocations"]) or common.HOST      # done by an earlier attempt
    new = resources_of(new_flavor, boot_from_volume=not server["image_id"])
    allowed = scheduler.candidate_hosts(server, exclude=exclude, host=host, move=True)
    for chosen, candidate in _candidates(server, new, allowed):
        body = {
            migration_uuid: {"allocations": {rp: {"resources": a["resources"]} for rp, a in
                                             current["allocations"].items()},
                             "project_id": server["project_id"], "user_id": server["user_id"],
                             "consumer_generation": None, "consumer_type": "MIGRATION"},
            server["id"]: {"allocations": candidate["allocations"],
                           "project_id": server["project_id"], "user_id": server["user_id"],
                           "consumer_generation": current.get("consumer_generation"), "consumer_type": "INSTANCE"},
        }
        r = _call("POST", "/allocations", json=body)
        if r.status_code == 204:
            return chosen
        if r.status_code != 409:
            raise PlacementError(f"could not claim the move of {server['id']}: {r.text[:300]}")
        current = allocations_of(server["id"])
    raise NoValidHost(NO_VALID_HOST)


def move_to(server: dict[str, Any], *, exclude: str | None = None, host: str | None = None) -> str:
    """A live migration's or an evacuation's claim: the server's allocations move whole to a destination
    (the source's are dropped: a live migration's source is done with the guest, an evacuated host is
    gone). Returns the destination."""
    ensure_host()
    current = allocations_of(server["id"])
    wanted = resources_of(server["flavor"], boot_from_volume=not server["image_id"])
    allowed = scheduler.candidate_hosts(server, exclude=exclude, host=host, move=True)
    for chosen, candidate in _candidates(server, wanted, allowed):
        r = _call("PUT", f"/allocations/{server['id']}", json={
            "allocations": candidate["allocations"], "project_id": server["project_id"],
            "user_id": server["user_id"], "consumer_generation": current.get("consumer_generation"),
            "consumer_type": "INSTANCE"})
        if r.status_code == 204:
            return chosen
        current = allocations_of(server["id"])
    raise NoValidHost(NO_VALID_HOST)


def confirm_resize(migration_uuid: str) -> None:
    free(migration_uuid)


def revert_resize(server: dict[str, Any], migration_uuid: str) -> None:
    """The migration's allocations (the old flavor) go back to the server."""
    held = allocations_of(migration_uuid)
    if not held["allocations"]:
        return
    current = allocations_of(server["id"])
    body = {
        server["id"]: {"allocations": {rp: {"resources": a["resources"]} for rp, a in held["allocations"].items()},
                       "project_id": server["project_id"], "user_id": server["user_id"],
                       "consumer_generation": current.get("consumer_generation"), "consumer_type": "INSTANCE"},
        migration_uuid: {"allocations": {}, "project_id": server["project_id"], "user_id": server["user_id"],
                         "consumer_generation": held.get("consumer_generation"), "consumer_type": "MIGRATION"},
    }
    r = _call("POST", "/allocations", json=body)
    if r.status_code != 204:
        raise PlacementError(f"could not revert the resize claim of {server['id']}: {r.text[:300]}")


def host_usage(rp_uuid: str) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """(inventory, usages) of a host's provider, for os-hypervisors (empty before the host registered it)."""
    ensure_host()
    r = _call("GET", f"/resource_providers/{rp_uuid}/inventories")
    if r.status_code != 200:
        return {}, {}
    used = _call("GET", f"/resource_providers/{rp_uuid}/usages").json()["usages"]
    return r.json()["inventories"], used

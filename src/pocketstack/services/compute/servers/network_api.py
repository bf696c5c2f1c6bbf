"""Nova's neutron client: the network service's REST API through the in-process client, with the caller's token
(nova/network/neutron.py: validate_networks, allocate_for_instance, deallocate_for_instance)."""

from __future__ import annotations

from typing import Any

from pocketstack.core import internal_client, service_auth
from pocketstack.core.errors import ApiError, BadRequest, Conflict
from pocketstack.core.internal_client import Auth

N = "/networking/v2.0"


class NetworkError(Exception):
    """The network service refused a call the build needed."""


def _get(path: str, token: Auth | None) -> Any:
    r = internal_client.call("GET", N + path, token=token)
    return r.json() if r.status_code == 200 else None


def network(token: Auth | None, network_id: str) -> dict[str, Any] | None:
    body = _get(f"/networks/{network_id}", token)
    return body["network"] if body else None


def port(token: Auth | None, port_id: str) -> dict[str, Any] | None:
    body = _get(f"/ports/{port_id}", token)
    return body["port"] if body else None


def available_networks(token: Auth | None, project_id: str) -> list[dict[str, Any]]:
    """nova's _get_available_networks: the project's own networks, plus the shared ones."""
    own = (_get(f"/networks?project_id={project_id}&shared=false", token) or {}).get("networks", [])
    shared = (_get("/networks?shared=true", token) or {}).get("networks", [])
    return own + shared


def validate_requested(token: Auth | None, project_id: str, networks: Any) -> list[dict[str, Any]]:
    """The requested networks as [{"network_id", "port_id", "fixed_ip", "tag"}]; 400/409 as nova."""
    if networks == "none":
        return []
    if networks is None or networks == "auto":
        nets = available_networks(token, project_id)
        if len(nets) > 1:
            raise Conflict("Multiple possible networks found, use a Network ID to be more specific.")
        if not nets and networks == "auto":
            # nova's _auto_allocate_network: Neutron's auto-allocated topology for the project (made once;
            # concurrent builds get the same network back)
            topology = (_get(f"/auto-allocated-topology/{project_id}", token) or {}).get("auto_allocated_topology")
            if not topology or not topology.get("id"):
                raise BadRequest("Unable to automatically allocate a network for project " + project_id)
            nets = [{"id": topology["id"]}]
        return [{"network_id": n["id"], "port_id": None, "fixed_ip": None, "tag": None} for n in nets]
    out = []
    for item in networks:
        if item.get("port"):
            p = port(token, item["port"])
            if p is None:
                raise BadRequest(f"Port id {item['port']} could not be found.")
            if p.get("device_id"):
                raise Conflict(f"Port {item['port']} is still in use.")
            out.append({"network_id": p["network_id"], "port_id": p["id"], "fixed_ip": None, "tag": item.get("tag")})
            continue
        if not item.get("uuid"):
            raise BadRequest("Bad networks format: network uuid is not in proper format ()")
        if network(token, item["uuid"]) is None:
            raise BadRequest(f"Network {item['uuid']} could not be found.")
        out.append({"network_id": item["uuid"], "port_id": None, "fixed_ip": item.get("fixed_ip"),
                    "tag": item.get("tag")})
    return out


def security_group_names(token: Auth | None, project_id: str, names: list[str]) -> list[str]:
    """The groups' names, whether the request named them by name or by id (nova shows names)."""
    groups = (_get(f"/security-groups?project_id={project_id}", token) or {}).get("security_groups", [])
    out = []
    for name in names:
        match = [g["name"] for g in groups if g["name"] == name or g["id"] == name]
        if not match:
            raise NetworkError(f"Security group {name} not found for project {project_id}.")
        out.append(match[0])
    return list(dict.fromkeys(out))


def security_group_ids(token: Auth | None, project_id: str, names: list[str]) -> list[str]:
    ids = []
    groups = (_get(f"/security-groups?project_id={project_id}", token) or {}).get("security_groups", [])
    for name in names:
        match = [g["id"] for g in groups if g["name"] == name or g["id"] == name]
        if not match:
            raise NetworkError(f"Security group {name} not found for project {project_id}.")
        ids.append(match[0])
    return ids


def instances_security_groups(token: str | None, server_ids: list[str]) -> dict[str, list[str]]:
    """Each server's groups as its ports have them, by name, one entry per port and group (nova's
    security_group_api.get_instances_security_groups_bindings): a port without port security has none."""
    out: dict[str, list[str]] = {s: [] for s in server_ids}
    ports: list[dict[str, Any]] = []
    for i in range(0, len(server_ids), 100):
        query = "&".join(f"device_id={s}" for s in server_ids[i:i + 100])
        found = _get(f"/ports?{query}&fields=device_id&fields=security_groups", token) or {}
        ports += found.get("ports", [])
    wanted = sorted({g for p in ports for g in p.get("security_groups") or []})
    names: dict[str, str] = {}
    for i in range(0, len(wanted), 100):
        query = "&".join(f"id={g}" for g in wanted[i:i + 100])
        found = _get(f"/security-groups?{query}&fields=id&fields=name", token) or {}
        names.update({g["id"]: g["name"] for g in found.get("security_groups", [])})
    for p in ports:               # a group this caller may not see is left out, as nova does
        out.setdefault(p["device_id"], []).extend(
            names[g] for g in p.get("security_groups") or [] if g in names)
    return out


def _raise(r: Any, what: str) -> None:
    if r.status_code >= 400:
        try:
            message = next(iter(r.json().values())).get("message", r.text)
        except (ValueError, AttributeError, StopIteration):
            message = r.text
        raise NetworkError(f"{what}: {message}")


def create_port(token: Auth | None, server_id: str, req: dict[str, Any], group_ids: list[str],
                az: str) -> dict[str, Any]:
    body: dict[str, Any] = {"network_id": req["network_id"], "device_id": server_id, "device_owner": f"compute:{az}",
                            "admin_state_up": True}
    if group_ids:
        body["security_groups"] = group_ids
    if req.get("fixed_ip"):
        body["fixed_ips"] = [{"ip_address": req["fixed_ip"]}]
    r = internal_client.call("POST", N + "/ports", token=token, json={"port": body})
    _raise(r, "Port creation failed")
    return r.json()["port"]


def claim_port(token: Auth | None, server_id: str, port_id: str, az: str) -> dict[str, Any]:
    r = internal_client.call("PUT", N + f"/ports/{port_id}", token=token,
                             json={"port": {"device_id": server_id, "device_owner": f"compute:{az}"}})
    _raise(r, "Port update failed")
    return r.json()["port"]


def bind_port(token: Auth | None, port_id: str, host: str) -> None:
    """binding:host_id is admin-only in neutron; nova sets it with its service credentials (the compute service
    user; the caller's token when there is no service user yet)."""
    try:
        token = service_auth.token("compute")
    except Exception:  # noqa: BLE001 - no service user: bind when the caller may
        pass
    internal_client.call("PUT", N + f"/ports/{port_id}", token=token, json={"port": {"binding:host_id": host}})


def release_port(token: Auth | None, port_id: str, preexisting: bool) -> None:
    if preexisting:
        internal_client.call("PUT", N + f"/ports/{port_id}", token=token,
                             json={"port": {"device_id": "", "device_owner": ""}})
        return
    r = internal_client.call("DELETE", N + f"/ports/{port_id}", token=token)
    if r.status_code not in (204, 404):
        raise NetworkError(f"Port deletion failed: {r.text}")


def set_port_groups(token: Auth | None, port_id: str, group_ids: list[str]) -> None:
    r = internal_client.call("PUT", N + f"/ports/{port_id}", token=token,
                             json={"port": {"security_groups": group_ids}})
    _raise(r, "Port update failed")


def add_fixed_ip(token: Auth | None, port_ids: list[str], network_id: str) -> bool:
    """One more address on the server's port in that network, from the first of its subnets that has one
    (nova/network/neutron.py add_fixed_ip_to_instance)."""
    subnets = (_get(f"/subnets?network_id={network_id}", token) or {}).get("subnets", [])
    for port_id in port_ids:
        p = port(token, port_id)
        if p is None or p["network_id"] != network_id:
            continue
        for subnet in subnets:
            fixed = [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]} for ip in p["fixed_ips"]]
            r = internal_client.call("PUT", N + f"/ports/{port_id}", token=token,
                                     json={"port": {"fixed_ips": [*fixed, {"subnet_id": subnet["id"]}]}})
            if r.status_code == 200:
                return True
    return False


def remove_fixed_ip(token: Auth | None, port_ids: list[str], address: str) -> bool:
    """The address off whichever of the server's ports has it (remove_fixed_ip_from_instance)."""
    for port_id in port_ids:
        p = port(token, port_id)
        if p is None or address not in {ip["ip_address"] for ip in p["fixed_ips"]}:
            continue
        fixed = [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]} for ip in p["fixed_ips"]
                 if ip["ip_address"] != address]
        r = internal_client.call("PUT", N + f"/ports/{port_id}", token=token, json={"port": {"fixed_ips": fixed}})
        return r.status_code == 200
    return False


def floating_ips(token: Auth | None, port_id: str) -> dict[str, list[str]]:
    """The floating addresses over each fixed address of a port."""
    out: dict[str, list[str]] = {}
    for fip in (_get(f"/floatingips?port_id={port_id}", token) or {}).get("floatingips", []):
        if fip.get("fixed_ip_address"):
            out.setdefault(fip["fixed_ip_address"], []).append(fip["floating_ip_address"])
    return out


def describe(token: Auth | None, p: dict[str, Any]) -> dict[str, Any]:
    """A server_ports row's view of a port: its network's name and its addresses, each with its floating ones
    (nova/network/neutron.py _build_network_info_model)."""
    net = network(token, p["network_id"]) or {"name": p["network_id"]}
    floating = floating_ips(token, p["id"]) if p.get("fixed_ips") else {}
    ips = [{"ip_address": ip["ip_address"], "subnet_id": ip["subnet_id"],
            "version": 6 if ":" in ip["ip_address"] else 4, "floating": floating.get(ip["ip_address"], [])}
           for ip in p.get("fixed_ips", [])]
    return {"port_id": p["id"], "network_id": p["network_id"], "network_name": net["name"],
            "mac_address": p["mac_address"], "fixed_ips": ips}


def is_api_error(exc: Exception) -> bool:
    return isinstance(exc, (ApiError, NetworkError))

"""A stack's dependency graph: the explicit references and depends_on, plus the implicit edges
Heat's resource types add (heat/engine/resources/openstack/neutron/port.py, router.py,
floatingip.py, extrarouteset.py, nova/server.py add_dependencies): a port waits for the subnets of
its network, a server for the subnets of its networks, a floating IP for the router interfaces on
its port's network, an extra route set for its router's interfaces, a router for the subnets of
its gateway network. So creation finds what it needs, and deletion frees it in the right order."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine import functions as fn
from pocketstack.services.orchestration.engine.template import ResourceDef


def _ref(value: Any) -> Any:
    """The resource a property names (get_resource) or its literal value."""
    if isinstance(value, dict) and set(value) == {"get_resource"}:
        return ("res", value["get_resource"])
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return ("res", value["Ref"])
    return ("lit", repr(value)) if value is not None else None


def _props(d: ResourceDef) -> dict[str, Any]:
    return d.properties if isinstance(d.properties, dict) else {}


def _net(props: dict[str, Any]) -> Any:
    return _ref(props.get("network") if props.get("network") is not None else props.get("network_id"))


def graph(defs: dict[str, ResourceDef], version: fn.TemplateVersion) -> dict[str, set[str]]:
    explicit = {n: (fn.dependencies(d.snippet, version) | set(d.depends_on)) & set(defs) for n, d in defs.items()}
    subnets = {n: _net(_props(d)) for n, d in defs.items() if d.type == "OS::Neutron::Subnet"}
    interfaces = {n: _props(d) for n, d in defs.items() if d.type == "OS::Neutron::RouterInterface"}
    out = {n: set(v) for n, v in explicit.items()}
    for name, d in defs.items():
        for dep in _implicit(d, subnets, interfaces):
            if dep != name and name not in _reach(explicit, dep):
                out[name].add(dep)
    return out


def _implicit(d: ResourceDef, subnets: dict[str, Any], interfaces: dict[str, dict[str, Any]]) -> set[str]:
    props = _props(d)

    def subnets_of(net: Any) -> set[str]:
        return {s for s, n in subnets.items() if net is not None and n == net}

    if d.type == "OS::Neutron::Port":
        return subnets_of(_net(props))
    if d.type == "OS::Nova::Server":
        # heat server.py add_dependencies: a subnet of an unknown network, or any subnet when an
        # entry names no network (a port, a subnet), or the subnets of the entries' networks
        nets = [item for item in props.get("networks") or [] if isinstance(item, dict)]
        return {s for s, subnet_net in subnets.items() if nets and (subnet_net is None or any(
            _ref(item.get("network") or item.get("uuid")) in (None, subnet_net) for item in nets))}
    if d.type == "OS::Neutron::Router":
        gateway = props.get("external_gateway_info")
        return subnets_of(_net(gateway)) if isinstance(gateway, dict) else set()
    if d.type == "OS::Neutron::FloatingIP":
        return set(interfaces)
    if d.type == "OS::Neutron::ExtraRouteSet":
        router = _ref(props.get("router"))
        return {n for n, p in interfaces.items() if _ref(p.get("router") or p.get("router_id")) == router}
    return set()


def _reach(deps: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in deps.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen

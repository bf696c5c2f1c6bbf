"""The neutron.* custom constraints and the address/DNS checks Heat's Neutron plugins use
(heat/engine/clients/os/neutron/neutron_constraints.py, heat/engine/constraint/common_constraints.py)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from pocketstack.services.orchestration.engine.clients import ClientError
from pocketstack.services.orchestration.engine.resources.neutron.base import find

Check = Callable[[Any, Any], "str | None"]

DNS_LABEL = re.compile(r"[a-z0-9-]{1,63}$")   # quirk: Heat's regex has no re.I, so upper case fails
FQDN_MAX_LEN = 255
# the address formats netaddr.valid_mac accepts
MAC = re.compile(r"(?i)^(?:[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}|[0-9a-f]{1,2}(?:-[0-9a-f]{1,2}){5}"
                 r"|[0-9a-f]{1,4}(?:[.:][0-9a-f]{1,4}){2}|[0-9a-f]{5,6}:[0-9a-f]{5,6}|[0-9a-f]{12})$")


def neutron_finder(resource: str) -> Check:
    def check(clients: Any, value: Any) -> str | None:
        try:
            find(clients("network"), resource, str(value))
        except ClientError as exc:
            return exc.message
        return None
    return check


def _ip_message(value: str) -> str | None:
    """neutron-lib's validate_ip_address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"'{value}' is not a valid IP address"
    return None


def _subnet_message(value: str) -> str | None:
    """neutron-lib's validate_subnet."""
    try:
        iface = ipaddress.ip_interface(value)
    except ValueError:
        return f"'{value}' is not a valid IP subnet"
    if "/" not in value or (iface.version == 4 and str(iface) != value):
        return f"'{value}' isn't a recognized IP subnet cidr, '{iface.network}' is recommended"
    return None


def ip_addr(_clients: Any, value: Any) -> str | None:
    if not isinstance(value, str) or _ip_message(value):
        return "Invalid IP address"
    return None


def net_cidr(_clients: Any, value: Any) -> str | None:
    text = str(value)
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        return f"Invalid net cidr invalid IPNetwork {text} "
    return _subnet_message(text)


def ip_or_cidr(_clients: Any, value: Any) -> str | None:
    text = str(value)
    return _subnet_message(text) if "/" in text else _ip_message(text)


def mac_addr(_clients: Any, value: Any) -> str | None:
    return None if isinstance(value, str) and MAC.match(value) else "Invalid MAC address."


def _dns_problem(data: str) -> str | None:
    """heat.common.netutils.validate_dns_format."""
    trimmed = data[:-1] if data.endswith(".") else data
    if len(trimmed) > FQDN_MAX_LEN:
        return f"'{trimmed}' exceeds the {FQDN_MAX_LEN} character FQDN limit"
    names = trimmed.split(".")
    for name in names:
        if not name:
            return "Encountered an empty component."
        if name.startswith("-") or name.endswith("-"):
            return f"Name '{name}' must not start or end with a hyphen."
        if not DNS_LABEL.match(name):
            return (f"Name '{name}' must be 1-63 characters long, each of which can only be alphanumeric "
                    "or a hyphen.")
    if data.endswith(".") and len(names) > 1 and names[-1].isdigit():
        return f"TLD '{names[-1]}' must not be all numeric."
    return None


def dns_name(_clients: Any, value: Any) -> str | None:
    problem = _dns_problem(str(value)) if value else None
    return f"'{value}' not in valid format. Reason: {problem}" if problem else None


def rel_dns_name(clients: Any, value: Any) -> str | None:
    if not value:
        return None
    if str(value).endswith("."):
        return f"'{value}' is a FQDN. It should be a relative domain name."
    if len(str(value)) > FQDN_MAX_LEN - 3:
        return (f"'{value}' contains '{len(str(value))}' characters. Adding a domain name will cause it to "
                f"exceed the maximum length of a FQDN of '{FQDN_MAX_LEN}'.")
    return dns_name(clients, value)


def dns_domain(clients: Any, value: Any) -> str | None:
    if not value:
        return None
    problem = dns_name(clients, value)
    if problem is None and not str(value).endswith("."):
        return f"'{value}' must end with '.'."
    return problem


CONSTRAINTS: dict[str, Check] = {
    **{f"neutron.{name}": neutron_finder(name)
       for name in ("network", "port", "router", "subnet", "subnetpool", "security_group", "address_scope",
                    "segment")},
    "neutron.qos_policy": neutron_finder("policy"),
    "ip_addr": ip_addr, "net_cidr": net_cidr, "cidr": net_cidr, "ip_or_cidr": ip_or_cidr, "mac_addr": mac_addr,
    "dns_name": dns_name, "rel_dns_name": rel_dns_name, "dns_domain": dns_domain,
}

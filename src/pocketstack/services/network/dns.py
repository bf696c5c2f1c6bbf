"""DNS integration without an external DNS service (api-ref: network, Ports / Networks / Floating IPs;
dns-integration, dns-domain-ports): the validators of neutron_lib/api/validators/dns.py and the ports'
dns_assignment of neutron's DNS extension driver, under the cloud's dns_domain (neutron.conf [DEFAULT]
dns_domain, `network: {dns_domain: ...}` here; neutron's default `openstacklocal`).

quirk: with the default domain a port's dns_name is kept and shown but its dns_assignment (and the name
dnsmasq hands out) stays host-<address>, as neutron does."""

from __future__ import annotations

import re
from typing import Any

from pocketstack.services.network import common

DEFAULT_DOMAIN = "openstacklocal."
FQDN_MAX = 255
_LABEL = re.compile(r"^([a-z0-9-]{1,63})$")
_domain = DEFAULT_DOMAIN


def configure(settings: Any) -> None:
    global _domain
    section = (getattr(settings, "options", None) or {}).get("network") or {}
    value = str(section.get("dns_domain", "openstacklocal") or "")
    _domain = value if not value or value.endswith(".") else value + "."


def domain() -> str:
    return _domain


# --- validators (messages as neutron_lib's) ----------------------------------------------
def _format_problem(data: str) -> str | None:
    trimmed = data[:-1] if data.endswith(".") else data
    if len(trimmed) > FQDN_MAX:
        return f"'{trimmed}' exceeds the {FQDN_MAX} character FQDN limit"
    labels = trimmed.split(".")
    for label in labels:
        if not label:
            return "Encountered an empty component"
        if label.startswith("-") or label.endswith("-"):
            return f"Name '{label}' must not start or end with a hyphen"
        if not _LABEL.match(label):
            return f"Name '{label}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen"
    if len(labels) > 1 and re.match(r"^[0-9]+$", labels[-1]):
        return f"TLD '{labels[-1]}' must not be all numeric"
    return None


def _string(attr: str, data: Any) -> str:
    if not isinstance(data, str):
        raise common.invalid(attr, f"'{data}' is not a valid string")
    return data


def dns_name(data: Any, attr: str = "dns_name") -> str:
    """A port's dns_name: lower-cased (convert_string_to_case_insensitive), then validate_dns_name."""
    data = _string(attr, data).lower()
    if not data:
        return data
    if problem := _format_problem(data):
        raise common.invalid(attr, f"'{data}' not a valid PQDN or FQDN. Reason: {problem}")
    if _domain and _domain != DEFAULT_DOMAIN:
        higher = f".{_domain}"
        if not data.endswith("."):
            if len(data) + len(higher) > FQDN_MAX:
                raise common.invalid(attr, f"The dns_name passed is a PQDN and its size is '{len(data)}'. The "
                                     f"dns_domain option in neutron.conf is set to {_domain}, with a length of "
                                     f"'{len(higher)}'. When the two are concatenated to form a FQDN (with a '.' "
                                     f"at the end), the resulting length exceeds the maximum size of '{FQDN_MAX}'")
        elif len(data) <= len(higher) or not data.endswith(higher):
            raise common.invalid(attr, "The dns_name passed is a FQDN. Its higher level labels must be equal to the "
                                 f"dns_domain option in neutron.conf, that has been set to '{_domain}'. It must "
                                 f"also include one or more valid DNS labels to the left of '{_domain}'")
    return data


def fip_dns_name(data: Any) -> str:
    data = _string("dns_name", data).lower()
    if not data:
        return data
    if data.endswith("."):
        raise common.invalid("dns_name", f"'{data}' is a FQDN. It should be a relative domain name")
    if problem := _format_problem(data):
        raise common.invalid("dns_name", f"'{data}' not a valid PQDN or FQDN. Reason: {problem}")
    if len(data) > FQDN_MAX - 3:
        raise common.invalid("dns_name", f"'{data}' contains {len(data)} characters. Adding a domain name will "
                             f"cause it to exceed the maximum length of a FQDN of '{FQDN_MAX}'")
    return data


def dns_domain(data: Any, attr: str = "dns_domain") -> str:
    """A dns_domain (network, port, floating IP): lower-cased, then validate_dns_domain."""
    data = _string(attr, data).lower()
    if not data:
        return data
    if not data.endswith("."):
        raise common.invalid(attr, f"'{data}' is not a FQDN")
    if problem := _format_problem(data):
        raise common.invalid(attr, f"'{data}' not a valid PQDN or FQDN. Reason: {problem}")
    if len(data) > FQDN_MAX - 2:
        raise common.invalid(attr, f"'{data}' contains {len(data)} characters. Adding a sub-domain will cause it "
                             f"to exceed the maximum length of a FQDN of '{FQDN_MAX}'")
    return data


# --- assignment ----------------------------------------------------------------------------
def hostname(name: str, ip: str) -> str:
    """The host name of one address of a port: its dns_name under a configured domain, else host-<address>."""
    if name and _domain and _domain != DEFAULT_DOMAIN:
        return name
    return "host-" + ip.replace(".", "-").replace(":", "-")


def assignment(name: str, fixed_ips: list[dict[str, str]]) -> list[dict[str, str]]:
    """A port's dns_assignment: one {hostname, ip_address, fqdn} per fixed IP."""
    out = []
    for ip in fixed_ips:
        host = hostname(name, ip["ip_address"])
        fqdn = host if host.endswith(".") else (f"{host}.{_domain}" if _domain else host)
        out.append({"ip_address": ip["ip_address"], "hostname": host, "fqdn": fqdn})
    return out

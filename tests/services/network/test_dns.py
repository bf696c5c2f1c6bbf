"""DNS names under a configured dns_domain (the server tests run with neutron's default, openstacklocal.):
the dns_assignment and the FQDN rules of neutron_lib's validate_dns_name."""

from types import SimpleNamespace

import pytest

from pocketstack.core.errors import BadRequest
from pocketstack.services.network import dns


@pytest.fixture
def gate_domain():
    dns.configure(SimpleNamespace(options={"network": {"dns_domain": "openstackgate.local"}}))
    yield
    dns.configure(SimpleNamespace(options={}))


def test_default_domain_keeps_host_names():
    assert dns.domain() == "openstacklocal."
    assert dns.assignment("web", [{"ip_address": "10.0.0.5"}]) == [
        {"ip_address": "10.0.0.5", "hostname": "host-10-0-0-5", "fqdn": "host-10-0-0-5.openstacklocal."}]
    assert dns.dns_name("web.other.org.") == "web.other.org."      # no FQDN rule under the default domain


def test_configured_domain_names_hosts(gate_domain):
    assert dns.domain() == "openstackgate.local."
    assert dns.assignment("web", [{"ip_address": "fd00::5"}]) == [
        {"ip_address": "fd00::5", "hostname": "web", "fqdn": "web.openstackgate.local."}]
    assert dns.assignment("", [{"ip_address": "10.0.0.5"}])[0]["hostname"] == "host-10-0-0-5"
    assert dns.assignment("web.openstackgate.local.", [{"ip_address": "10.0.0.5"}])[0]["fqdn"] == \
        "web.openstackgate.local."
    assert dns.dns_name("web.openstackgate.local.") == "web.openstackgate.local."
    with pytest.raises(BadRequest, match="higher level labels must be equal to the dns_domain"):
        dns.dns_name("web.other.org.")
    with pytest.raises(BadRequest, match="resulting length exceeds the maximum size"):
        dns.dns_name(".".join(["a" * 60] * 4))

"""Floating IP port forwardings (floating-ip-port-forwarding): the API through openstacksdk and httpx, with
its negative cases (bad input, duplicates, a floating IP that has a port, another project, no token)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.services.network.conftest import error_type


@pytest.fixture(scope="module")
def setup(neutron_demo: Any, neutron_admin: Any) -> dict[str, Any]:
    public = neutron_admin.get("/networks", params={"name": "public"}).json()["networks"][0]
    private = neutron_demo.get("/networks", params={"name": "private"}).json()["networks"][0]
    port = neutron_demo.create("ports", network_id=private["id"])
    fip = neutron_demo.create("floatingips", floating_network_id=public["id"])
    return {"public": public, "private": private, "port": port, "fip": fip,
            "base": f"/floatingips/{fip['id']}/port_forwardings"}


def body(port: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"port_forwarding": {"protocol": "tcp", "external_port": 2222, "internal_port": 22,
                                "internal_port_id": port["id"], **over}}


def test_extension_listed(neutron_demo: Any) -> None:
    r = neutron_demo.get("/extensions/floating-ip-port-forwarding")
    assert r.status_code == 200 and r.json()["extension"]["name"] == "Floating IP Port Forwarding"


def test_lifecycle_with_the_sdk(demo: Any, setup: dict[str, Any]) -> None:
    fip, port = setup["fip"], setup["port"]
    pf = demo.network.create_port_forwarding(floatingip_id=fip["id"], protocol="udp", external_port=5300,
                                             internal_port=53, internal_port_id=port["id"], description="dns")
    assert pf.internal_ip_address == port["fixed_ips"][0]["ip_address"]      # the port's first IPv4
    assert demo.network.get_ip(fip["id"]).router_id is not None      # the router reaching the port
    assert [p.id for p in demo.network.port_forwardings(fip["id"])] == [pf.id]
    updated = demo.network.update_port_forwarding(pf.id, fip["id"], internal_port=5353)
    assert updated.internal_port == 5353 and updated.external_port == 5300
    assert demo.network.get_port_forwarding(pf.id, fip["id"]).description == "dns"
    demo.network.delete_port_forwarding(pf.id, fip["id"], ignore_missing=False)
    assert demo.network.get_ip(fip["id"]).router_id is None          # no forwarding left


def test_bad_input(neutron_demo: Any, setup: dict[str, Any]) -> None:
    base, port = setup["base"], setup["port"]
    for over, word in (({"protocol": "icmp"}, "protocol"), ({"external_port": 0}, "external_port"),
                       ({"internal_port": 70000}, "internal_port"), ({"external_port": "x"}, "external_port"),
                       ({"internal_ip_address": "10.0.0.999"}, "internal_ip_address")):
        r = neutron_demo.post(base, json=body(port, **over))
        assert r.status_code == 400 and word in r.text, (over, r.text)
    r = neutron_demo.post(base, json={"port_forwarding": {"protocol": "tcp", "external_port": 1,
                                                          "internal_port": 1}})
    assert r.status_code == 400 and "internal_port_id" in r.text
    r = neutron_demo.post(base, json=body(port, internal_ip_address="10.0.0.62"))
    assert r.status_code == 400 and "not suitable" in r.text                  # not an address of the port
    r = neutron_demo.post(base, json=body(port, bogus=1))
    assert r.status_code == 400


def test_duplicates_and_not_found(neutron_demo: Any, setup: dict[str, Any]) -> None:
    base, port = setup["base"], setup["port"]
    r = neutron_demo.post(base, json=body(port))
    assert r.status_code == 201, r.text
    pf = r.json()["port_forwarding"]
    assert set(pf) == {"id", "protocol", "external_port", "internal_port", "internal_ip_address",
                       "internal_port_id", "description"}
    r = neutron_demo.post(base, json=body(port, internal_port=23))             # same external port
    assert r.status_code == 400 and "duplicate" in r.text
    r = neutron_demo.post(base, json=body(port, external_port=2223))           # same internal socket
    assert r.status_code == 400 and "duplicate" in r.text
    r = neutron_demo.get(f"{base}/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and error_type(r) == "PortForwardingNotFound"
    r = neutron_demo.get("/floatingips/00000000-0000-0000-0000-000000000000/port_forwardings")
    assert r.status_code == 404 and error_type(r) == "FloatingIPNotFound"
    # a floating IP with port forwardings takes no port, and the other way round
    r = neutron_demo.put(f"/floatingips/{setup['fip']['id']}", json={"floatingip": {"port_id": port["id"]}})
    assert r.status_code == 409 and error_type(r) == "FipInUseByPortForwarding"
    shown = neutron_demo.get(f"/floatingips/{setup['fip']['id']}").json()["floatingip"]
    assert shown["port_forwardings"] == [{"protocol": "tcp", "internal_ip_address": pf["internal_ip_address"],
                                          "internal_port": 22, "external_port": 2222}]
    r = neutron_demo.delete(f"/floatingips/{setup['fip']['id']}")
    assert r.status_code == 409 and error_type(r) == "FipInUseByPortForwarding"
    assert neutron_demo.delete(f"{base}/{pf['id']}").status_code == 204
    r = neutron_demo.delete(f"{base}/{pf['id']}")
    assert r.status_code == 404


def test_floating_ip_with_a_port_refuses(neutron_demo: Any, setup: dict[str, Any]) -> None:
    other = neutron_demo.create("ports", network_id=setup["private"]["id"])
    fip = neutron_demo.create("floatingips", floating_network_id=setup["public"]["id"], port_id=other["id"])
    r = neutron_demo.post(f"/floatingips/{fip['id']}/port_forwardings", json=body(setup["port"]))
    assert r.status_code == 409 and error_type(r) == "FloatingIPPortAlreadyAssociated"
    r = neutron_demo.post(setup["base"], json=body(other))          # its port already has a floating IP
    assert r.status_code == 409 and error_type(r) == "PortHasBindingFloatingIP"
    neutron_demo.delete(f"/floatingips/{fip['id']}")
    neutron_demo.delete(f"/ports/{other['id']}")


def test_other_project_and_no_token(cloud: Any, neutron_alt: Any, neutron_demo: Any,
                                    setup: dict[str, Any]) -> None:
    base, port = setup["base"], setup["port"]
    r = neutron_alt.post(base, json=body(port))
    assert r.status_code == 404 and error_type(r) == "FloatingIPNotFound"
    assert neutron_alt.get(base).status_code == 404
    r = httpx.get(f"{cloud.url}/networking/v2.0{base}")
    assert r.status_code == 401
    # the internal port of another project is not found either
    public = setup["public"]
    alt_fip = neutron_alt.create("floatingips", floating_network_id=public["id"])
    r = neutron_alt.post(f"/floatingips/{alt_fip['id']}/port_forwardings", json=body(port))
    assert r.status_code == 404 and error_type(r) == "PortNotFound"
    neutron_alt.delete(f"/floatingips/{alt_fip['id']}")


def test_deleting_the_internal_port_removes_its_forwardings(neutron_demo: Any, setup: dict[str, Any]) -> None:
    port = neutron_demo.create("ports", network_id=setup["private"]["id"])
    r = neutron_demo.post(setup["base"], json=body(port, external_port=3333))
    assert r.status_code == 201, r.text
    assert neutron_demo.delete(f"/ports/{port['id']}").status_code == 204
    assert neutron_demo.get(setup["base"]).json()["port_forwardings"] == []

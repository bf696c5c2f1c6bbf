"""Address scopes: CRUD, subnet pools joining a scope, a network's ipv4/ipv6_address_scope."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def _create(n, **body):
    r = n.post("/address-scopes", json={"address_scope": body})
    assert r.status_code == 201, r.text
    return r.json()["address_scope"]


def test_address_scope_crud_and_pools(neutron_demo, neutron_alt):
    scope = _create(neutron_demo, name=unique(), ip_version=4)
    assert scope["shared"] is False and scope["ip_version"] == 4
    assert neutron_alt.get(f"/address-scopes/{scope['id']}").status_code == 404
    r = neutron_demo.post("/address-scopes", json={"address_scope": {"name": "x", "ip_version": 5}})
    assert r.status_code == 400
    r = neutron_demo.post("/address-scopes", json={"address_scope": {"name": "x", "ip_version": 4, "shared": True}})
    assert r.status_code == 403

    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.140.0.0/16"], default_prefixlen=24,
                               address_scope_id=scope["id"])
    assert pool["address_scope_id"] == scope["id"]
    r = neutron_demo.post("/subnetpools", json={"subnetpool": {"name": "o", "prefixes": ["10.140.5.0/24"],
                                                               "address_scope_id": scope["id"]}})
    assert r.status_code == 409 and error_type(r) == "AddressScopePrefixConflict"
    r = neutron_demo.post("/subnetpools", json={"subnetpool": {"name": "v6", "prefixes": ["2001:db8::/48"],
                                                               "address_scope_id": scope["id"]}})
    assert r.status_code == 400 and error_type(r) == "IllegalSubnetPoolIpVersionAssociationWithAddressScope"
    r = neutron_alt.post("/subnetpools", json={"subnetpool": {"name": "a", "prefixes": ["10.141.0.0/16"],
                                                              "address_scope_id": scope["id"]}})
    assert r.status_code == 404 and error_type(r) == "AddressScopeNotFound"

    net = neutron_demo.create("networks", name=unique())
    assert net["ipv4_address_scope"] is None
    neutron_demo.create("subnets", network_id=net["id"], ip_version=4, subnetpool_id=pool["id"])
    seen = neutron_demo.get(f"/networks/{net['id']}").json()["network"]
    assert seen["ipv4_address_scope"] == scope["id"] and seen["ipv6_address_scope"] is None

    r = neutron_demo.delete(f"/address-scopes/{scope['id']}")
    assert r.status_code == 409 and error_type(r) == "AddressScopeInUse"
    r = neutron_demo.put(f"/address-scopes/{scope['id']}", json={"address_scope": {"name": "renamed"}})
    assert r.status_code == 200 and r.json()["address_scope"]["name"] == "renamed"
    r = neutron_demo.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {"address_scope_id": None}})
    assert r.status_code == 200 and r.json()["subnetpool"]["address_scope_id"] is None
    assert neutron_demo.delete(f"/address-scopes/{scope['id']}").status_code == 204
    assert neutron_demo.get(f"/address-scopes/{scope['id']}").status_code == 404


def test_shared_scope_and_rbac(neutron_admin, neutron_demo, neutron_alt):
    shared = _create(neutron_admin, name=unique(), ip_version=6, shared=True)
    assert neutron_demo.get(f"/address-scopes/{shared['id']}").json()["address_scope"]["shared"] is True
    r = neutron_admin.put(f"/address-scopes/{shared['id']}", json={"address_scope": {"shared": False}})
    assert r.status_code == 400
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["2001:db8:77::/48"], default_prefixlen=64,
                               address_scope_id=shared["id"])
    assert pool["address_scope_id"] == shared["id"]

    alt_project = neutron_alt.create("networks", name=unique())["project_id"]
    private = _create(neutron_demo, name=unique(), ip_version=4)
    r = neutron_demo.post("/rbac-policies", json={"rbac_policy": {
        "object_type": "address_scope", "object_id": private["id"], "action": "access_as_shared",
        "target_tenant": alt_project}})
    assert r.status_code == 201, r.text
    seen = neutron_alt.get(f"/address-scopes/{private['id']}")
    assert seen.status_code == 200 and seen.json()["address_scope"]["shared"] is True
    assert neutron_demo.delete(f"/rbac-policies/{r.json()['rbac_policy']['id']}").status_code == 204
    assert neutron_alt.get(f"/address-scopes/{private['id']}").status_code == 404


def test_cli_address_scope(cli):
    scope = cli("address", "scope", "create", unique("as"), "--ip-version", "4", os_cloud="pocketstack")
    assert scope["ip_version"] == 4
    listed = cli("address", "scope", "list", os_cloud="pocketstack")
    assert any(s.get("ID", s.get("id")) == scope["id"] for s in listed)
    cli("address", "scope", "delete", scope["id"], os_cloud="pocketstack")

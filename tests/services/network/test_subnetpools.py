"""Subnet pools and subnets allocated from them."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_allocate_subnets_by_prefixlen(neutron_demo):
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.128.0.0/16"], default_prefixlen=24)
    # neutron renders the prefix lengths as strings
    assert pool["ip_version"] == 4 and pool["min_prefixlen"] == "8" and pool["max_prefixlen"] == "32"
    net = neutron_demo.create("networks", name=unique())
    first = neutron_demo.create("subnets", network_id=net["id"], ip_version=4, subnetpool_id=pool["id"])
    second = neutron_demo.create("subnets", network_id=net["id"], ip_version=4, subnetpool_id=pool["id"],
                                 prefixlen=28)
    assert first["cidr"] == "10.128.0.0/24" and second["cidr"] == "10.128.1.0/28"
    assert first["subnetpool_id"] == pool["id"]
    r = neutron_demo.post("/subnets", json={"subnet": {"network_id": net["id"], "ip_version": 4,
                                                       "subnetpool_id": pool["id"], "cidr": "192.168.0.0/24"}})
    assert r.status_code == 400
    r = neutron_demo.delete(f"/subnetpools/{pool['id']}")
    assert r.status_code == 409 and error_type(r) == "SubnetPoolInUse"


def test_neutron_validation_order_and_scopes(neutron_demo, neutron_admin):
    pool = neutron_admin.create("subnetpools", name=unique(), prefixes=["10.250.0.0/16"], min_prefixlen="29")
    assert pool["min_prefixlen"] == "29" and pool["default_prefixlen"] == "29"
    # 'shared' cannot change: 400 before the lookup, so even a caller who cannot see the pool gets 400
    r = neutron_demo.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {"shared": True}})
    assert r.status_code == 400
    r = neutron_demo.post("/subnetpools", json={"subnetpool": {"name": "x", "prefixes": ["10.251.0.0/16"],
                                                               "address_scope_id": "foo-addr-scope"}})
    assert r.status_code == 400
    scope = neutron_demo.create("address-scopes", name=unique(), ip_version=4)
    neutron_demo.create("subnetpools", name=unique(), prefixes=["10.252.0.0/16"], address_scope_id=scope["id"])
    r = neutron_demo.post("/subnetpools", json={"subnetpool": {"name": "x", "prefixes": ["10.252.1.0/24"],
                                                               "address_scope_id": scope["id"]}})
    assert r.status_code == 409 and error_type(r) == "AddressScopePrefixConflict"
    # a project may not grow a pool that sits in someone else's shared scope
    shared = neutron_admin.create("address-scopes", name=unique(), ip_version=4, shared=True)
    mine = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.253.0.0/18"])
    neutron_admin.put(f"/subnetpools/{mine['id']}", json={"subnetpool": {"address_scope_id": shared["id"]}})
    r = neutron_demo.put(f"/subnetpools/{mine['id']}", json={"subnetpool": {"prefixes": [
        "10.253.0.0/18", "10.253.64.0/18"]}})
    assert r.status_code == 400 and error_type(r) == "IllegalSubnetPoolUpdate"
    # and a project may not name 'shared' on its own scope at all, whatever the value
    own = neutron_demo.create("address-scopes", name=unique(), ip_version=4)
    assert neutron_demo.put(f"/address-scopes/{own['id']}", json={"address_scope": {"shared": False}}
                            ).status_code == 403

"""Subnet pools and subnets allocated from them."""

from tests.conftest import unique
from tests.services.network.conftest import error_type


def test_allocate_subnets_by_prefixlen(neutron_demo):
    pool = neutron_demo.create("subnetpools", name=unique(), prefixes=["10.128.0.0/16"], default_prefixlen=24)
    assert pool["ip_version"] == 4 and pool["min_prefixlen"] == 8 and pool["max_prefixlen"] == 32
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

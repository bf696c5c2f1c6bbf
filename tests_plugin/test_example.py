"""What a user writes: tests of their own code against a throwaway cloud, reset between tests."""

from __future__ import annotations

import time

import openstack.exceptions
import pytest


def test_create_a_network_and_a_server(pocketstack_reset):
    conn = pocketstack_reset.connection()
    net = conn.network.create_network(name="app-net")
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.9.0.0/24", name="app-subnet")
    image = next(conn.image.images())
    flavor = conn.compute.find_flavor("m1.tiny")
    server = conn.compute.create_server(name="app", image_id=image.id, flavor_id=flavor.id,
                                        networks=[{"uuid": net.id}])
    server = conn.compute.wait_for_server(server, wait=60)
    assert server.status == "ACTIVE"
    assert [n.name for n in conn.network.networks(name="app-net")] == ["app-net"]


def test_each_test_starts_from_the_first_start(pocketstack_reset):
    conn = pocketstack_reset.connection()
    assert list(conn.network.networks(name="app-net")) == []       # the previous test's network is gone
    assert list(conn.compute.servers()) == []
    assert {n.name for n in conn.network.networks()} >= {"public", "private"}


def test_the_admin_connection_and_clouds_yaml(pocketstack_cloud):
    admin = pocketstack_cloud.admin_connection()
    assert "demo" in {p.name for p in admin.identity.projects()}
    assert pocketstack_cloud.clouds_yaml.exists()
    assert pocketstack_cloud.url.startswith("http://127.0.0.1:")


def test_my_code_handles_a_flaky_compute_api(pocketstack_reset):
    pocketstack_reset.add_fault(service="compute", method="GET", path="/compute/v2.1/servers*", status=503, count=1)
    conn = pocketstack_reset.connection()
    with pytest.raises(openstack.exceptions.HttpException) as err:
        list(conn.compute.servers())
    assert err.value.status_code == 503
    assert list(conn.compute.servers()) == []          # the fault fired once


def test_a_reset_takes_well_under_a_second(pocketstack_cloud):
    conn = pocketstack_cloud.connection()
    for i in range(5):
        conn.network.create_network(name=f"n{i}")
    started = time.perf_counter()
    pocketstack_cloud.reset()
    assert time.perf_counter() - started < 1.0
    assert list(conn.network.networks(name="n0")) == []

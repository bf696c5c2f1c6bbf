"""Microversion negotiation for every header style: 406 outside the range, latest, legacy headers."""

from __future__ import annotations

import pytest

from pocketstack.core.errors import BadRequest, NotAcceptable
from pocketstack.core.versions import APIVersion, Microversions

COMPUTE = Microversions("compute", APIVersion("2.1"), APIVersion("2.96"), legacy=("X-OpenStack-Nova-API-Version",))
BAREMETAL = Microversions("baremetal", APIVersion("1.1"), APIVersion("1.92"), legacy=("X-OpenStack-Ironic-API-Version",))


def test_default_is_minimum_and_latest_is_maximum():
    assert COMPUTE.negotiate({}) == APIVersion("2.1")
    assert COMPUTE.negotiate({"openstack-api-version": "compute latest"}) == APIVersion("2.96")


def test_header_styles():
    assert COMPUTE.negotiate({"openstack-api-version": "volume 3.5, compute 2.10"}) == APIVersion("2.10")
    assert COMPUTE.negotiate({"x-openstack-nova-api-version": "2.30"}) == APIVersion("2.30")
    assert BAREMETAL.negotiate({"x-openstack-ironic-api-version": "1.25"}) == APIVersion("1.25")


def test_out_of_range_is_406_and_garbage_is_400():
    with pytest.raises(NotAcceptable):
        COMPUTE.negotiate({"openstack-api-version": "compute 2.200"})
    with pytest.raises(BadRequest):
        COMPUTE.negotiate({"openstack-api-version": "compute 2.x"})


def test_response_headers_echo_and_vary():
    headers = COMPUTE.response_headers(APIVersion("2.10"))
    assert headers["OpenStack-API-Version"] == "compute 2.10"
    assert headers["X-OpenStack-Nova-API-Version"] == "2.10"
    assert "OpenStack-API-Version" in headers["Vary"]


def test_ordering():
    assert APIVersion("2.10") > APIVersion("2.9") and APIVersion("2.1") == "2.1"

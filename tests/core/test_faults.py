"""Fault injection (core.faults, /pocketstack/v1/faults, `pocketstack fault`): faults added through
the CLI reach openstacksdk exactly as injected, in each service's own error format, and in the
states of servers, volumes and stacks; cleared, the cloud behaves normally again."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import openstack.exceptions
import pytest

from tests.conftest import unique


@pytest.fixture()
def fault(cloud):
    """Runs `pocketstack fault ...` as a user would; every fault is cleared after the test."""
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml)}

    def run(*args: str, os_cloud: str = "pocketstack-admin", check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "pocketstack", "fault", *args, "--os-cloud", os_cloud],
                              capture_output=True, text=True, env=env, timeout=60)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc
    yield run
    run("clear")


def _wait(get, done, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = get()
        if done(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"still {value}")


def test_a_compute_fault_answers_with_nova_s_error_body_then_clears(fault, demo, cloud, demo_token):
    fault("add", "--service", "compute", "--method", "GET", "--path", "/compute/v2.1/servers*",
          "--status", "503", "--message", "nova is having a bad day")
    with pytest.raises(openstack.exceptions.HttpException) as err:
        list(demo.compute.servers())
    assert err.value.status_code == 503
    r = httpx.get(f"{cloud.url}/compute/v2.1/servers", headers={"X-Auth-Token": demo_token})
    assert r.status_code == 503
    assert r.json() == {"serviceUnavailable": {"code": 503, "message": "nova is having a bad day"}}
    assert r.headers["x-openstack-request-id"].startswith("req-")
    assert httpx.get(f"{cloud.url}/compute/v2.1/flavors", headers={"X-Auth-Token": demo_token}).status_code == 200
    listed = fault("list", "-f", "json").stdout
    assert '"hits": 2' in listed
    fault("clear")
    assert isinstance(list(demo.compute.servers()), list)


def test_each_service_renders_the_injected_error_in_its_own_format(fault, cloud, demo_token, admin_token):
    fault("add", "--service", "network", "--method", "GET", "--path-regex", r"/v2\.0/networks$", "--status", "500")
    fault("add", "--service", "identity", "--method", "GET", "--path", "/identity/v3/projects", "--status", "409")
    auth = {"X-Auth-Token": demo_token}
    neutron = httpx.get(f"{cloud.url}/networking/v2.0/networks", headers=auth)
    assert neutron.status_code == 500 and set(neutron.json()["NeutronError"]) >= {"type", "message", "detail"}
    keystone = httpx.get(f"{cloud.url}/identity/v3/projects", headers={"X-Auth-Token": admin_token})
    assert keystone.status_code == 409 and keystone.json()["error"]["code"] == 409
    assert httpx.get(f"{cloud.url}/networking/v2.0/ports", headers=auth).status_code == 200


def test_count_project_and_delay(fault, demo, alt, cloud, demo_token):
    fault("add", "--service", "image", "--method", "GET", "--path", "/image/v2/images", "--status", "500",
          "--count", "1", "--project", "alt_demo")
    assert list(demo.image.images())                              # another project: untouched
    with pytest.raises(openstack.exceptions.HttpException):
        list(alt.image.images())
    assert list(alt.image.images())                               # count 1: spent
    fault("add", "--service", "image", "--method", "GET", "--path", "/image/v2/images", "--delay", "0.6",
          "--count", "1")
    started = time.monotonic()
    r = httpx.get(f"{cloud.url}/image/v2/images", headers={"X-Auth-Token": demo_token})
    assert r.status_code == 200 and time.monotonic() - started >= 0.6


def test_an_expired_fault_fires_no_more(fault, cloud, demo_token):
    fault("add", "--service", "compute", "--path", "/compute/v2.1/flavors", "--status", "500", "--expires-in", "0.5")
    time.sleep(0.7)
    r = httpx.get(f"{cloud.url}/compute/v2.1/flavors", headers={"X-Auth-Token": demo_token})
    assert r.status_code == 200


def test_a_server_build_ends_in_error_with_the_injected_message(fault, demo):
    fault("add", "--job", "compute.build_server", "--message", "Injected: the hypervisor caught fire")
    image = next(demo.image.images())
    flavor = demo.compute.find_flavor("m1.tiny", ignore_missing=False)
    server = demo.compute.create_server(name=unique("flt"), image_id=image.id, flavor_id=flavor.id,
                                        networks="none")
    try:
        server = demo.compute.wait_for_server(server, status="ERROR", failures=["ACTIVE"], wait=30)
        assert server.fault["message"] == "Injected: the hypervisor caught fire"
        fault("clear")
        again = demo.compute.create_server(name=unique("ok"), image_id=image.id, flavor_id=flavor.id,
                                           networks="none")
        assert demo.compute.wait_for_server(again, wait=30).status == "ACTIVE"
        demo.compute.delete_server(again)
    finally:
        demo.compute.delete_server(server)


def test_a_volume_goes_to_error_and_a_retried_job_fault_only_delays(fault, demo):
    fault("add", "--job", "volume.create", "--count", "1")
    failed = demo.block_storage.create_volume(size=1, name=unique("flt"))
    assert _wait(lambda: demo.block_storage.get_volume(failed).status, lambda s: s not in ("creating",)) == "error"
    fault("add", "--job", "volume.create", "--count", "1", "--retry")
    retried = demo.block_storage.create_volume(size=1, name=unique("rty"))
    assert _wait(lambda: demo.block_storage.get_volume(retried).status,
                 lambda s: s not in ("creating",)) == "available"
    for volume in (failed, retried):
        demo.block_storage.delete_volume(volume)


def test_a_stack_resource_fails_with_the_injected_error(fault, demo):
    fault("add", "--service", "network", "--method", "POST", "--path", "/networking/v2.0/networks",
          "--status", "500", "--message", "injected: neutron-server is down")
    template = {"heat_template_version": "2018-08-31",
                "resources": {"net": {"type": "OS::Neutron::Net", "properties": {"name": unique("hn")}}}}
    stack = demo.orchestration.create_stack(name=unique("fs"), template=template)
    try:
        stack = demo.orchestration.wait_for_status(stack, "CREATE_FAILED", failures=["CREATE_COMPLETE"], wait=60)
        assert "neutron-server is down" in stack.status_reason
    finally:
        demo.orchestration.delete_stack(stack)


def test_only_admins_manage_faults_and_bad_input_is_refused(fault, cloud, admin_token, demo_token):
    faults = f"{cloud.url}/pocketstack/v1/faults"
    body = {"fault": {"service": "compute", "status": 503}}
    assert httpx.post(faults, json=body, headers={"X-Auth-Token": demo_token}).status_code == 403
    assert httpx.get(faults, headers={"X-Auth-Token": demo_token}).status_code == 403
    assert httpx.delete(faults, headers={"X-Auth-Token": demo_token}).status_code == 403
    assert httpx.get(faults).status_code == 401
    denied = fault("add", "--service", "compute", "--status", "503", os_cloud="pocketstack", check=False)
    assert denied.returncode == 1 and "403" in denied.stderr
    admin = {"X-Auth-Token": admin_token}
    for bad in ({"status": 200}, {"service": "compute"}, {"path_regex": "(", "status": 500},
                {"job": "volume.create", "status": 500}, {"status": 500, "retry": True},
                {"status": 500, "probability": 1.5}, {"status": 500, "count": 0}, {"status": 500, "colour": "red"},
                {"path": "/a*", "path_regex": "b", "status": 500}):
        r = httpx.post(faults, json={"fault": bad}, headers=admin)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"]["code"] == 400
    assert httpx.delete(f"{faults}/no-such-fault", headers=admin).status_code == 404
    assert httpx.get(faults, headers=admin).json() == {"faults": []}


def test_reset_is_off_unless_the_server_allows_it(cloud, admin_token, demo_token):
    url = f"{cloud.url}/pocketstack/v1/reset"
    assert httpx.post(url, headers={"X-Auth-Token": demo_token}).status_code == 403
    r = httpx.post(url, headers={"X-Auth-Token": admin_token})
    assert r.status_code == 403 and "--allow-reset" in r.json()["error"]["message"]

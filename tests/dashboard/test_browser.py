"""The dashboard in real headless Chromium: what a person does, page by page."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tests.conftest import Cloud, unique
from tests.dashboard.conftest import login, shot

pytestmark = pytest.mark.filterwarnings("ignore")
D = "/dashboard/project"


def row(page: Any, table: str, name: str) -> Any:
    return page.locator(f'{table} tr[data-name="{name}"]')


def wait_status(page: Any, table: str, name: str, status: str, timeout: float = 90_000) -> None:
    row(page, table, name).locator(".status-cell", has_text=status).wait_for(timeout=timeout)


def choose(page: Any, select: str, pattern: str) -> None:
    """Select the option whose label matches a regular expression."""
    value = page.locator(f"{select} option", has_text=re.compile(pattern)).first.get_attribute("value")
    page.select_option(select, value=value)


def flash_errors(page: Any) -> list[str]:
    return page.locator(".flash.error").all_inner_texts()


def launch(page: Any, cloud: Cloud, name: str) -> None:
    page.goto(cloud.url + D + "/instances/launch")
    page.fill("#id_name", name)
    choose(page, "#id_image", r"^cirros")
    choose(page, "#id_flavor", r"^m1\.nano ")
    for box in page.locator('input[name="networks"]').all():
        box.uncheck()
    page.get_by_label("private", exact=True).check()
    page.fill("#id_user_data", "#!/bin/sh\necho hello\n")
    page.click("#launch-submit")
    page.wait_for_url(re.compile(r".*/instances/$"))


def test_overview_shows_quota_usage(demo_page: Any, cloud: Cloud) -> None:
    page = demo_page
    assert page.locator("h2", has_text="Overview").is_visible()
    quota = page.locator('figure[data-quota="Instances"]')
    assert quota.locator("svg circle.arc").count() == 1 and "Used" in quota.inner_text()
    shot(page, "overview")


def test_launch_server_and_see_it_active(demo_page: Any, cloud: Cloud) -> None:
    page, name = demo_page, unique("vm")
    launch(page, cloud, name)
    assert not flash_errors(page), flash_errors(page)
    wait_status(page, "#instances-table", name, "ACTIVE")
    shot(page, "instances")
    row(page, "#instances-table", name).locator("a").first.click()
    assert page.locator("h3", has_text="Console Log").is_visible()
    page.goto(cloud.url + D + "/instances/")
    row(page, "#instances-table", name).locator("button.btn-stop").click()
    wait_status(page, "#instances-table", name, "SHUTOFF")
    row(page, "#instances-table", name).locator("button.btn-start").click()
    wait_status(page, "#instances-table", name, "ACTIVE")


def test_create_volume_and_attach_it(demo_page: Any, cloud: Cloud) -> None:
    page, server, volume = demo_page, unique("vm"), unique("vol")
    launch(page, cloud, server)
    wait_status(page, "#instances-table", server, "ACTIVE")
    page.goto(cloud.url + D + "/volumes/")
    page.fill("#id_volume_name", volume)
    page.fill("#id_size", "1")
    page.click("#create-volume-submit")
    wait_status(page, "#volumes-table", volume, "available")
    r = row(page, "#volumes-table", volume)
    r.locator('select[name="server"]').select_option(label=server)
    r.locator("button.btn-attach").click()
    wait_status(page, "#volumes-table", volume, "in-use")
    assert server in row(page, "#volumes-table", volume).inner_text()
    shot(page, "volumes")


def test_network_and_router_in_topology(demo_page: Any, cloud: Cloud) -> None:
    page, net, router = demo_page, unique("net"), unique("router")
    page.goto(cloud.url + D + "/networks/")
    page.fill("#id_network_name", net)
    page.fill("#id_cidr", "10.77.%d.0/24" % (os.getpid() % 250))
    page.click("#create-network-submit")
    assert not flash_errors(page), flash_errors(page)
    assert row(page, "table", net).is_visible()
    page.goto(cloud.url + D + "/routers/")
    page.fill("#id_router_name", router)
    page.select_option("#id_external_network", label="public")
    choose(page, "#id_router_subnet", re.escape(net) + ":")
    page.click("#create-router-submit")
    assert not flash_errors(page), flash_errors(page)
    page.goto(cloud.url + D + "/network_topology/")
    svg = page.locator("svg#topology")
    network_bar = svg.locator(f'g.network[data-name="{net}"]')
    router_box = svg.locator(f'g.device.router[data-name="{router}"]')
    assert network_bar.count() == 1 and router_box.count() == 1
    bar_x = float(network_bar.locator("rect").get_attribute("x")) + 9
    links = [float(x) for x in router_box.locator("line").evaluate_all("ls => ls.map(l => l.getAttribute('x2'))")]
    assert bar_x in links and len(links) == 2          # its subnet and the public network
    shot(page, "network_topology")


def test_upload_object_and_download_byte_exact(demo_page: Any, cloud: Cloud, tmp_path: Any) -> None:
    page, container = demo_page, unique("c")
    payload = os.urandom(300_000) + b"\x00" * 1000 + b"\r\n\xff"
    page.goto(cloud.url + D + "/containers/")
    page.fill("#id_container_name", container)
    page.click("#create-container-submit")
    page.locator(f'tr[data-name="{container}"] a').first.click()
    page.set_input_files("#id_object_file", files=[{"name": "blob.bin", "mimeType": "application/octet-stream",
                                                   "buffer": payload}])
    page.click("#upload-object-submit")
    row(page, "#objects-table", "blob.bin").wait_for()
    with page.expect_download() as info:
        row(page, "#objects-table", "blob.bin").locator("a.download").click()
    target = tmp_path / "downloaded.bin"
    info.value.save_as(target)
    assert target.read_bytes() == payload
    shot(page, "objects")


TEMPLATE = """heat_template_version: 2018-08-31
description: dashboard test stack
parameters:
  length: {type: number, default: 12}
resources:
  secret:
    type: OS::Heat::RandomString
    properties: {length: {get_param: length}}
  salted:
    type: OS::Heat::RandomString
    properties: {salt: {get_attr: [secret, value]}}
outputs:
  secret_value:
    description: the random string
    value: {get_attr: [secret, value]}
"""


def test_launch_stack_from_template_text(demo_page: Any, cloud: Cloud) -> None:
    page, name = demo_page, unique("stack")
    page.goto(cloud.url + D + "/stacks/")
    page.click("#launch-stack")
    page.fill("#id_stack_name", name)
    page.fill("#id_template", TEMPLATE)
    page.click("#launch-stack-submit")
    assert not flash_errors(page), flash_errors(page)
    wait_status(page, "#stacks-table", name, "CREATE_COMPLETE")
    row(page, "#stacks-table", name).locator("a").first.click()
    page.locator('#resources tr[data-name="secret"]').wait_for()
    value = page.locator('#outputs tr[data-name="secret_value"] code').inner_text()
    assert len(value) == 12
    assert page.locator("#events tr").count() >= 2
    graph = page.locator("svg#resource-graph")
    assert graph.locator("g.resource").count() == 2 and graph.locator("line.edge").count() == 1
    secret_x = float(graph.locator('g[data-name="secret"] rect').get_attribute("x"))
    salted_x = float(graph.locator('g[data-name="salted"] rect').get_attribute("x"))
    assert salted_x > secret_x                        # it needs secret: one column to the right
    shot(page, "stack")


def test_reader_sees_no_create_button(browser_page: Any, cloud: Cloud, reader_user: tuple[str, str]) -> None:
    page = browser_page
    login(page, cloud, *reader_user)
    for panel in ("instances", "volumes", "images", "networks", "routers", "containers", "stacks", "key_pairs"):
        page.goto(cloud.url + f"{D}/{panel}/")
        assert page.locator("h2").first.is_visible()
        assert page.locator(".create, #launch-instance, #launch-stack").count() == 0, panel
        assert page.locator("button.btn-delete").count() == 0, panel


def test_script_in_a_name_is_shown_as_text(demo_page: Any, cloud: Cloud, demo: Any) -> None:
    page = demo_page
    evil = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">' + unique("n")
    demo.block_storage.create_volume(size=1, name=evil)
    page.goto(cloud.url + D + "/volumes/")
    assert page.evaluate("window.__xss") is None
    assert page.get_by_text(evil, exact=True).count() >= 1
    assert page.locator("#volumes-table script").count() == 0

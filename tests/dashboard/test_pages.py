"""Dashboard panels over plain HTTP: images, key pairs, security groups, floating IPs, project
switching, and the admin panels (identity, hypervisors) with their refusals for non-admins."""

from __future__ import annotations

import hashlib
import html
import os
import re
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, Cloud, unique
from tests.dashboard.conftest import password

D = "/dashboard"


class Browser:
    """A cookie-keeping HTTP client logged in through the form, posting with the CSRF token."""

    def __init__(self, cloud: Cloud, user: str, secret: str) -> None:
        self.c = httpx.Client(base_url=cloud.url, follow_redirects=True, timeout=60)
        self.csrf = self.token(self.c.get(D + "/").text)
        home = self.post(D + "/auth/login/", {"username": user, "password": secret, "domain": "Default",
                                               "region": "RegionOne"})
        assert home.url.path == D + "/project/", home.text[-1500:]

    @staticmethod
    def token(html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]

    def get(self, path: str) -> httpx.Response:
        return self.c.get(path)

    def post(self, path: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
        return self.c.post(path, data={**data, "csrfmiddlewaretoken": self.csrf}, **kw)


def errors(html: str) -> list[str]:
    return re.findall(r'class="flash error"[^>]*>([^<]*)', html)


@pytest.fixture(scope="module")
def demo_web(cloud: Cloud) -> Browser:
    return Browser(cloud, "demo", password(cloud, "pocketstack"))


@pytest.fixture(scope="module")
def admin_web(cloud: Cloud) -> Browser:
    return Browser(cloud, "admin", ADMIN_PASSWORD)


def test_upload_image_streams_the_bytes(demo_web: Browser, demo: Any) -> None:
    name, data = unique("img"), os.urandom(2 * 1024 * 1024 + 17)
    page = demo_web.post(D + "/project/images/", {"name": name, "disk_format": "raw", "container_format": "bare"},
                         files={"file": ("disk.raw", data, "application/octet-stream")})
    assert not errors(page.text) and name in page.text
    image = next(demo.image.images(name=name))
    assert image.status == "active" and image.size == len(data)
    assert image.checksum == hashlib.md5(data).hexdigest()


def test_key_pair_security_group_and_floating_ip(demo_web: Browser, demo: Any) -> None:
    key = unique("key")
    page = demo_web.post(D + "/project/key_pairs/", {"name": key})
    assert "PRIVATE KEY" in page.text and key in page.text
    group = unique("sg")
    page = demo_web.post(D + "/project/security_groups/", {"name": group, "description": "web"})
    assert group in page.text
    sg = demo.network.find_security_group(group)
    page = demo_web.post(D + f"/project/security_groups/{sg.id}/rules", {"protocol": "tcp", "port": "22",
                                                                         "remote_ip_prefix": "0.0.0.0/0"})
    assert not errors(page.text) and ">22<" in page.text
    public = demo.network.find_network("public")
    page = demo_web.post(D + "/project/floating_ips/", {"action": "allocate", "network": public.id})
    assert not errors(page.text) and re.search(r"<td>\d+\.\d+\.\d+\.\d+</td>", page.text)
    demo.network.delete_security_group(sg.id)


def test_non_admin_gets_the_apis_refusal_on_admin_pages(demo_web: Browser) -> None:
    page = demo_web.get(D + "/admin/hypervisors/")
    assert page.status_code == 403 and "os-hypervisors" in page.text
    assert "Hypervisors</a>" not in demo_web.get(D + "/project/").text      # not in the menu either


def test_admin_identity_and_hypervisor_pages(admin_web: Browser, cloud: Cloud) -> None:
    project = unique("proj")
    page = admin_web.post(D + "/identity/", {"name": project, "description": "<b>made</b> here"})
    assert not errors(page.text) and f'data-name="{project}"' in page.text
    assert "&lt;b&gt;made&lt;/b&gt; here" in page.text
    page = admin_web.get(D + "/identity/users/")
    assert 'data-name="demo"' in page.text and 'data-name="admin"' in page.text
    assert 'data-name="reader"' in admin_web.get(D + "/identity/roles/").text
    page = admin_web.get(D + "/admin/hypervisors/")
    assert page.status_code == 200 and "fake" in page.text and "nova-compute" in page.text


def test_project_switcher(admin_web: Browser, cloud: Cloud, admin: Any) -> None:
    other = admin.identity.create_project(name=unique("proj"), domain_id="default")
    admin.identity.assign_project_role_to_user(other, admin.identity.find_user("admin"),
                                               admin.identity.find_role("member"))
    home = admin_web.get(D + "/project/")
    assert f'value="{other.id}"' in home.text
    page = admin_web.post(D + f"/auth/switch/{other.id}/", {})
    assert f'Switched to project "{other.name}"' in html.unescape(page.text)
    assert re.search(rf'value="{other.id}"\s+selected', page.text)
    assert "(member, reader)" in page.text                  # the persona of that project's roles
    admin_web.post(D + f"/auth/switch/{admin.current_project_id}/", {})


def test_volume_snapshot_and_backup(demo_web: Browser, demo: Any) -> None:
    volume = demo.block_storage.create_volume(size=1, name=unique("vol"))
    demo.block_storage.wait_for_status(volume, "available", wait=60)
    snap, backup = unique("snap"), unique("bak")
    url = D + f"/project/volumes/{volume.id}/action"
    page = demo_web.post(url, {"action": "snapshot", "name": snap})
    assert not errors(page.text) and f'data-name="{snap}"' in page.text
    page = demo_web.post(url, {"action": "backup", "name": backup})
    assert not errors(page.text) and f'data-name="{backup}"' in page.text
    found = demo.block_storage.wait_for_status(next(demo.block_storage.backups(name=backup)), "available", wait=60)
    assert found.volume_id == volume.id


def test_dashboard_requests_are_in_metrics(demo_web: Browser, cloud: Cloud) -> None:
    demo_web.get(D + "/project/volumes/")
    text = httpx.get(cloud.url + "/metrics").text
    assert re.search(r'pocketstack_requests_total\{[^}]*route="/dashboard/project/volumes/"[^}]*service="dashboard"'
                     r'|pocketstack_requests_total\{service="dashboard",route="/dashboard/project/volumes/"', text)


def test_object_folders(demo_web: Browser, demo: Any) -> None:
    container = unique("c")
    demo_web.post(D + "/project/containers/", {"name": container})
    page = demo_web.post(D + f"/project/containers/{container}/folder", {"name": "docs", "prefix": ""})
    assert not errors(page.text) and f"?prefix=docs%2F" in page.text
    page = demo_web.post(D + f"/project/containers/{container}/", {"prefix": "docs/"},
                         files={"file": ("a.txt", b"hello", "text/plain")})
    assert 'data-name="docs/a.txt"' in page.text
    assert [o.name for o in demo.object_store.objects(container)] == ["docs/", "docs/a.txt"]
    assert demo_web.get(D + f"/project/containers/{container}/object/docs/a.txt").content == b"hello"


def test_instance_page_says_why_there_is_no_remote_console(demo_web: Browser, demo: Any) -> None:
    image = next(i for i in demo.image.images() if (i.name or "").startswith("cirros"))
    private = demo.network.find_network("private")     # other tests add networks: "auto" would be ambiguous
    server = demo.compute.create_server(name=unique("vm"), image_id=image.id,
                                        flavor_id=demo.compute.find_flavor("m1.nano").id,
                                        networks=[{"uuid": private.id}])
    demo.compute.wait_for_server(server, wait=180)
    page = demo_web.get(D + f"/project/instances/{server.id}/")
    assert page.status_code == 200 and "Console Log" in page.text
    assert 'id="remote-console"' in page.text


def test_admin_all_projects_groups_and_application_credentials(admin_web: Browser, demo_web: Browser,
                                                               demo: Any) -> None:
    volume = demo.block_storage.create_volume(size=1, name=unique("vol"))
    page = admin_web.get(D + "/admin/volumes/")
    assert page.status_code == 200 and f'data-name="{volume.name}"' in page.text and ">demo<" in page.text
    assert admin_web.get(D + "/admin/instances/").status_code == 200
    group = unique("grp")
    assert f'data-name="{group}"' in admin_web.post(D + "/identity/groups/", {"name": group}).text
    cred = unique("cred")
    page = demo_web.post(D + "/identity/application_credentials/", {"name": cred})
    secret = re.search(r'id="credential-secret">([^<]+)<', page.text).group(1)  # type: ignore[union-attr]
    assert len(secret) > 20 and f'data-name="{cred}"' in page.text
    assert demo_web.get(D + "/admin/volumes/").status_code == 403

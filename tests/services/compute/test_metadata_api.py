"""The metadata service (/compute/metadata, as the network's metadata proxy calls it) and the config drive, for a
real server with a keypair, user data, metadata, a floating IP and a second network without DHCP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import unique
from tests.services.compute.conftest import build_config_drive

USER_DATA = b"#cloud-config\nruncmd: [echo hello]\n"
PUBLIC_VERSIONS = ["2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30", "2016-10-06",
                   "2017-02-22", "2018-08-27", "2020-10-14", "2025-04-04"]


class Guest:
    """What the proxy sends on a guest's behalf."""

    def __init__(self, cloud: Any, server: dict[str, Any], project_id: str) -> None:
        self.url = cloud.url + "/compute/metadata"
        self.secret = (Path(cloud.data_dir) / "metadata_proxy_shared_secret").read_text().strip()
        self.server, self.project_id = server, project_id

    def headers(self, instance_id: str | None = None, project_id: str | None = None) -> dict[str, str]:
        instance_id = instance_id or self.server["id"]
        return {"X-Instance-ID": instance_id, "X-Tenant-ID": project_id or self.project_id,
                "X-Forwarded-For": "10.0.0.5",
                "X-Instance-ID-Signature": hmac.new(self.secret.encode(), instance_id.encode(),
                                                    hashlib.sha256).hexdigest()}

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, headers=kw.pop("headers", None) or self.headers(), **kw)

    def text(self, path: str) -> str:
        r = self.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.text

    def json(self, path: str) -> Any:
        return json.loads(self.text(path))


def _neutron(cloud: Any, token: str, method: str, path: str, body: Any = None) -> Any:
    r = httpx.request(method, cloud.url + "/networking/v2.0" + path, json=body, headers={"X-Auth-Token": token})
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture(scope="module")
def static_net(cloud: Any, demo_token: str) -> dict[str, Any]:
    """A network without DHCP: network_data.json describes the address itself, with routes and DNS."""
    net = _neutron(cloud, demo_token, "POST", "/networks", {"network": {"name": unique("mdnet")}})["network"]
    subnet = _neutron(cloud, demo_token, "POST", "/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "192.168.77.0/24", "ip_version": 4, "enable_dhcp": False,
        "gateway_ip": "192.168.77.1", "dns_nameservers": ["192.168.77.53"],
        "host_routes": [{"destination": "172.16.0.0/16", "nexthop": "192.168.77.254"}]}})["subnet"]
    yield {"network": net, "subnet": subnet}


@pytest.fixture(scope="module")
def booted(cloud: Any, nova_demo: Any, private_net: str, demo_token: str, static_net: dict[str, Any]) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    r = nova_demo.post("/os-keypairs", json={"keypair": {"name": unique("mdkey"), "public_key": public}})
    assert r.status_code == 201, r.text
    key = r.json()["keypair"]
    created = nova_demo.boot(networks=[{"uuid": private_net}, {"uuid": static_net["network"]["id"], "tag": "data"}],
                             key_name=key["name"], metadata={"role": "web", "tier": "1"},
                             user_data=base64.b64encode(USER_DATA).decode())
    server = nova_demo.wait(created["id"], "ACTIVE")
    ports = _neutron(cloud, demo_token, "GET", f"/ports?device_id={server['id']}")["ports"]
    private_port = next(p for p in ports if p["network_id"] == private_net)
    public = _neutron(cloud, demo_token, "GET", "/networks?router:external=true")["networks"][0]
    fip = _neutron(cloud, demo_token, "POST", "/floatingips", {"floatingip": {
        "floating_network_id": public["id"], "port_id": private_port["id"]}})["floatingip"]
    project_id = server["tenant_id"]
    yield {"server": server, "key": key, "ports": ports, "private_port": private_port, "fip": fip,
           "guest": Guest(cloud, server, project_id)}
    _neutron(cloud, demo_token, "DELETE", f"/floatingips/{fip['id']}")
    nova_demo.delete(f"/servers/{server['id']}")
    nova_demo.delete(f"/os-keypairs/{key['name']}")


# --- OpenStack format ------------------------------------------------------------------------
def test_openstack_versions_and_listing(booted):
    guest = booted["guest"]
    assert guest.text("/openstack").split("\n") == PUBLIC_VERSIONS + ["latest"]
    assert guest.text("/openstack/latest").split("\n") == [
        "meta_data.json", "user_data", "password", "vendor_data.json", "network_data.json", "vendor_data2.json"]
    assert guest.text("/openstack/2012-08-10").split("\n") == ["meta_data.json", "user_data"]
    assert guest.get("/openstack/2012-08-10/password").status_code == 404
    assert guest.get("/openstack/2012-08-10/vendor_data.json").status_code == 404
    assert guest.get("/openstack/1999-01-01/meta_data.json").status_code == 404
    assert guest.get("/openstack/latest/nothing.json").status_code == 404


def test_meta_data_json(booted):
    guest, server, key = booted["guest"], booted["server"], booted["key"]
    r = guest.get("/openstack/latest/meta_data.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    md = r.json()
    assert md["uuid"] == server["id"] and md["name"] == server["name"]
    assert md["hostname"] == server["OS-EXT-SRV-ATTR:hostname"] + ".novalocal"
    assert md["launch_index"] == 0 and md["availability_zone"] == "nova" and md["project_id"] == server["tenant_id"]
    assert md["meta"] == {"role": "web", "tier": "1"}
    assert md["public_keys"] == {key["name"]: key["public_key"]}
    assert md["keys"] == [{"name": key["name"], "type": "ssh", "data": key["public_key"]}]
    assert len(base64.b64decode(md["random_seed"])) == 512 and md["dedicated_cpus"] == []
    data_port = next(p for p in booted["ports"] if p["network_id"] != booted["private_port"]["network_id"])
    assert md["devices"] == [{"type": "nic", "mac": data_port["mac_address"], "vf_trusted": False, "bus": "none",
                              "address": "none", "tags": ["data"]}]
    old = guest.json("/openstack/2012-08-10/meta_data.json")
    assert "random_seed" not in old and "project_id" not in old and "devices" not in old
    assert "dedicated_cpus" not in guest.json("/openstack/2018-08-27/meta_data.json")


def test_user_data_and_vendor_data(booted, nova_demo):
    guest = booted["guest"]
    assert guest.get("/openstack/latest/user_data").content == USER_DATA
    assert guest.json("/openstack/latest/vendor_data.json") == {}
    assert guest.json("/openstack/latest/vendor_data2.json") == {"static": {}}


def test_network_data_json(booted, static_net):
    nd = booted["guest"].json("/openstack/latest/network_data.json")
    private, data = booted["private_port"], next(p for p in booted["ports"] if p is not booted["private_port"])
    by_mac = {link["ethernet_mac_address"]: link for link in nd["links"]}
    assert set(by_mac) == {private["mac_address"], data["mac_address"]}
    link = by_mac[data["mac_address"]]
    # the port is bound (compute binds with its service user), so its type is its vif_type (ovs), as nova's
    assert link["id"] == ("tap" + data["id"])[:14] and link["vif_id"] == data["id"]
    assert link["type"] in ("phy", "bridge", "ovs")
    networks = {n["link"]: n for n in nd["networks"]}
    assert networks[by_mac[private["mac_address"]]["id"]]["type"] == "ipv4_dhcp"
    static = networks[link["id"]]
    assert static == {
        "id": static["id"], "type": "ipv4", "link": link["id"], "network_id": static_net["network"]["id"],
        "ip_address": data["fixed_ips"][0]["ip_address"], "netmask": "255.255.255.0",
        "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "192.168.77.1"},
                   {"network": "172.16.0.0", "netmask": "255.255.0.0", "gateway": "192.168.77.254"}],
        "services": [{"type": "dns", "address": "192.168.77.53"}]}
    assert {"type": "dns", "address": "192.168.77.53"} in nd["services"]


# --- EC2 format ------------------------------------------------------------------------------
def test_ec2_tree(booted, nova_admin):
    guest, server, key, fip = booted["guest"], booted["server"], booted["key"], booted["fip"]
    versions = guest.text("/").split("\n")
    assert versions[0] == "1.0" and versions[-2:] == ["2009-04-04", "latest"]
    assert httpx.get(guest.url).text == guest.text("/")           # the root needs no signature
    assert guest.text("/latest").split("\n") == ["meta-data/", "user-data"]
    listing = guest.text("/latest/meta-data/").split("\n")
    for item in ("ami-id", "ami-launch-index", "block-device-mapping/", "hostname", "instance-id", "instance-type",
                 "local-hostname", "local-ipv4", "placement/", "public-hostname", "public-ipv4", "public-keys/",
                 "reservation-id", "security-groups"):
        assert item in listing
    assert guest.text("/latest/meta-data/instance-id").startswith("i-") and len(guest.text(
        "/latest/meta-data/instance-id")) == 10
    assert guest.text("/latest/meta-data/ami-id").startswith("ami-")
    assert guest.text("/latest/meta-data/hostname") == server["OS-EXT-SRV-ATTR:hostname"] + ".novalocal"
    assert guest.text("/latest/meta-data/local-hostname") == guest.text("/latest/meta-data/hostname")
    assert guest.text("/latest/meta-data/local-ipv4") == booted["private_port"]["fixed_ips"][0]["ip_address"]
    assert guest.text("/latest/meta-data/public-ipv4") == fip["floating_ip_address"]
    assert guest.text("/latest/meta-data/public-keys/") == "0=" + key["name"]
    assert guest.text("/latest/meta-data/public-keys/0/") == "openssh-key"
    assert guest.text("/latest/meta-data/public-keys/0/openssh-key") == key["public_key"]
    assert guest.text("/latest/meta-data/placement/availability-zone") == "nova"
    assert guest.text("/latest/meta-data/security-groups") == "default"
    assert guest.text("/latest/meta-data/instance-type") == "m1.tiny"
    assert guest.text("/latest/meta-data/reservation-id") == nova_admin.show(server["id"])["OS-EXT-SRV-ATTR:reservation_id"]
    assert guest.text("/latest/meta-data/block-device-mapping/").split("\n") == ["ami", "root"]
    assert guest.text("/latest/meta-data/block-device-mapping/root") == "/dev/vda"
    assert guest.text("/latest/meta-data/ami-launch-index") == "0"
    assert guest.get("/latest/user-data").content == USER_DATA
    assert guest.text("/2009-04-04/meta-data/hostname") == guest.text("/latest/meta-data/hostname")
    assert "public-ipv4" not in guest.text("/1.0/meta-data/").split("\n")
    assert guest.get("/2010-01-01/meta-data/").status_code == 404
    assert guest.get("/latest/meta-data/nothing").status_code == 404


# --- authentication and errors ---------------------------------------------------------------
def test_signature_headers_and_unknown_instance(booted):
    guest = booted["guest"]
    bad = {**guest.headers(), "X-Instance-ID-Signature": "0" * 64}
    r = guest.get("/openstack/latest/meta_data.json", headers=bad)
    assert r.status_code == 403 and "Invalid proxy request signature" in r.text
    assert r.headers["content-type"].startswith("text/plain")
    for missing in ("X-Instance-ID", "X-Instance-ID-Signature", "X-Tenant-ID"):
        headers = {k: v for k, v in guest.headers().items() if k != missing}
        r = guest.get("/openstack/latest/meta_data.json", headers=headers)
        assert r.status_code == 400 and f"{missing} header is missing" in r.text
    stranger = str(uuid.uuid4())
    assert guest.get("/openstack/latest/meta_data.json", headers=guest.headers(stranger)).status_code == 404
    other_project = guest.headers(project_id=uuid.uuid4().hex)
    assert guest.get("/openstack/latest/meta_data.json", headers=other_project).status_code == 404
    # a Keystone token is no way in
    r = httpx.get(guest.url + "/openstack/latest/meta_data.json", headers={"X-Auth-Token": "whatever"})
    assert r.status_code == 400


def test_user_data_404_without_user_data(cloud, nova_demo, demo_token, booted):
    created = nova_demo.boot()
    server = nova_demo.wait(created["id"], "ACTIVE")
    try:
        guest = Guest(cloud, server, server["tenant_id"])
        assert guest.get("/openstack/latest/user_data").status_code == 404
        assert guest.get("/latest/user-data").status_code == 404
        assert guest.text("/openstack/latest").split("\n")[:2] == ["meta_data.json", "password"]
        assert guest.text("/latest") == "meta-data/"
        assert guest.json("/openstack/latest/network_data.json") == {}
        md = guest.json("/openstack/latest/meta_data.json")
        assert "public_keys" not in md and "meta" not in md and "keys" not in md
        assert guest.get("/latest/meta-data/public-keys/").status_code == 404
        assert guest.text("/latest/meta-data/public-ipv4") == ""
    finally:
        nova_demo.delete(f"/servers/{server['id']}")


def test_password_set_once(cloud, nova_demo, demo_token):
    created = nova_demo.boot()
    server = nova_demo.wait(created["id"], "ACTIVE")
    guest = Guest(cloud, server, server["tenant_id"])
    url, headers = guest.url + "/openstack/latest/password", guest.headers()
    try:
        assert guest.get("/openstack/latest/password").text == ""
        assert httpx.post(url, content=b"x" * 1021, headers=headers).status_code == 400
        assert httpx.post(url, content=b"encrypted-secret", headers=headers).status_code == 200
        assert guest.text("/openstack/latest/password") == "encrypted-secret"
        assert httpx.post(url, content=b"again", headers=headers).status_code == 409
        bad = {**headers, "X-Instance-ID-Signature": "f" * 64}
        assert httpx.post(url, content=b"x", headers=bad).status_code == 403
        shown = nova_demo.get(f"/servers/{server['id']}/os-server-password")
        assert shown.status_code == 200 and shown.json() == {"password": "encrypted-secret"}
        assert nova_demo.delete(f"/servers/{server['id']}/os-server-password").status_code == 204
        assert nova_demo.get(f"/servers/{server['id']}/os-server-password").json() == {"password": ""}
        assert httpx.post(url, content=b"second", headers=headers).status_code == 200
        assert guest.text("/openstack/2013-04-04/password") == "second"
    finally:
        nova_demo.delete(f"/servers/{server['id']}")


# --- config drive ----------------------------------------------------------------------------


def test_config_drive(cloud, booted, tmp_path):
    import pycdlib
    out = tmp_path / "disk.config"
    build_config_drive(cloud, booted["server"]["id"], out, ', admin_pass="s3cret", files=[("/etc/motd", b"hello")]')
    iso = pycdlib.PyCdlib()
    iso.open(str(out))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "config-2"
        names = {path for path, _, _ in _walk(iso)}

        def read(path: str) -> bytes:
            buf = __import__("io").BytesIO()
            iso.get_file_from_iso_fp(buf, rr_path="/" + path)
            return buf.getvalue()
        for version in PUBLIC_VERSIONS + ["latest"]:
            assert f"openstack/{version}/meta_data.json" in names and f"openstack/{version}/user_data" in names
        assert "openstack/latest/vendor_data2.json" in names and "openstack/2013-04-04/vendor_data.json" not in names
        assert "openstack/latest/password" not in names
        assert {"ec2/latest/meta-data.json", "ec2/latest/user-data", "ec2/2009-04-04/meta-data.json"} <= names
        assert not any(n.startswith("ec2/2008-09-01") for n in names)
        md = json.loads(read("openstack/latest/meta_data.json"))
        assert md["uuid"] == booted["server"]["id"] and md["admin_pass"] == "s3cret"
        assert md["files"] == [{"path": "/etc/motd", "content_path": "/content/0000"}]
        assert read("openstack/content/0000") == b"hello"
        assert read("openstack/latest/user_data") == USER_DATA
        assert len(json.loads(read("openstack/latest/network_data.json"))["links"]) == 2
        ec2 = json.loads(read("ec2/latest/meta-data.json"))
        assert ec2["public-keys"] == {"0": {"openssh-key": booted["key"]["public_key"]}}
        assert ec2["public-ipv4"] == booted["fip"]["floating_ip_address"]
        # Joliet names too, for readers without Rock Ridge
        buf = __import__("io").BytesIO()
        iso.get_file_from_iso_fp(buf, joliet_path="/openstack/latest/meta_data.json")
        assert json.loads(buf.getvalue())["uuid"] == booted["server"]["id"]
    finally:
        iso.close()


def _walk(iso: Any) -> Any:
    for dirname, _, files in iso.walk(rr_path="/"):
        for name in files:
            yield (dirname.strip("/") + "/" + name).strip("/"), dirname, name

"""`pocketstack serve --tls-cert --tls-key`: HTTPS on the main port and the object store's own port,
the catalog and every version document in https, clouds.yaml pointing clients at the certificate."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_cloud, stop_cloud

VERSION_ROOTS = ["/identity", "/compute", "/image", "/volume", "/networking", "/heat-api", "/baremetal",
                 "/accelerator", "/placement"]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key (made here, never reused)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pocketstack test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_cloud(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(tmp)
    cloud = start_cloud(tmp, tls=(cert, key))
    yield cloud, cert
    stop_cloud(cloud)


def _links(body: object) -> list[str]:
    if isinstance(body, dict):
        found = [body["href"]] if isinstance(body.get("href"), str) else []
        return found + [h for v in body.values() for h in _links(v)]
    if isinstance(body, list):
        return [h for v in body for h in _links(v)]
    return []


def test_openstacksdk_over_https_with_the_certificate_as_ca(tls_cloud):
    from openstack import config, connection
    cloud, cert = tls_cloud
    clouds = cloud.clouds()
    assert clouds["pocketstack"]["auth"]["auth_url"].startswith("https://")
    assert clouds["pocketstack"]["cacert"] == str(cert)
    region = config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)], load_envvars=False).get_one(
        cloud="pocketstack-admin")
    assert region.config["cacert"] == str(cert)      # keystoneauth's session verifies against it
    conn = connection.Connection(config=region)
    endpoints = [e["url"] for e in conn.identity.get("/endpoints").json()["endpoints"]]
    assert endpoints and all(url.startswith("https://") for url in endpoints), endpoints
    assert any(url.startswith(cloud.object_store_url) for url in endpoints)   # the object store's own port
    assert conn.compute.find_flavor("m1.nano") is not None
    assert any(i.name.startswith("cirros") for i in conn.image.images())
    assert next(iter(conn.network.networks()), None) is not None
    conn.object_store.create_container("tls")
    conn.object_store.upload_object("tls", "o", data=b"over https")
    assert conn.object_store.download_object("o", container="tls") == b"over https"
    assert conn.object_store.get_endpoint().startswith(cloud.object_store_url)


def test_every_version_document_links_in_https(tls_cloud):
    cloud, cert = tls_cloud
    ctx = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=cloud.url, verify=ctx) as client:
        for root in VERSION_ROOTS:
            r = client.get(root + "/", follow_redirects=True)
            assert r.status_code in (200, 300), (root, r.status_code)
            links = [link for link in _links(r.json()) if link]    # quirk: placement's self link is ""
            assert all(link.startswith("https://") for link in links), (root, links)
            assert links or root == "/placement"
        info = httpx.get(cloud.object_store_url + "/info", verify=ctx)
        assert info.status_code == 200


def test_plain_http_and_an_untrusting_client_get_nothing(tls_cloud):
    cloud, _ = tls_cloud
    with pytest.raises(httpx.ConnectError):          # the certificate is nobody's CA but ours
        httpx.get(cloud.url + "/healthcheck")
    with pytest.raises(httpx.HTTPError):
        httpx.get(cloud.url.replace("https://", "http://") + "/healthcheck")


def test_a_key_that_does_not_fit_is_refused_in_one_line(tmp_path):
    cert, _ = self_signed(tmp_path)
    (tmp_path / "other").mkdir()
    _, other_key = self_signed(tmp_path / "other")
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--port", "1", "--data-dir",
                           str(tmp_path / "data"), "--tls-cert", str(cert), "--tls-key", str(other_key)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("pocketstack: cannot use the TLS certificate")
    assert proc.stderr.count("\n") == 1
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--port", "1", "--data-dir",
                           str(tmp_path / "data"), "--tls-cert", str(cert)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "go together" in proc.stderr

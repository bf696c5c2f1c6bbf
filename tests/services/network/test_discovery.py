"""Version document, extensions, error body."""

from tests.services.network.conftest import error_type


def test_version_document_is_public(http):
    r = http.get("/networking/")
    assert r.status_code == 200
    (version,) = r.json()["versions"]
    assert version["id"] == "v2.0" and version["status"] == "CURRENT"
    assert version["links"][0]["href"].endswith("/networking/v2.0/")


def test_catalog_names_neutron(admin):
    endpoint = admin.session.get_endpoint(service_type="network", interface="public")
    assert endpoint.rstrip("/").endswith("/networking")


def test_extensions_list_and_show(neutron_demo):
    aliases = {e["alias"] for e in neutron_demo.get("/extensions").json()["extensions"]}
    assert {"router", "security-group", "quotas", "standard-attr-tag", "revision-if-match",
            "filter-validation", "pagination", "sorting", "external-net", "binding"} <= aliases
    ext = neutron_demo.get("/extensions/router").json()["extension"]
    assert ext["name"] == "Neutron L3 Router" and ext["links"] == []
    r = neutron_demo.get("/extensions/no-such-thing")
    assert r.status_code == 404 and error_type(r) == "HTTPNotFound"


def test_no_token_is_401(http):
    assert http.get("/networking/v2.0/networks").status_code == 401


def test_cli_lists_extensions(cli):
    rows = cli("extension", "list", "--network")
    assert any(row["Alias"] == "security-group" for row in rows)

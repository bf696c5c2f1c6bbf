"""Metadata definitions over HTTP: namespaces, objects, properties, tags, resource types, schemas."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import unique

NS = "/v2/metadefs/namespaces"


@pytest.fixture()
def namespace(glance_admin):
    name = unique("ns")
    r = glance_admin.post(NS, json={"namespace": name, "visibility": "private", "description": "d"})
    assert r.status_code == 201, r.text
    yield r.json()
    glance_admin.put(f"{NS}/{name}", json={"namespace": name, "protected": False})
    glance_admin.delete(f"{NS}/{name}")


def test_schemas(glance_demo):
    for name, title in (("namespace", "namespace"), ("namespaces", "namespaces"), ("object", "object"),
                        ("objects", "objects"), ("property", "property"), ("properties", "properties"),
                        ("resource_type", "resource_type_association"),
                        ("resource_types", "resource_type_associations"), ("tag", "tag"), ("tags", "tags")):
        r = glance_demo.get(f"/v2/schemas/metadefs/{name}")
        assert r.status_code == 200 and r.json()["name"] == title
    assert glance_demo.get("/v2/schemas/metadefs/nope").status_code == 404
    assert glance_demo.get("/v2/schemas/metadefs/namespace").json()["required"] == ["namespace"]


def test_seeded_resource_types(glance_demo):
    names = [rt["name"] for rt in glance_demo.get("/v2/metadefs/resource_types").json()["resource_types"]]
    assert "OS::Glance::Image" in names and "OS::Nova::Flavor" in names


def test_namespace_lifecycle_with_contents(glance_admin):
    name = unique("ns")
    body = {"namespace": name, "display_name": "Disp", "visibility": "public", "protected": True,
            "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
            "properties": {"cpu": {"title": "CPU", "type": "integer", "minimum": 1}},
            "objects": [{"name": "obj1", "properties": {"p": {"title": "P", "type": "string"}}, "required": ["p"]}],
            "tags": [{"name": "tag1"}]}
    r = glance_admin.post(NS, json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith(f"{NS}/{name}")
    created = r.json()
    assert created["self"] == f"{NS}/{name}" and created["schema"] == "/v2/schemas/metadefs/namespace"
    shown = glance_admin.get(f"{NS}/{name}").json()
    assert shown["properties"]["cpu"]["minimum"] == 1 and shown["tags"] == [{"name": "tag1"}]
    assert shown["objects"][0]["name"] == "obj1" and shown["resource_type_associations"][0]["prefix"] == "hw_"
    prefixed = glance_admin.get(f"{NS}/{name}", params={"resource_type": "OS::Glance::Image"}).json()
    assert "hw_cpu" in prefixed["properties"] and prefixed["objects"][0]["required"] == ["hw_p"]
    assert glance_admin.get(f"{NS}/{name}/properties/hw_cpu",
                            params={"resource_type": "OS::Glance::Image"}).json()["name"] == "cpu"
    assert glance_admin.delete(f"{NS}/{name}").status_code == 403                 # protected
    assert glance_admin.delete(f"{NS}/{name}/tags/tag1").status_code == 403
    assert glance_admin.post(NS, json={"namespace": name}).status_code == 409
    updated = glance_admin.put(f"{NS}/{name}", json={"namespace": name, "protected": False}).json()
    assert updated["visibility"] == "private" and updated["protected"] is False   # Glance's update defaults
    assert glance_admin.delete(f"{NS}/{name}").status_code == 204
    assert glance_admin.get(f"{NS}/{name}").status_code == 404


def test_namespace_bad_input(glance_admin):
    assert glance_admin.post(NS, json={"visibility": "public"}).status_code == 400
    assert glance_admin.post(NS, json={"namespace": "x", "visibility": "shared"}).status_code == 400
    assert glance_admin.post(NS, json={"namespace": "x" * 81}).status_code == 400
    assert glance_admin.post(NS, json={"namespace": "x", "self": "/x"}).status_code == 403
    assert glance_admin.post(NS, json={"namespace": "x", "bogus": 1}).status_code == 400
    assert glance_admin.get(NS, params={"limit": "x"}).status_code == 400
    assert glance_admin.get(NS, params={"sort_dir": "up"}).status_code == 400
    assert glance_admin.get(NS, params={"visibility": "shared"}).status_code == 400


def test_namespace_paging(glance_admin):
    names = [unique("pg") for _ in range(3)]
    try:
        for n in names:
            assert glance_admin.post(NS, json={"namespace": n}).status_code == 201
        first = glance_admin.get(NS, params={"limit": 2}).json()
        assert len(first["namespaces"]) == 2 and "marker=" in first["next"]
        assert first["schema"] == "/v2/schemas/metadefs/namespaces"
        marker = first["namespaces"][-1]["namespace"]
        rest = glance_admin.get(NS, params={"limit": 1000, "marker": marker}).json()["namespaces"]
        seen = {n["namespace"] for n in first["namespaces"]} | {n["namespace"] for n in rest}
        assert set(names) <= seen and marker not in {n["namespace"] for n in rest}
        assert glance_admin.get(NS, params={"marker": "no-such"}).status_code == 404
    finally:
        for n in names:
            glance_admin.delete(f"{NS}/{n}")


def test_visibility_and_policy(glance_admin, glance_demo, namespace):
    name = namespace["namespace"]
    # a private namespace of another project is invisible; changing one is admin only
    assert glance_demo.get(f"{NS}/{name}").status_code == 404
    assert glance_demo.get(f"{NS}/{name}/objects").status_code == 404
    assert name not in [n["namespace"] for n in glance_demo.get(NS).json()["namespaces"]]
    assert glance_demo.post(NS, json={"namespace": unique()}).status_code == 403
    glance_admin.put(f"{NS}/{name}", json={"namespace": name, "visibility": "public"})
    assert glance_demo.get(f"{NS}/{name}").status_code == 200
    assert glance_demo.post(f"{NS}/{name}/tags/t").status_code == 403              # visible: 403, not 404
    assert glance_demo.delete(f"{NS}/{name}").status_code == 403


def test_missing_auth(cloud):
    assert httpx.get(f"{cloud.url}/image{NS}").status_code == 401


def test_objects(glance_admin, namespace):
    base = f"{NS}/{namespace['namespace']}/objects"
    r = glance_admin.post(base, json={"name": "o1", "description": "d",
                                      "properties": {"a": {"title": "A", "type": "string", "enum": ["x"]}}})
    assert r.status_code == 201, r.text
    assert r.json()["self"] == f"{base}/o1" and r.json()["properties"]["a"]["enum"] == ["x"]
    assert glance_admin.post(base, json={"name": "o1"}).status_code == 409
    assert glance_admin.post(base, json={"name": "o2", "properties": {"b": {"type": "string"}}}).status_code == 400
    assert glance_admin.post(base, json={"description": "no name"}).status_code == 400
    assert glance_admin.post(base, json={"name": "o3"}).status_code == 201
    listed = glance_admin.get(base).json()
    assert {o["name"] for o in listed["objects"]} == {"o1", "o3"}
    assert glance_admin.put(f"{base}/o1", json={"name": "o3"}).status_code == 409
    renamed = glance_admin.put(f"{base}/o1", json={"name": "o9", "required": ["a"]})
    assert renamed.status_code == 200 and renamed.json()["name"] == "o9"
    assert glance_admin.get(f"{base}/o1").status_code == 404
    assert glance_admin.delete(f"{base}/o9").status_code == 204
    assert glance_admin.delete(f"{base}/o9").status_code == 404
    assert glance_admin.delete(base).status_code == 204
    assert glance_admin.get(base).json()["objects"] == []


def test_properties(glance_admin, namespace):
    base = f"{NS}/{namespace['namespace']}/properties"
    prop = {"name": "p1", "title": "P1", "type": "string", "enum": ["a", "b"]}
    r = glance_admin.post(base, json=prop)
    assert r.status_code == 201 and r.json() == prop
    assert glance_admin.post(base, json=prop).status_code == 409
    assert glance_admin.post(base, json={"name": "p2", "type": "string"}).status_code == 400
    assert glance_admin.post(base, json={**prop, "name": "p3", "type": "weird"}).status_code == 400
    assert glance_admin.get(base).json()["properties"]["p1"]["title"] == "P1"
    upd = glance_admin.put(f"{base}/p1", json={**prop, "title": "New"})
    assert upd.status_code == 200 and upd.json()["title"] == "New"
    assert glance_admin.get(f"{base}/p1").json()["title"] == "New"
    assert glance_admin.get(f"{base}/nope").status_code == 404
    assert glance_admin.delete(f"{base}/p1").status_code == 204
    assert glance_admin.get(base).json()["properties"] == {}


def test_tags(glance_admin, namespace):
    base = f"{NS}/{namespace['namespace']}/tags"
    r = glance_admin.post(base, json={"tags": [{"name": "a"}, {"name": "b"}]})
    assert r.status_code == 201 and r.json() == {"tags": [{"name": "a"}, {"name": "b"}]}
    assert glance_admin.post(base, json={"tags": [{"name": "c"}, {"name": "C"}]}).status_code == 409
    r = glance_admin.post(base, json={"tags": [{"name": "c"}]}, headers={"X-Openstack-Append": "True"})
    assert r.status_code == 201
    assert sorted(t["name"] for t in glance_admin.get(base).json()["tags"]) == ["a", "b", "c"]
    glance_admin.post(base, json={"tags": [{"name": "z"}]})                         # replaces
    assert [t["name"] for t in glance_admin.get(base).json()["tags"]] == ["z"]
    one = glance_admin.post(f"{base}/y")
    assert one.status_code == 201 and one.json()["name"] == "y" and "created_at" in one.json()
    assert glance_admin.post(f"{base}/Y").status_code == 409
    assert glance_admin.put(f"{base}/y", json={"name": "z"}).status_code == 409
    assert glance_admin.put(f"{base}/y", json={"name": "w"}).json()["name"] == "w"
    assert glance_admin.get(f"{base}/w").status_code == 200
    assert glance_admin.get(base, params={"limit": 1}).json()["tags"].__len__() == 1
    assert glance_admin.delete(f"{base}/w").status_code == 204
    assert glance_admin.delete(f"{base}/w").status_code == 404
    assert glance_admin.delete(base).status_code == 204
    assert glance_admin.get(base).json()["tags"] == []


def test_resource_type_associations(glance_admin, namespace):
    base = f"{NS}/{namespace['namespace']}/resource_types"
    r = glance_admin.post(base, json={"name": "OS::Nova::Flavor", "prefix": "x:"})
    assert r.status_code == 201 and r.json()["name"] == "OS::Nova::Flavor" and r.json()["prefix"] == "x:"
    assert glance_admin.post(base, json={"name": "OS::Nova::Flavor"}).status_code == 409
    assert glance_admin.post(base, json={"prefix": "x"}).status_code == 400
    new_type = unique("OS::Test::")
    assert glance_admin.post(base, json={"name": new_type}).status_code == 201     # created on the way
    names = [rt["name"] for rt in glance_admin.get("/v2/metadefs/resource_types").json()["resource_types"]]
    assert new_type in names
    listed = glance_admin.get(base).json()["resource_type_associations"]
    assert {a["name"] for a in listed} == {"OS::Nova::Flavor", new_type}
    only = glance_admin.get(NS, params={"resource_types": new_type}).json()["namespaces"]
    assert [n["namespace"] for n in only] == [namespace["namespace"]]
    assert glance_admin.delete(f"{base}/OS::Nova::Flavor").status_code == 204
    assert glance_admin.delete(f"{base}/OS::Nova::Flavor").status_code == 404


def test_cli_and_sdk(cli, admin):
    name = unique("cli")
    created = cli("image", "metadef", "namespace", "create", "--public", "--description", "from the CLI", name,
                  "-f", "json")
    assert created["namespace"] == name
    shown = cli("image", "metadef", "namespace", "show", name, "-f", "json")
    assert shown["description"] == "from the CLI" and shown["visibility"] == "public"
    assert name in [n["namespace"] for n in admin.image.metadef_namespaces()]
    cli("image", "metadef", "namespace", "delete", name)
    assert cli("image", "metadef", "namespace", "show", name, check=False).returncode != 0

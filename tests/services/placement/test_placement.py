"""Placement over HTTP and through the osc-placement CLI (tests services/placement/)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import unique
from tests.services.placement.conftest import at, client, error

AGG = "2b7c8ec2-34c1-4d2f-9a5c-2a7b0a4f1e01"


def _provider(placement: Any, name: str | None = None, parent: str | None = None, **inv: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name or unique("rp")}
    if parent:
        body["parent_provider_uuid"] = parent
    r = placement.post("/resource_providers", json=body)
    assert r.status_code == 200, r.text
    rp = r.json()
    if inv:
        r = placement.put(f"/resource_providers/{rp['uuid']}/inventories", json={
            "resource_provider_generation": rp["generation"], "inventories": inv})
        assert r.status_code == 200, r.text
        rp["generation"] = r.json()["resource_provider_generation"]
    return rp


# --- version discovery and negotiation -----------------------------------------------------
def test_root_version_document_needs_no_token(http: Any) -> None:
    r = http.get("/placement/")
    assert r.status_code == 200
    assert r.json()["versions"][0] == {"id": "v1.0", "max_version": "1.39", "min_version": "1.0",
                                       "status": "CURRENT", "links": [{"rel": "self", "href": ""}]}


def test_microversion_negotiation(placement: Any) -> None:
    r = placement.get("/resource_providers", headers=at("1.14"))
    assert r.headers["openstack-api-version"] == "placement 1.14"
    assert "last-modified" not in r.headers
    r = placement.get("/resource_providers", headers=at("latest"))
    assert r.headers["openstack-api-version"] == "placement 1.39" and r.headers["cache-control"] == "no-cache"
    r = placement.get("/resource_providers", headers=at("1.40"))
    assert r.status_code == 406
    body = error(r)
    assert body["max_version"] == "1.39" and body["min_version"] == "1.0"
    r = placement.get("/resource_providers", headers=at("1.x"))
    assert r.status_code == 400


def test_no_token_is_401_and_member_is_403(cloud: Any, demo_token: str) -> None:
    with client(cloud, None) as anon:
        assert anon.get("/resource_providers").status_code == 401
    with client(cloud, demo_token) as member:
        r = member.get("/resource_providers")
        assert r.status_code == 403
        assert error(r)["code"] == "placement.undefined_code"
        assert "placement:resource_providers:list" in error(r)["detail"]


# --- resource providers --------------------------------------------------------------------
def test_provider_create_show_update_delete(placement: Any) -> None:
    name = unique("rp")
    r = placement.post("/resource_providers", json={"name": name}, headers=at("1.19"))
    assert r.status_code == 201 and not r.content
    rp_uuid = r.headers["location"].rsplit("/", 1)[1]
    rp = placement.get(f"/resource_providers/{rp_uuid}").json()
    assert rp["name"] == name and rp["generation"] == 0 and rp["root_provider_uuid"] == rp_uuid
    assert {link["rel"] for link in rp["links"]} == {"self", "inventories", "usages", "aggregates", "traits",
                                                     "allocations"}
    r = placement.put(f"/resource_providers/{rp_uuid}", json={"name": name + "-x"})
    assert r.status_code == 200 and r.json()["name"] == name + "-x"
    dup = placement.post("/resource_providers", json={"name": name + "-x"})
    assert dup.status_code == 409 and error(dup)["code"] == "placement.duplicate_name"
    assert placement.delete(f"/resource_providers/{rp_uuid}").status_code == 204
    r = placement.get(f"/resource_providers/{rp_uuid}")
    assert r.status_code == 404 and error(r)["code"] == "placement.resource_provider.not_found"


def test_provider_bad_bodies_are_400(placement: Any) -> None:
    r = placement.post("/resource_providers", json={"name": "x", "color": "red"})
    assert r.status_code == 400 and "JSON does not validate" in error(r)["detail"]
    r = placement.post("/resource_providers", json={"name": "x", "uuid": "not-a-uuid"})
    assert r.status_code == 400
    r = placement.post("/resource_providers", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "Malformed JSON" in error(r)["detail"]
    r = placement.get("/resource_providers?colour=red")
    assert r.status_code == 400


def test_nested_providers_in_tree_and_reparenting(placement: Any) -> None:
    root = _provider(placement)
    child = _provider(placement, parent=root["uuid"])
    grandchild = _provider(placement, parent=child["uuid"])
    assert grandchild["root_provider_uuid"] == root["uuid"] and grandchild["parent_provider_uuid"] == child["uuid"]
    tree = placement.get(f"/resource_providers?in_tree={grandchild['uuid']}").json()["resource_providers"]
    assert {p["uuid"] for p in tree} == {root["uuid"], child["uuid"], grandchild["uuid"]}
    r = placement.delete(f"/resource_providers/{root['uuid']}")
    assert r.status_code == 409 and error(r)["code"] == "placement.resource_provider.cannot_delete_parent"
    # before 1.37 a provider cannot move; from 1.37 it can, but not under its own descendant
    r = placement.put(f"/resource_providers/{child['uuid']}", json={"name": child["name"], "parent_provider_uuid": None},
                      headers=at("1.36"))
    assert r.status_code == 400 and "un-parenting" in error(r)["detail"]
    r = placement.put(f"/resource_providers/{root['uuid']}",
                      json={"name": root["name"], "parent_provider_uuid": grandchild["uuid"]})
    assert r.status_code == 400 and "loop" in error(r)["detail"]
    r = placement.put(f"/resource_providers/{child['uuid']}", json={"name": child["name"], "parent_provider_uuid": None})
    assert r.status_code == 200 and r.json()["root_provider_uuid"] == child["uuid"]
    moved = placement.get(f"/resource_providers/{grandchild['uuid']}").json()
    assert moved["root_provider_uuid"] == child["uuid"]


# --- inventories and generations -----------------------------------------------------------
def test_inventory_generation_conflict_and_in_use(placement: Any) -> None:
    rp = _provider(placement, VCPU={"total": 4, "allocation_ratio": 2.0}, MEMORY_MB={"total": 1024, "reserved": 128})
    base = f"/resource_providers/{rp['uuid']}/inventories"
    stale = placement.put(base, json={"resource_provider_generation": rp["generation"] - 1, "inventories": {}})
    assert stale.status_code == 409 and error(stale)["code"] == "placement.concurrent_update"
    one = placement.get(f"{base}/VCPU").json()
    assert one["total"] == 4 and one["allocation_ratio"] == 2.0 and one["max_unit"] == 2147483647
    bad = placement.put(f"{base}/VCPU", json={"resource_provider_generation": rp["generation"], "total": 4,
                                               "reserved": 5})
    assert bad.status_code == 400
    consumer = str(uuid.uuid4())
    r = placement.put(f"/allocations/{consumer}", json={
        "allocations": {rp["uuid"]: {"resources": {"VCPU": 8}}}, "project_id": "p1", "user_id": "u1",
        "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert r.status_code == 204, r.text
    r = placement.delete(f"{base}/VCPU")
    assert r.status_code == 409 and error(r)["code"] == "placement.inventory.inuse"
    over = placement.put(f"/allocations/{uuid.uuid4()}", json={
        "allocations": {rp["uuid"]: {"resources": {"VCPU": 1}}}, "project_id": "p1", "user_id": "u1",
        "consumer_generation": None, "consumer_type": "INSTANCE"})
    assert over.status_code == 409 and "exceed the capacity" in error(over)["detail"]
    usages = placement.get(f"/resource_providers/{rp['uuid']}/usages").json()["usages"]
    assert usages == {"VCPU": 8, "MEMORY_MB": 0}
    assert placement.delete(f"/allocations/{consumer}").status_code == 204
    assert placement.delete(f"/allocations/{consumer}").status_code == 404


# --- allocations ---------------------------------------------------------------------------
def test_allocations_consumer_generations_and_types(placement: Any) -> None:
    rp = _provider(placement, VCPU={"total": 16}, DISK_GB={"total": 100})
    consumer = str(uuid.uuid4())
    body = {"allocations": {rp["uuid"]: {"resources": {"VCPU": 2, "DISK_GB": 10}}}, "project_id": "p2",
            "user_id": "u2", "consumer_generation": None, "consumer_type": "INSTANCE"}
    assert placement.put(f"/allocations/{consumer}", json=body).status_code == 204
    shown = placement.get(f"/allocations/{consumer}").json()
    assert shown["consumer_generation"] == 1 and shown["consumer_type"] == "INSTANCE"
    assert shown["allocations"][rp["uuid"]]["resources"] == {"VCPU": 2, "DISK_GB": 10}
    r = placement.put(f"/allocations/{consumer}", json=body)            # stale: null for an existing consumer
    assert r.status_code == 409 and error(r)["code"] == "placement.concurrent_update"
    missing_type = {k: val for k, val in body.items() if k != "consumer_type"}
    assert placement.put(f"/allocations/{consumer}", json=missing_type).status_code == 400
    assert placement.put(f"/allocations/{consumer}", json=missing_type, headers=at("1.37")).status_code == 409
    old = placement.get(f"/allocations/{consumer}", headers=at("1.27")).json()
    assert "consumer_generation" not in old and old["project_id"] == "p2"
    migration = str(uuid.uuid4())
    r = placement.post("/allocations", json={
        migration: {"allocations": {rp["uuid"]: {"resources": {"VCPU": 2}}}, "project_id": "p2", "user_id": "u2",
                    "consumer_generation": None, "consumer_type": "MIGRATION"},
        consumer: {"allocations": {rp["uuid"]: {"resources": {"VCPU": 4}}}, "project_id": "p2", "user_id": "u2",
                   "consumer_generation": 1, "consumer_type": "INSTANCE"}})
    assert r.status_code == 204, r.text
    usages = placement.get("/usages?project_id=p2").json()["usages"]
    assert usages == {"INSTANCE": {"VCPU": 4, "consumer_count": 1}, "MIGRATION": {"VCPU": 2, "consumer_count": 1}}
    assert placement.get("/usages?project_id=p2", headers=at("1.9")).json()["usages"] == {"VCPU": 6}
    r = placement.put(f"/allocations/{uuid.uuid4()}", json={
        **body, "allocations": {str(uuid.uuid4()): {"resources": {"VCPU": 1}}}})
    assert r.status_code == 400 and "does not exist" in error(r)["detail"]
    listed = placement.get(f"/resource_providers/{rp['uuid']}/allocations").json()["allocations"]
    assert set(listed) == {consumer, migration}


def test_old_list_format_before_1_12(placement: Any) -> None:
    rp = _provider(placement, VCPU={"total": 2})
    consumer = str(uuid.uuid4())
    r = placement.put(f"/allocations/{consumer}", headers=at("1.8"), json={
        "allocations": [{"resource_provider": {"uuid": rp["uuid"]}, "resources": {"VCPU": 1}}],
        "project_id": "p3", "user_id": "u3"})
    assert r.status_code == 204, r.text
    assert placement.get(f"/allocations/{consumer}").json()["allocations"][rp["uuid"]]["resources"] == {"VCPU": 1}


# --- allocation candidates -----------------------------------------------------------------
def test_allocation_candidates_traits_aggregates_granular(placement: Any) -> None:
    trait = unique("CUSTOM_FAST").upper().replace("-", "_")
    assert placement.put(f"/traits/{trait}").status_code == 201
    fast = _provider(placement, VCPU={"total": 4}, MEMORY_MB={"total": 4096})
    slow = _provider(placement, VCPU={"total": 4}, MEMORY_MB={"total": 4096})
    r = placement.put(f"/resource_providers/{fast['uuid']}/traits", json={
        "resource_provider_generation": fast["generation"], "traits": [trait, "HW_CPU_X86_AVX2"]})
    assert r.status_code == 200
    gen = r.json()["resource_provider_generation"]
    assert placement.put(f"/resource_providers/{fast['uuid']}/aggregates", json={
        "aggregates": [AGG], "resource_provider_generation": gen}).status_code == 200
    got = placement.get(f"/allocation_candidates?resources=VCPU:1,MEMORY_MB:512&required={trait}").json()
    assert [list(a["allocations"]) for a in got["allocation_requests"]] == [[fast["uuid"]]]
    assert trait in got["provider_summaries"][fast["uuid"]]["traits"]
    got = placement.get(f"/allocation_candidates?resources=VCPU:1&required=!{trait}&limit=1000").json()
    assert fast["uuid"] not in {rp for a in got["allocation_requests"] for rp in a["allocations"]}
    assert slow["uuid"] in {rp for a in got["allocation_requests"] for rp in a["allocations"]}
    got = placement.get(f"/allocation_candidates?resources=VCPU:1&member_of={AGG}").json()
    assert [list(a["allocations"]) for a in got["allocation_requests"]] == [[fast["uuid"]]]
    got = placement.get("/allocation_candidates?resources=VCPU:1&limit=1").json()
    assert len(got["allocation_requests"]) == 1
    got = placement.get(f"/allocation_candidates?resources1=VCPU:1&required1={trait}&resources2=MEMORY_MB:10"
                        f"&group_policy=isolate&in_tree={fast['uuid']}").json()
    assert got["allocation_requests"] == []                 # isolate: two groups cannot share the one provider
    got = placement.get(f"/allocation_candidates?resources1=VCPU:1&required1={trait}&resources2=MEMORY_MB:10"
                        f"&group_policy=none&in_tree={fast['uuid']}").json()
    assert got["allocation_requests"][0]["mappings"] == {"1": [fast["uuid"]], "2": [fast["uuid"]]}
    assert placement.get("/allocation_candidates?resources1=VCPU:1&resources2=MEMORY_MB:1").status_code == 400
    got = placement.get(f"/allocation_candidates?resources=VCPU:1&root_required=!{trait}&limit=1000").json()
    assert fast["uuid"] not in {rp for a in got["allocation_requests"] for rp in a["allocations"]}
    r = placement.get("/allocation_candidates?resources=VCPU:1&required=CUSTOM_NO_SUCH_TRAIT")
    assert r.status_code == 400
    r = placement.get("/allocation_candidates?resources=NO_SUCH_CLASS:1")
    assert r.status_code == 400 and "No such resource class" in error(r)["detail"]
    r = placement.get("/allocation_candidates?resources=VCPU:x")
    assert r.status_code == 400 and error(r)["code"] == "placement.query.bad_value"


def test_allocation_candidates_nested_same_subtree(placement: Any) -> None:
    assert _rc(placement, "CUSTOM_VF")
    root = _provider(placement, MEMORY_MB={"total": 8192})
    numa0 = _provider(placement, parent=root["uuid"], VCPU={"total": 4})
    numa1 = _provider(placement, parent=root["uuid"], VCPU={"total": 4})
    pf = _provider(placement, parent=numa0["uuid"], CUSTOM_VF={"total": 4})
    base = (f"/allocation_candidates?in_tree={root['uuid']}&resources=MEMORY_MB:512&resources_cpu=VCPU:2"
            f"&resources_net=CUSTOM_VF:1&group_policy=none")
    loose = placement.get(base).json()["allocation_requests"]
    assert {tuple(r["mappings"]["_cpu"]) for r in loose} == {(numa0["uuid"],), (numa1["uuid"],)}
    got = placement.get(base + "&same_subtree=_cpu,_net").json()
    assert [r["mappings"]["_cpu"] for r in got["allocation_requests"]] == [[numa0["uuid"]]]
    assert got["allocation_requests"][0]["mappings"]["_net"] == [pf["uuid"]]
    summary = got["provider_summaries"][pf["uuid"]]
    assert summary["parent_provider_uuid"] == numa0["uuid"] and summary["root_provider_uuid"] == root["uuid"]
    assert numa1["uuid"] in got["provider_summaries"]          # the whole tree is summarised (1.29)
    before = placement.get(f"/allocation_candidates?in_tree={root['uuid']}&resources=VCPU:1", headers=at("1.30"))
    assert before.status_code == 400                           # in_tree arrives in 1.31


def _rc(placement: Any, name: str) -> bool:
    return placement.put(f"/resource_classes/{name}").status_code in (201, 204)


# --- traits, resource classes, reshaper ----------------------------------------------------
def test_traits_and_resource_classes(placement: Any) -> None:
    traits = placement.get("/traits?name=startswith:HW_CPU_X86_AVX").json()["traits"]
    assert "HW_CPU_X86_AVX2" in traits and len(placement.get("/traits").json()["traits"]) > 300
    r = placement.put("/traits/NOT_CUSTOM")
    assert r.status_code == 400
    assert placement.delete("/traits/HW_CPU_X86_AVX2").status_code == 400
    assert placement.get("/traits/CUSTOM_NEVER_MADE").status_code == 404
    classes = [c["name"] for c in placement.get("/resource_classes").json()["resource_classes"]]
    assert classes[:3] == ["VCPU", "MEMORY_MB", "DISK_GB"]
    assert placement.put("/resource_classes/CUSTOM_GOLD").status_code in (201, 204)
    assert placement.put("/resource_classes/CUSTOM_GOLD").status_code == 204
    r = placement.post("/resource_classes", json={"name": "CUSTOM_GOLD"})
    assert r.status_code == 409 and error(r)["code"] == "placement.duplicate_name"
    assert placement.delete("/resource_classes/VCPU").status_code == 400
    assert placement.delete("/resource_classes/CUSTOM_GOLD").status_code == 204
    assert placement.get("/resource_classes", headers=at("1.1")).status_code == 404


def test_reshaper_moves_inventory_and_allocations(placement: Any) -> None:
    root = _provider(placement, VCPU={"total": 8})
    child = _provider(placement, parent=root["uuid"])
    consumer = str(uuid.uuid4())
    assert placement.put(f"/allocations/{consumer}", json={
        "allocations": {root["uuid"]: {"resources": {"VCPU": 2}}}, "project_id": "p4", "user_id": "u4",
        "consumer_generation": None, "consumer_type": "INSTANCE"}).status_code == 204
    root = placement.get(f"/resource_providers/{root['uuid']}").json()
    body = {"inventories": {root["uuid"]: {"resource_provider_generation": root["generation"], "inventories": {}},
                            child["uuid"]: {"resource_provider_generation": child["generation"],
                                            "inventories": {"VCPU": {"total": 8}}}},
            "allocations": {consumer: {"allocations": {child["uuid"]: {"resources": {"VCPU": 2}}},
                                       "project_id": "p4", "user_id": "u4", "consumer_generation": 1,
                                       "consumer_type": "INSTANCE"}}}
    r = placement.post("/reshaper", json=body)
    assert r.status_code == 403              # reshaper is for services (role:service), not admins


def test_reshaper_as_service(cloud: Any, admin_token: str) -> None:
    from tests.services.placement.conftest import client as make
    token = _service_token(cloud, admin_token)
    with make(cloud, token) as svc:
        root = _provider(svc, VCPU={"total": 8})
        child = _provider(svc, parent=root["uuid"])
        consumer = str(uuid.uuid4())
        assert svc.put(f"/allocations/{consumer}", json={
            "allocations": {root["uuid"]: {"resources": {"VCPU": 2}}}, "project_id": "p4", "user_id": "u4",
            "consumer_generation": None, "consumer_type": "INSTANCE"}).status_code == 204
        root = svc.get(f"/resource_providers/{root['uuid']}").json()
        body = {"inventories": {root["uuid"]: {"resource_provider_generation": root["generation"], "inventories": {}},
                                child["uuid"]: {"resource_provider_generation": child["generation"],
                                                "inventories": {"VCPU": {"total": 8}}}},
                "allocations": {consumer: {"allocations": {child["uuid"]: {"resources": {"VCPU": 2}}},
                                           "project_id": "p4", "user_id": "u4", "consumer_generation": 1,
                                           "consumer_type": "INSTANCE"}}}
        r = svc.post("/reshaper", json=body)
        assert r.status_code == 204, r.text
        assert svc.get(f"/resource_providers/{child['uuid']}/usages").json()["usages"] == {"VCPU": 2}
        assert svc.get(f"/resource_providers/{root['uuid']}/inventories").json()["inventories"] == {}


def _service_token(cloud: Any, admin_token: str) -> str:
    """A user with the service role in project service, as a service user is."""
    import httpx
    ident = httpx.Client(base_url=cloud.url + "/identity/v3", headers={"X-Auth-Token": admin_token})
    name = unique("svc")
    user = ident.post("/users", json={"user": {"name": name, "password": "secret-pw-1", "domain_id": "default"}}).json()
    project = ident.get("/projects?name=service").json()["projects"][0]
    role = ident.get("/roles?name=service").json()["roles"][0]
    ident.put(f"/projects/{project['id']}/users/{user['user']['id']}/roles/{role['id']}")
    r = httpx.post(cloud.url + "/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user["user"]["id"], "password": "secret-pw-1"}}},
        "scope": {"project": {"id": project["id"]}}}})
    return r.headers["X-Subject-Token"]


# --- the osc-placement CLI -----------------------------------------------------------------
def test_osc_placement_cli(cli: Any) -> None:
    name = unique("cli-rp")
    rp = cli("resource", "provider", "create", name)
    assert rp["name"] == name and rp["generation"] == 0
    listed = cli("resource", "provider", "list", "--name", name)
    assert [p["uuid"] for p in listed] == [rp["uuid"]]
    inv = cli("resource", "provider", "inventory", "set", rp["uuid"], "--resource", "VCPU=4",
              "--resource", "VCPU:allocation_ratio=2.0", "--resource", "MEMORY_MB=2048", "-f", "json")
    assert {i["resource_class"] for i in inv} == {"VCPU", "MEMORY_MB"}
    shown = cli("resource", "provider", "inventory", "list", rp["uuid"], "-f", "json")
    assert {i["resource_class"]: i["allocation_ratio"] for i in shown} == {"VCPU": 2.0, "MEMORY_MB": 1.0}
    candidates = cli("--os-placement-api-version", "1.29", "allocation", "candidate", "list",
                     "--resource", "VCPU=1", "--resource", "MEMORY_MB=1024", "-f", "json")
    assert rp["uuid"] in {c["resource provider"] for c in candidates}
    traits = cli("trait", "list")
    assert "HW_CPU_X86_AVX2" in {t["name"] for t in traits}
    usage = cli("resource", "provider", "usage", "show", rp["uuid"], "-f", "json")
    assert {u["resource_class"]: u["usage"] for u in usage} == {"VCPU": 0, "MEMORY_MB": 0}
    cli("resource", "provider", "delete", rp["uuid"])
    proc = cli("resource", "provider", "show", rp["uuid"], check=False)
    assert proc.returncode != 0 and "No resource provider" in proc.stderr

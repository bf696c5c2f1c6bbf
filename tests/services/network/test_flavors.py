"""Service providers, flavors, service profiles and their associations, and router flavors (l3-flavors)."""

from tests.conftest import unique
from tests.services.network.conftest import error_type

SINGLE = "neutron.services.l3_router.service_providers.single_node.SingleNodeDriver"


def test_service_providers(neutron_demo, cli):
    providers = neutron_demo.get("/service-providers").json()["service_providers"]
    assert {p["name"] for p in providers} == {"single_node", "ha", "dvr", "dvrha"}
    assert {p["service_type"] for p in providers} == {"L3_ROUTER_NAT"}
    only = neutron_demo.get("/service-providers", params={"name": "ha", "fields": "name"}).json()
    assert only["service_providers"] == [{"name": "ha"}]
    listed = cli("network", "service", "provider", "list", "-f", "json")
    assert {p["Name"] for p in listed} == {"single_node", "ha", "dvr", "dvrha"}


def test_flavor_and_profile_crud_via_sdk(admin, demo):
    flavor = admin.network.create_flavor(name=unique("fl"), service_type="L3_ROUTER_NAT", description="d")
    assert flavor.is_enabled and flavor.service_type == "L3_ROUTER_NAT"
    profile = admin.network.create_service_profile(driver=SINGLE, description="p", metainfo="{}")
    assert profile.driver == SINGLE and profile.is_enabled
    admin.network.associate_flavor_with_service_profile(flavor, profile)
    assert admin.network.get_flavor(flavor.id).service_profile_ids == [profile.id]
    assert demo.network.get_flavor(flavor.id).name == flavor.name
    assert flavor.id in {f.id for f in demo.network.flavors()}
    admin.network.update_flavor(flavor, name="renamed", is_enabled=False)
    assert admin.network.get_flavor(flavor.id).name == "renamed"
    admin.network.disassociate_flavor_from_service_profile(flavor, profile)
    assert admin.network.get_flavor(flavor.id).service_profile_ids == []
    admin.network.delete_service_profile(profile)
    admin.network.delete_flavor(flavor)


def test_flavor_errors_and_policy(neutron_admin, neutron_demo):
    r = neutron_admin.post("/flavors", json={"flavor": {"name": "x", "service_type": "NOPE"}})
    assert r.status_code == 400 and error_type(r) == "InvalidServiceType"
    r = neutron_demo.post("/flavors", json={"flavor": {"name": "x", "service_type": "L3_ROUTER_NAT"}})
    assert r.status_code == 403
    r = neutron_demo.get("/service_profiles")             # neutron hides what get_* denies: 200, empty
    assert r.status_code == 200 and r.json() == {"service_profiles": []}
    r = neutron_admin.post("/service_profiles", json={"service_profile": {"description": "empty"}})
    assert r.status_code == 400 and error_type(r) == "ServiceProfileEmpty"
    r = neutron_admin.post("/service_profiles", json={"service_profile": {"driver": "no.such.Driver"}})
    assert r.status_code == 404 and error_type(r) == "ServiceProfileDriverNotFound"
    flavor = neutron_admin.post("/flavors", json={"flavor": {"name": unique(), "service_type": "L3_ROUTER_NAT"}}
                                ).json()["flavor"]
    profile = neutron_admin.post("/service_profiles", json={"service_profile": {"metainfo": "{'a': 1}"}}
                                 ).json()["service_profile"]
    url = f"/flavors/{flavor['id']}/service_profiles"
    r = neutron_admin.post(url, json={"service_profile": {"id": profile["id"]}})
    assert r.status_code == 201 and r.json() == {"service_profile": {"id": profile["id"]}}
    r = neutron_admin.post(url, json={"service_profile": {"id": profile["id"]}})
    assert r.status_code == 409 and error_type(r) == "FlavorServiceProfileBindingExists"
    r = neutron_admin.delete(f"/service_profiles/{profile['id']}")
    assert r.status_code == 409 and error_type(r) == "ServiceProfileInUse"
    # routers take the flavor (l3-flavors) and keep it in use
    router = neutron_demo.create("routers", name=unique("r"), flavor_id=flavor["id"])
    assert router["flavor_id"] == flavor["id"]
    assert neutron_demo.get(f"/routers/{router['id']}").json()["router"]["flavor_id"] == flavor["id"]
    r = neutron_admin.delete(f"/flavors/{flavor['id']}")
    assert r.status_code == 409 and error_type(r) == "FlavorInUse"
    missing = "00000000-0000-0000-0000-000000000000"
    r = neutron_demo.post("/routers", json={"router": {"name": "x", "flavor_id": missing}})
    assert r.status_code == 404 and error_type(r) == "FlavorNotFound"
    neutron_admin.put(f"/flavors/{flavor['id']}", json={"flavor": {"enabled": False}})
    r = neutron_demo.post("/routers", json={"router": {"name": "x", "flavor_id": flavor["id"]}})
    assert r.status_code == 400 and error_type(r) == "FlavorDisabled"
    assert neutron_demo.delete(f"/routers/{router['id']}").status_code == 204
    assert neutron_admin.delete(f"{url}/{profile['id']}").status_code == 204
    r = neutron_admin.delete(f"{url}/{profile['id']}")
    assert r.status_code == 404 and error_type(r) == "FlavorServiceProfileBindingNotFound"
    assert neutron_admin.delete(f"/service_profiles/{profile['id']}").status_code == 204
    assert neutron_admin.delete(f"/flavors/{flavor['id']}").status_code == 204


def test_flavors_service_type(neutron_admin):
    """FLAVORS is a loaded plugin type, so neutron-tempest-plugin's flavor tests run."""
    r = neutron_admin.post("/flavors", json={"flavor": {"name": unique(), "service_type": "FLAVORS"}})
    assert r.status_code == 201, r.text
    neutron_admin.delete(f"/flavors/{r.json()['flavor']['id']}")


def test_service_profiles_as_openstacksdk_functional_tests_use_them(admin, demo, neutron_demo):
    """openstacksdk's own functional tests: a user's find (ignore_missing) and list come back empty,
    an admin creates, finds, updates and deletes (neutron hides admin-only items instead of refusing)."""
    assert demo.network.find_service_profile("not_existing", ignore_missing=True) is None
    assert list(demo.network.service_profiles()) == []
    profile = admin.network.create_service_profile(description="DESCRIPTION", metainfo="FlAVOR_PROFILE_METAINFO")
    try:
        assert admin.network.find_service_profile(profile.id, ignore_missing=False).meta_info == \
            "FlAVOR_PROFILE_METAINFO"
        assert profile.id in [p.id for p in admin.network.service_profiles()]
        assert admin.network.update_service_profile(profile, description="U").description == "U"
        assert list(demo.network.service_profiles()) == []
        r = neutron_demo.get(f"/service_profiles/{profile.id}")             # exists: the rule decides
        assert r.status_code == 403 and "get_service_profile" in r.json()["NeutronError"]["message"]
        r = neutron_demo.get("/service_profiles/00000000-0000-0000-0000-000000000000")   # 404 before policy
        assert r.status_code == 404 and error_type(r) == "ServiceProfileNotFound"
        # PUT and DELETE of a project-less item a user may not touch: "not found", never "forbidden"
        r = neutron_demo.put(f"/service_profiles/{profile.id}", json={"service_profile": {"description": "x"}})
        assert r.status_code == 404 and error_type(r) == "HTTPNotFound"
        assert neutron_demo.delete(f"/service_profiles/{profile.id}").status_code == 404
        assert admin.network.get_service_profile(profile.id).description == "U"
    finally:
        assert admin.network.delete_service_profile(profile, ignore_missing=True) is None
    assert admin.network.find_service_profile(profile.id, ignore_missing=True) is None


def test_user_cleanup_of_a_missing_service_profile_is_quiet(admin, demo, neutron_demo):
    """openstacksdk's TestFlavor tearDown deletes, as the user, a service profile that is not there
    (with ignore_missing): neutron looks it up before the rule and answers 404."""
    flavor = admin.network.create_flavor(name=unique("fl"), service_type="FLAVORS")
    admin.network.delete_flavor(flavor)
    assert demo.network.delete_service_profile(flavor.id, ignore_missing=True) is None
    r = neutron_demo.delete(f"/service_profiles/{flavor.id}")
    assert r.status_code == 404 and error_type(r) == "ServiceProfileNotFound"
    r = neutron_demo.post("/service_profiles", json={"service_profile": {"metainfo": "{}"}})
    assert r.status_code == 403                                     # a create has nothing to look up
    flavor = admin.network.create_flavor(name=unique("fl"), service_type="FLAVORS")
    try:
        r = neutron_demo.put(f"/flavors/{flavor.id}", json={"flavor": {"name": "x"}})
        assert r.status_code == 404 and error_type(r) == "HTTPNotFound"
        assert neutron_demo.delete(f"/flavors/{flavor.id}").status_code == 404
        r = neutron_demo.delete(f"/flavors/{flavor.id}/service_profiles/{unique()}")
        assert r.status_code == 404 and error_type(r) == "FlavorServiceProfileBindingNotFound"
    finally:
        admin.network.delete_flavor(flavor)

"""Heat v1 stacks through openstacksdk, the CLI and raw HTTP: create, show, update, delete, outputs,
resources, events, nested stacks, rollback, hooks, and Heat's answers to bad input."""

from __future__ import annotations

import json
import time

import httpx

from tests.conftest import unique
from tests.services.orchestration.conftest import error

RANDOM = {"heat_template_version": "2018-08-31",
          "parameters": {"len": {"type": "number", "default": 8,
                                 "constraints": [{"range": {"min": 4, "max": 64}}]}},
          "resources": {"r1": {"type": "OS::Heat::RandomString", "properties": {"length": {"get_param": "len"}}},
                        "r2": {"type": "OS::Heat::RandomString", "depends_on": ["r1"]}},
          "outputs": {"v1": {"value": {"get_attr": ["r1", "value"]}, "description": "first"},
                      "joined": {"value": {"list_join": ["-", [{"get_resource": "r1"}, "x"]]}}}}


def test_versions_and_build_info(http, heat):
    r = http.get("/heat-api/")
    assert r.status_code == 300 and r.json()["versions"][0]["id"] == "v1.0"
    info = heat.get("/build_info").json()
    assert set(info) == {"api", "engine"}


def test_catalog_has_orchestration(demo):
    assert demo.orchestration.get_endpoint().endswith(f"/heat-api/v1/{demo.current_project_id}")


def test_sdk_create_show_update_delete(demo):
    name = unique("st")
    stack = demo.orchestration.create_stack(name=name, template=RANDOM, parameters={"len": 10})
    stack = demo.orchestration.wait_for_status(stack, "CREATE_COMPLETE", failures=["CREATE_FAILED"], wait=60)
    shown = demo.orchestration.get_stack(stack.id)
    outputs = {o["output_key"]: o["output_value"] for o in shown.outputs}
    assert len(outputs["v1"]) == 10 and outputs["joined"] == outputs["v1"] + "-x"
    assert shown.parameters["len"] == "10" and shown.parameters["OS::stack_name"] == name
    resources = {r.name: r for r in demo.orchestration.resources(stack)}
    assert set(resources) == {"r1", "r2"} and resources["r1"].status == "CREATE_COMPLETE"
    events = list(demo.orchestration.events(stack)) if hasattr(demo.orchestration, "events") else []
    assert events == [] or any(e.resource_name == "r1" for e in events)
    demo.orchestration.delete_stack(stack)
    demo.orchestration.wait_for_delete(stack, wait=60)
    assert demo.orchestration.find_stack(name) is None


def test_update_in_place_and_replace(heat):
    name = unique("up")
    assert heat.create(name, RANDOM).status_code == 201
    before = heat.wait(name)
    ids = {r["resource_name"]: r["physical_resource_id"] for r in
           heat.get(f"/stacks/{name}/{before['id']}/resources").json()["resources"]}
    r = heat.patch(f"/stacks/{name}/{before['id']}", json={"parameters": {"len": 20}})
    assert r.status_code == 202
    after = heat.wait(name)
    assert after["stack_status"] == "UPDATE_COMPLETE", after["stack_status_reason"]
    res = {x["resource_name"]: x for x in heat.get(f"/stacks/{name}/{before['id']}/resources").json()["resources"]}
    assert res["r1"]["physical_resource_id"] != ids["r1"]      # length is not update_allowed: replaced
    assert res["r2"]["physical_resource_id"] == ids["r2"]      # untouched
    out = heat.get(f"/stacks/{name}/{before['id']}/outputs/v1").json()["output"]
    assert len(out["output_value"]) == 20
    assert heat.delete(f"/stacks/{name}/{before['id']}").status_code == 204
    assert heat.wait(name)["stack_status"] == "DELETE_COMPLETE"


def test_lookup_redirects_and_subresources(heat):
    name = unique("rd")
    sid = heat.create(name, RANDOM).json()["stack"]["id"]
    heat.wait(name)
    r = heat.get(f"/stacks/{name}")
    assert r.status_code == 302 and r.headers["location"].endswith(f"/stacks/{name}/{sid}")
    r = heat.get(f"/stacks/{name}/resources")
    assert r.status_code == 302 and r.headers["location"].endswith(f"/stacks/{name}/{sid}/resources")
    assert heat.get(f"/stacks/{sid}").status_code == 302
    assert heat.get(f"/stacks/{name}/{sid}/template").json()["resources"]["r1"]["type"] == "OS::Heat::RandomString"
    env = heat.get(f"/stacks/{name}/{sid}/environment").json()
    assert env["parameters"] == {} and "resource_registry" in env
    events = heat.get(f"/stacks/{name}/{sid}/events").json()["events"]
    assert events[0]["resource_name"] == name and events[-1]["resource_status"] == "CREATE_COMPLETE"
    assert heat.get(f"/stacks/{name}/{sid}/resources/r1/events").json()["events"][0]["resource_name"] == "r1"
    listed = heat.get("/stacks", params={"name": name}).json()["stacks"]
    assert [s["id"] for s in listed] == [sid]
    heat.delete(f"/stacks/{name}/{sid}")
    heat.wait(name)


def test_cli_stack_lifecycle(cli):
    name = unique("cli")
    template = json.dumps(RANDOM)
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(template)
    proc = cli("stack", "create", "-t", f.name, "--parameter", "len=6", "--wait", name, os_cloud="pocketstack")
    out = proc.stdout if hasattr(proc, "stdout") else json.dumps(proc)
    created = json.loads(out[out.index("{"):])       # --wait prints the events before the stack
    assert created["stack_status"] == "CREATE_COMPLETE"
    out = cli("stack", "output", "show", name, "v1", os_cloud="pocketstack")
    assert len(out["output_value"]) == 6
    cli("stack", "delete", "--yes", "--wait", name, os_cloud="pocketstack")
    assert name not in [s["Stack Name"] for s in cli("stack", "list", os_cloud="pocketstack")]


def test_resource_group_scales(heat):
    name = unique("rg")
    tmpl = {"heat_template_version": "2016-10-14", "parameters": {"count": {"type": "number", "default": 2}},
            "resources": {"group": {"type": "OS::Heat::ResourceGroup", "properties": {
                "count": {"get_param": "count"},
                "resource_def": {"type": "OS::Heat::RandomString", "properties": {"length": 5}}}}},
            "outputs": {"values": {"value": {"get_attr": ["group", "value"]}},
                        "refs": {"value": {"get_attr": ["group", "refs"]}}}}
    sid = heat.create(name, tmpl).json()["stack"]["id"]
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"
    values = heat.get(f"/stacks/{name}/{sid}/outputs/values").json()["output"]["output_value"]
    assert len(values) == 2 and all(len(v) == 5 for v in values)
    heat.patch(f"/stacks/{name}/{sid}", json={"parameters": {"count": 4}})
    assert heat.wait(name)["stack_status"] == "UPDATE_COMPLETE"
    values2 = heat.get(f"/stacks/{name}/{sid}/outputs/values").json()["output"]["output_value"]
    assert len(values2) == 4 and values2[:2] == values
    nested = heat.get(f"/stacks/{name}/{sid}/resources", params={"nested_depth": 1}).json()["resources"]
    assert len([r for r in nested if r["resource_type"] == "OS::Heat::RandomString"]) == 4
    heat.delete(f"/stacks/{name}/{sid}")
    assert heat.wait(name)["stack_status"] == "DELETE_COMPLETE"
    hidden = heat.get("/stacks", params={"show_nested": True}).json()["stacks"]
    assert not [s for s in hidden if s["parent"] == sid]


def test_failure_and_rollback(heat):
    failing = {"heat_template_version": "2015-04-30", "resources": {
        "ok": {"type": "OS::Heat::RandomString"},
        "bad": {"type": "OS::Heat::TestResource", "properties": {"fail": True}, "depends_on": "ok"}}}
    name = unique("fail")
    heat.create(name, failing)
    stack = heat.wait(name)
    assert stack["stack_status"] == "CREATE_FAILED"
    assert stack["stack_status_reason"].startswith("Resource CREATE failed: Error: resources.bad: Test Resource failed")
    heat.delete(f"/stacks/{name}/{stack['id']}")
    assert heat.wait(name)["stack_status"] == "DELETE_COMPLETE"
    name = unique("rb")
    heat.create(name, failing, disable_rollback=False)
    stack = heat.wait(name)
    assert stack["stack_status"] == "ROLLBACK_COMPLETE"
    assert heat.get(f"/stacks/{name}/{stack['id']}/resources").json()["resources"] in ([], [
        r for r in heat.get(f"/stacks/{name}/{stack['id']}/resources").json()["resources"]
        if r["resource_status"].startswith("INIT")])


def test_pre_create_hook(heat):
    name = unique("hook")
    tmpl = {"heat_template_version": "2015-04-30", "resources": {"r": {"type": "OS::Heat::RandomString"}}}
    env = {"resource_registry": {"resources": {"r": {"hooks": "pre-create"}}}}
    sid = heat.create(name, tmpl, environment=env).json()["stack"]["id"]
    deadline = time.time() + 20
    while True:
        events = heat.get(f"/stacks/{name}/{sid}/events").json()["events"]
        if any("paused until Hook pre-create is cleared" in e["resource_status_reason"] for e in events):
            break
        assert time.time() < deadline
        time.sleep(0.1)
    assert heat.stack(name)["stack_status"] == "CREATE_IN_PROGRESS"
    r = heat.post(f"/stacks/{name}/{sid}/resources/r/signal", json={"unset_hook": "pre-create"})
    assert r.status_code == 200, r.text
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"


def test_bad_input_gets_heats_answers(heat):
    r = heat.create(unique("m"), "heat_template_version: 2015-04-30\nresources: [\n")
    assert r.status_code == 400 and "Error parsing template" in error(r)["message"]
    r = heat.create(unique("u"), {"heat_template_version": "2015-04-30",
                                  "resources": {"x": {"type": "OS::Nope::Thing"}}})
    assert r.status_code == 400 and "The Resource Type (OS::Nope::Thing) could not be found." in error(r)["message"]
    r = heat.create(unique("v"), {"heat_template_version": "2099-01-01", "resources": {}})
    assert r.status_code == 400 and error(r)["type"] == "InvalidTemplateVersion"
    r = heat.create(unique("c"), {"heat_template_version": "2015-04-30", "resources": {
        "a": {"type": "OS::Heat::None", "depends_on": ["b"]}, "b": {"type": "OS::Heat::None", "depends_on": ["a"]}}})
    assert r.status_code == 400 and error(r)["type"] == "CircularDependencyException"
    r = heat.create(unique("p"), RANDOM, parameters={"len": 2})
    assert r.status_code == 400 and "Parameter 'len' is invalid" in error(r)["message"]
    r = heat.create(unique("f"), {"heat_template_version": "2015-04-30", "resources": {
        "a": {"type": "OS::Heat::RandomString", "properties": {"length": {"str_replace": "x"}}}}})
    assert r.status_code == 400
    r = heat.create(unique("q"), {"heat_template_version": "2015-04-30", "resources": {
        "a": {"type": "OS::Heat::RandomString", "properties": {"nope": 1}}}})
    assert r.status_code == 400 and "Unknown Property nope" in error(r)["message"]
    r = heat.create("1bad name", RANDOM)
    assert r.status_code == 400
    big = {"heat_template_version": "2015-04-30", "description": "x" * 600000, "resources": {}}
    r = heat.create(unique("big"), big)
    assert r.status_code == 400 and error(r)["type"] == "RequestLimitExceeded"
    assert not [s for s in heat.get("/stacks").json()["stacks"] if s["stack_name"].startswith(("m-", "u-", "big-"))]


def test_duplicate_name_foreign_project_and_no_token(heat, heat_alt, http):
    name = unique("own")
    sid = heat.create(name, RANDOM).json()["stack"]["id"]
    r = heat.create(name, RANDOM)
    assert r.status_code == 409 and error(r)["type"] == "StackExists"
    heat.wait(name)
    assert heat_alt.get(f"/stacks/{name}").status_code == 404
    r = heat_alt.client.get(f"{str(heat.client.base_url).rstrip('/')}/stacks/{name}/{sid}")
    assert r.status_code == 403
    r = http.get(f"/heat-api/v1/{heat.project_id}/stacks")
    assert r.status_code == 401
    heat.delete(f"/stacks/{name}/{sid}")
    heat.wait(name)


def test_template_validate_versions_and_resource_types(heat):
    r = heat.post("/validate", json={"template": RANDOM})
    assert r.status_code == 200
    body = r.json()
    assert body["Parameters"]["len"]["Type"] == "Number" and body["Parameters"]["len"]["Default"] == 8
    versions = {v["version"] for v in heat.get("/template_versions").json()["template_versions"]}
    assert "heat_template_version.2021-04-16" in versions and "AWSTemplateFormatVersion.2010-09-09" in versions
    funcs = heat.get("/template_versions/heat_template_version.2016-10-14/functions").json()["template_functions"]
    assert "yaql" in {f["functions"] for f in funcs}
    types = heat.get("/resource_types").json()["resource_types"]
    assert "OS::Heat::RandomString" in types and "OS::Neutron::Net" in types
    schema = heat.get("/resource_types/OS::Heat::RandomString").json()
    assert schema["properties"]["length"]["default"] == 32 and "value" in schema["attributes"]
    assert heat.get("/resource_types/OS::Nope").status_code == 404
    tmpl = heat.get("/resource_types/OS::Heat::RandomString/template", params={"template_type": "hot"}).json()
    assert tmpl["resources"]["RandomString"]["type"] == "OS::Heat::RandomString"


def test_autoscaling_group_scales_on_policy_signal(heat):
    name = unique("asg")
    tmpl = {"heat_template_version": "2016-10-14", "resources": {
        "group": {"type": "OS::Heat::AutoScalingGroup", "properties": {
            "min_size": 1, "max_size": 3, "resource": {"type": "OS::Heat::RandomString"}}},
        "up": {"type": "OS::Heat::ScalingPolicy", "properties": {
            "auto_scaling_group_id": {"get_resource": "group"}, "adjustment_type": "change_in_capacity",
            "scaling_adjustment": 1}}},
        "outputs": {"size": {"value": {"get_attr": ["group", "current_size"]}}}}
    sid = heat.create(name, tmpl).json()["stack"]["id"]
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"
    assert heat.get(f"/stacks/{name}/{sid}/outputs/size").json()["output"]["output_value"] == 1
    for expected in (2, 3, 3):          # max_size caps the group
        assert heat.post(f"/stacks/{name}/{sid}/resources/up/signal").status_code == 200
        deadline = time.time() + 20
        while heat.get(f"/stacks/{name}/{sid}/outputs/size").json()["output"]["output_value"] != expected:
            assert time.time() < deadline
            time.sleep(0.1)
    r = heat.post(f"/stacks/{name}/{sid}/resources/nope/signal")
    assert r.status_code == 404 and error(r)["type"] == "ResourceNotFound"
    heat.delete(f"/stacks/{name}/{sid}")
    assert heat.wait(name)["stack_status"] == "DELETE_COMPLETE"


def test_wait_condition_signalled_through_the_presigned_url(heat, http):
    name = unique("wc")
    tmpl = {"heat_template_version": "2016-10-14", "resources": {
        "handle": {"type": "OS::Heat::WaitConditionHandle"},
        "wait": {"type": "OS::Heat::WaitCondition", "properties": {
            "handle": {"get_resource": "handle"}, "count": 2, "timeout": 60}}},
        "outputs": {"data": {"value": {"get_attr": ["wait", "data"]}}}}
    sid = heat.create(name, tmpl).json()["stack"]["id"]
    deadline = time.time() + 20
    while True:
        res = heat.get(f"/stacks/{name}/{sid}/resources/handle").json()["resource"]
        if res["resource_status"] == "CREATE_COMPLETE":
            break
        assert time.time() < deadline
        time.sleep(0.1)
    url = res["attributes"]["endpoint"]
    assert "/heat-api-cfn/v1/signal/" in url and "signature=" in url
    forged = url.rsplit("signature=", 1)[0] + "signature=" + "0" * 64
    r = httpx.post(forged, json={"status": "SUCCESS"})
    assert r.status_code == 403 and error(r)["type"] == "SignatureError"
    assert httpx.post(url, json={"status": "SUCCESS", "data": "one", "id": "a"}).status_code == 200
    assert heat.stack(name)["stack_status"] == "CREATE_IN_PROGRESS"
    assert httpx.post(url, json={"status": "SUCCESS", "data": "two", "id": "b"}).status_code == 200
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"
    data = json.loads(heat.get(f"/stacks/{name}/{sid}/outputs/data").json()["output"]["output_value"])
    assert data == {"a": "one", "b": "two"}
    heat.delete(f"/stacks/{name}/{sid}")
    heat.wait(name)


def test_admin_only_resource_types(heat, cloud):
    """resource_types:OS::Nova::Flavor and OS::Keystone::* are admin rules in Heat's defaults."""
    r = heat.create(unique("fl"), {"heat_template_version": "2016-10-14", "resources": {
        "f": {"type": "OS::Nova::Flavor", "properties": {"ram": 64, "vcpus": 1}}}})
    assert r.status_code == 403 and error(r)["message"] == "You are not authorized to use OS::Nova::Flavor."
    types = heat.get("/resource_types").json()["resource_types"]
    assert "OS::Nova::Flavor" not in types and "OS::Keystone::Project" not in types
    assert "OS::Nova::Server" in types
    from tests.services.orchestration.conftest import Heat
    admin = Heat(cloud, "pocketstack-admin")
    assert "OS::Nova::Flavor" in admin.get("/resource_types").json()["resource_types"]


def test_group_member_attributes(heat):
    name = unique("ga")
    tmpl = {"heat_template_version": "2016-10-14", "resources": {
        "group": {"type": "OS::Heat::ResourceGroup", "properties": {"count": 2, "resource_def": {
            "type": "OS::Heat::TestResource", "properties": {"value": "v%index%"}}}}},
        "outputs": {"by_member": {"value": {"get_attr": ["group", "attributes", "output"]}},
                    "first": {"value": {"get_attr": ["group", "resource.0.output"]}},
                    "all": {"value": {"get_attr": ["group", "output"]}}}}
    sid = heat.create(name, tmpl).json()["stack"]["id"]
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"
    outs = {o["output_key"]: o["output_value"] for o in heat.stack(name)["outputs"]}
    assert outs == {"by_member": {"0": "v0", "1": "v1"}, "first": "v0", "all": ["v0", "v1"]}
    heat.delete(f"/stacks/{name}/{sid}")
    heat.wait(name)


def test_suspend_resume_check_and_cancel_update(heat):
    name = unique("act")
    tmpl = {"heat_template_version": "2016-10-14", "parameters": {"v": {"type": "string", "default": "a"}},
            "resources": {"t": {"type": "OS::Heat::TestResource", "properties": {
                "value": {"get_param": "v"}, "action_wait_secs": {"update": 30}}}}}
    sid = heat.create(name, tmpl).json()["stack"]["id"]
    path = f"/stacks/{name}/{sid}"
    assert heat.wait(name)["stack_status"] == "CREATE_COMPLETE"
    for action, status in (("suspend", "SUSPEND_COMPLETE"), ("resume", "RESUME_COMPLETE"),
                           ("check", "CHECK_COMPLETE")):
        assert heat.post(path + "/actions", json={action: None}).status_code == 200
        assert heat.wait(name)["stack_status"] == status
    r = heat.post(path + "/actions", json={"cancel_update": None})
    assert r.status_code == 400 and error(r)["type"] == "NotSupported"
    r = heat.post(path + "/actions", json={"explode": None})
    assert r.status_code == 400
    heat.patch(path, json={"parameters": {"v": "b"}, "disable_rollback": False})
    time.sleep(0.5)
    assert heat.stack(name)["stack_status"] == "UPDATE_IN_PROGRESS"
    assert heat.post(path + "/actions", json={"cancel_update": None}).status_code == 200
    stack = heat.wait(name)
    assert stack["stack_status"] == "ROLLBACK_COMPLETE", stack["stack_status_reason"]
    assert stack["parameters"]["v"] == "a"
    heat.delete(path)
    heat.wait(name)


def test_delete_while_create_in_progress(heat):
    name = unique("dip")
    tmpl = {"heat_template_version": "2016-10-14", "resources": {
        "slow": {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 60}}},
        "after": {"type": "OS::Heat::RandomString", "depends_on": "slow"}}}
    sid = heat.create(name, tmpl).json()["stack"]["id"]
    time.sleep(0.5)
    assert heat.stack(name)["stack_status"] == "CREATE_IN_PROGRESS"
    assert heat.delete(f"/stacks/{name}/{sid}").status_code == 204
    started = time.time()
    assert heat.wait(name, timeout=30)["stack_status"] == "DELETE_COMPLETE"
    assert time.time() - started < 20


def test_parameter_groups_are_checked(heat):
    tmpl = {"heat_template_version": "2016-10-14", "parameters": {"a": {"type": "string", "default": "x"}},
            "parameter_groups": [{"label": "g", "parameters": ["a", "nope"]}], "resources": {}}
    r = heat.post("/validate", json={"template": tmpl})
    assert r.status_code == 400
    assert error(r)["message"] == ("Parameter Groups error: parameter_groups.g: The grouped parameter nope does "
                                   "not reference a valid parameter.")
    tmpl["parameter_groups"] = [{"label": "g", "parameters": ["a"]}, {"label": "h", "parameters": ["a"]}]
    r = heat.create(unique("pg"), tmpl)
    assert r.status_code == 400 and "must be assigned to one parameter group only" in error(r)["message"]


def test_each_stack_holds_its_own_trust(heat, cloud):
    """Upstream Heat makes one trust per stack and deletes it with the stack: deleting one stack
    never takes the trust another stack of the same owner acts with."""
    token = heat.client.headers["X-Auth-Token"]
    me = httpx.get(f"{cloud.url}/identity/v3/auth/tokens",
                   headers={"X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["user"]["id"]

    def trusts() -> set[str]:
        r = httpx.get(f"{cloud.url}/identity/v3/OS-TRUST/trusts", params={"trustor_user_id": me},
                      headers={"X-Auth-Token": token})
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["trusts"]}

    before = trusts()
    first, second = unique("tr1"), unique("tr2")
    assert heat.create(first, RANDOM).status_code == 201
    assert heat.create(second, RANDOM).status_code == 201
    gone = heat.wait(first)
    assert gone["stack_status"] == "CREATE_COMPLETE"
    kept = heat.wait(second)
    assert len(trusts() - before) == 2
    assert heat.delete(f"/stacks/{first}/{gone['id']}").status_code == 204
    assert heat.wait(first)["stack_status"] == "DELETE_COMPLETE"
    assert len(trusts() - before) == 1
    # the other stack still acts with its own trust
    assert heat.patch(f"/stacks/{second}/{kept['id']}", json={"parameters": {"len": 12}}).status_code == 202
    assert heat.wait(second)["stack_status"] == "UPDATE_COMPLETE"
    assert heat.delete(f"/stacks/{second}/{kept['id']}").status_code == 204
    assert heat.wait(second)["stack_status"] == "DELETE_COMPLETE"
    assert trusts() == before

"""Software configs and deployments over HTTP: /heat-api/v1/{tenant_id}/software_configs and
/software_deployments (heat-tempest-plugin gabbits/softwareconfig.yaml, plus the error bodies)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud


class Heat:
    """A raw Heat client for one token, on /heat-api/v1/{project_id}."""

    def __init__(self, cloud: Cloud, cloud_name: str) -> None:
        token = cloud.token(cloud_name)
        r = httpx.get(f"{cloud.url}/identity/v3/auth/tokens", headers={"X-Auth-Token": token,
                                                                       "X-Subject-Token": token})
        self.project_id = r.json()["token"]["project"]["id"]
        self.client = httpx.Client(base_url=f"{cloud.url}/heat-api/v1/{self.project_id}", timeout=30,
                                   headers={"X-Auth-Token": token})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture()
def heat(cloud: Cloud) -> Iterator[Heat]:
    client = Heat(cloud, "pocketstack-admin")
    yield client
    client.client.close()


@pytest.fixture()
def demo_heat(cloud: Cloud) -> Iterator[Heat]:
    client = Heat(cloud, "pocketstack")
    yield client
    client.client.close()


def error(r: httpx.Response) -> dict[str, Any]:
    body = r.json()
    assert set(body) == {"explanation", "code", "title", "error"}
    assert body["code"] == r.status_code
    return body["error"]


def new_config(client: Heat, **kw: Any) -> dict[str, Any]:
    r = client.post("/software_configs", json={"name": "cfg", "group": "script", "config": "echo hi", **kw})
    assert r.status_code == 200, r.text
    return r.json()["software_config"]


# --- the gabbi sequence ----------------------------------------------------------------
def test_gabbi_softwareconfig_sequence(heat: Heat) -> None:
    r = heat.post("/software_configs", json={"name": "gabbi-config", "group": "script",
                                             "config": "#!/bin/sh -x\necho hello"})
    assert r.status_code == 200
    config = r.json()["software_config"]
    assert set(config) == {"id", "name", "group", "config", "inputs", "outputs", "options", "creation_time"}
    assert (config["inputs"], config["outputs"], config["options"]) == ([], [], {})
    shown = heat.get(f"/software_configs/{config['id']}")
    assert shown.status_code == 200 and shown.json()["software_config"]["group"] == "script"

    r = heat.post("/software_deployments", json={"action": "ACTION0", "config_id": config["id"],
                                                 "server_id": "dummy_server"})
    assert r.status_code == 200
    dep = r.json()["software_deployment"]
    assert set(dep) == {"id", "config_id", "server_id", "input_values", "output_values", "action", "status",
                        "status_reason", "creation_time"}
    assert heat.get(f"/software_deployments/{dep['id']}").json()["software_deployment"]["action"] == "ACTION0"

    md = heat.get("/software_deployments/metadata/dummy_server")
    assert md.status_code == 200 and md.json()["metadata"][0]["group"] == "script"

    r = heat.put(f"/software_deployments/{dep['id']}", json={"action": "ACTION1", "status": "COMPLETE",
                                                            "status_reason": "completed"})
    assert r.status_code == 200
    updated = r.json()["software_deployment"]
    assert (updated["action"], updated["status"], updated["status_reason"]) == ("ACTION1", "COMPLETE", "completed")
    assert "updated_time" in updated

    listed = heat.get("/software_configs").json()["software_configs"]
    assert [c["group"] for c in listed if c["id"] == config["id"]] == ["script"]
    assert "config" not in listed[0]
    deps = heat.get("/software_deployments").json()["software_deployments"]
    assert [d["server_id"] for d in deps if d["id"] == dep["id"]] == ["dummy_server"]

    assert heat.delete(f"/software_deployments/{dep['id']}").status_code == 204
    assert heat.delete(f"/software_configs/{config['id']}").status_code == 204


# --- configs ---------------------------------------------------------------------------
def test_config_inputs_outputs_are_normalized(heat: Heat) -> None:
    config = new_config(heat, inputs=[{"name": "a", "type": "Number", "default": "3"},
                                      {"name": "b", "replace_on_change": True}, {"name": "c"}],
                        outputs=[{"name": "o", "error_output": True}], options={"x": 1})
    assert config["inputs"] == [{"name": "a", "type": "Number", "default": 3},
                                {"name": "b", "type": "String", "replace_on_change": True},
                                {"name": "c", "type": "String"}]
    assert config["outputs"] == [{"name": "o", "type": "String", "error_output": True}]
    assert config["options"] == {"x": 1}


def test_config_list_paging(heat: Heat) -> None:
    ids = [new_config(heat, name=f"page-{i}")["id"] for i in range(3)]
    first = heat.get("/software_configs", params={"limit": 2}).json()["software_configs"]
    assert len(first) == 2
    rest = heat.get("/software_configs", params={"limit": 2, "marker": first[-1]["id"]}).json()
    assert rest["software_configs"][0]["id"] not in [c["id"] for c in first]
    assert ids[-1] == first[0]["id"]            # newest first
    for i in ids:
        heat.delete(f"/software_configs/{i}")


def test_config_not_found(heat: Heat) -> None:
    r = heat.get("/software_configs/nope")
    assert r.status_code == 404
    assert error(r) == {"message": "Software config with id nope not found", "traceback": None, "type": "NotFound"}
    assert heat.delete("/software_configs/nope").status_code == 404


@pytest.mark.parametrize(("body", "message"), [
    ({"inputs": "x"}, "Software Config I/O Schema must be in a list"),
    ({"inputs": ["x"]}, "Software Config I/O Schema must be a dict"),
    ({"outputs": [{"nam": "o"}]}, "Unknown Property nam"),
    ({"inputs": [{"type": "String"}]}, "Property name not assigned"),
])
def test_config_bad_io_is_400(heat: Heat, body: dict[str, Any], message: str) -> None:
    r = heat.post("/software_configs", json=body)
    assert r.status_code == 400
    assert error(r)["message"] == message


def test_config_bad_limit_and_global_tenant(heat: Heat) -> None:
    r = heat.get("/software_configs", params={"limit": "x"})
    assert r.status_code == 400 and error(r)["message"] == "Only integer is acceptable by 'limit'."
    r = heat.get("/software_configs", params={"global_tenant": "true"})
    assert r.status_code == 403


def test_config_in_use_cannot_be_deleted(heat: Heat) -> None:
    config = new_config(heat)
    dep = heat.post("/software_deployments", json={"config_id": config["id"], "server_id": "s1"}).json()
    r = heat.delete(f"/software_configs/{config['id']}")
    assert r.status_code == 500 and error(r)["type"] == "InvalidRestrictedAction"   # as Heat
    heat.delete(f"/software_deployments/{dep['software_deployment']['id']}")
    assert heat.delete(f"/software_configs/{config['id']}").status_code == 204


# --- deployments ---------------------------------------------------------------------
def test_deployment_not_found_and_bad_config(heat: Heat) -> None:
    r = heat.get("/software_deployments/nope")
    assert r.status_code == 404
    assert error(r)["message"] == "Deployment with id nope not found"
    r = heat.post("/software_deployments", json={"config_id": "nope", "server_id": "s"})
    assert r.status_code == 400
    assert error(r) == {"message": "Data supplied was not valid: Config with id nope not found",
                        "traceback": None, "type": "Invalid"}
    assert heat.put("/software_deployments/nope", json={"status": "COMPLETE"}).status_code == 404


def test_metadata_is_ordered_by_config_name(heat: Heat) -> None:
    b, a = new_config(heat, name="b-config"), new_config(heat, name="a-config")
    deps = [heat.post("/software_deployments", json={"config_id": c["id"], "server_id": "ordered"}).json()
            ["software_deployment"]["id"] for c in (b, a)]
    md = heat.get("/software_deployments/metadata/ordered").json()["metadata"]
    assert [m["name"] for m in md] == ["a-config", "b-config"]
    assert heat.get("/software_deployments/metadata/unknown-server").json() == {"metadata": []}
    listed = heat.get("/software_deployments", params={"server_id": "ordered"}).json()["software_deployments"]
    assert [d["id"] for d in listed] == deps
    for d in deps:
        heat.delete(f"/software_deployments/{d}")


def test_put_signal_updates_outputs(heat: Heat) -> None:
    config = new_config(heat)
    dep = heat.post("/software_deployments", json={
        "config_id": config["id"], "server_id": "sig", "status": "IN_PROGRESS", "action": "CREATE",
        "input_values": {"x": 1}}).json()["software_deployment"]
    assert dep["status"] == "IN_PROGRESS" and dep["input_values"] == {"x": 1}
    r = heat.put(f"/software_deployments/{dep['id']}", json={
        "status": "COMPLETE", "output_values": {"deploy_stdout": "ok", "deploy_status_code": 0}})
    body = r.json()["software_deployment"]
    assert (body["status"], body["output_values"]["deploy_stdout"], body["action"]) == ("COMPLETE", "ok", "CREATE")
    heat.delete(f"/software_deployments/{dep['id']}")


# --- who may see what ----------------------------------------------------------------
def test_other_projects_url_is_403(cloud: Cloud, heat: Heat, demo_heat: Heat) -> None:
    config = new_config(demo_heat)
    dep = demo_heat.post("/software_deployments", json={"config_id": config["id"], "server_id": "d"}).json()
    dep_id = dep["software_deployment"]["id"]
    # the demo project's own listing holds no project field (not an admin)
    assert "project" not in demo_heat.get("/software_configs").json()["software_configs"][0]
    # another project's URL: the policy compares the URL's project with the token's
    r = demo_heat.client.get(f"{cloud.url}/heat-api/v1/{heat.project_id}/software_configs")
    assert r.status_code == 403
    assert error(r)["message"] == "You are not authorized to use software_configs:index."
    demo_heat.delete(f"/software_deployments/{dep_id}")
    demo_heat.delete(f"/software_configs/{config['id']}")


def test_config_of_another_project_is_not_usable(heat: Heat, demo_heat: Heat) -> None:
    mine = new_config(heat)
    assert demo_heat.get(f"/software_configs/{mine['id']}").status_code == 404
    r = demo_heat.post("/software_deployments", json={"config_id": mine["id"], "server_id": "x"})
    assert r.status_code == 400
    heat.delete(f"/software_configs/{mine['id']}")


def test_no_token_is_401(cloud: Cloud, heat: Heat) -> None:
    r = httpx.get(f"{cloud.url}/heat-api/v1/{heat.project_id}/software_configs")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == 401

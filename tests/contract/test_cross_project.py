"""Cross-project audit: a member of project A reads, replaces, updates and deletes each resource
type of project B in every service, and gets what upstream answers (404 where the resource is
scoped to its project, 403 where upstream's policy says so); B's view of each resource is the same
afterwards. Both projects and their users are made here."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Cloud

H_JSON_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


@dataclass
class Member:
    token: str
    user_id: str
    project_id: str
    http: httpx.Client

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kw: Any) -> httpx.Response:
        headers = {"X-Auth-Token": self.token, **kw.pop("headers", {})}
        r = self.http.request(method, path, headers=headers, **kw)
        assert r.status_code in expect, (method, path, r.status_code, r.text[:400])
        return r


def _member(cloud: Cloud, admin: Member, tag: str) -> Member:
    name = f"xp-{tag}-{uuid.uuid4().hex[:6]}"
    project = admin.call("POST", "/identity/v3/projects", (201,),
                         json={"project": {"name": name, "domain_id": "default"}}).json()["project"]["id"]
    password = uuid.uuid4().hex
    user = admin.call("POST", "/identity/v3/users", (201,), json={"user": {
        "name": name, "password": password, "domain_id": "default",
        "default_project_id": project}}).json()["user"]
    member = next(r["id"] for r in admin.call("GET", "/identity/v3/roles?name=member").json()["roles"])
    admin.call("PUT", f"/identity/v3/projects/{project}/users/{user['id']}/roles/{member}", (204,))
    r = admin.http.post("/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"id": user["id"], "password": password}}},
        "scope": {"project": {"id": project}}}})
    assert r.status_code == 201, r.text
    return Member(r.headers["X-Subject-Token"], user["id"], project, admin.http)


def _wait(b: Member, path: str, key: str, field: str, ready: str, **kw: Any) -> dict[str, Any]:
    deadline = time.time() + 60
    while True:
        body = b.call("GET", path, **kw).json()[key]
        if body[field] == ready:
            return body
        assert time.time() < deadline, (path, body[field])
        time.sleep(0.1)


@pytest.fixture(scope="module")
def two(cloud: Cloud, admin_token: str) -> Any:
    http = httpx.Client(base_url=cloud.url, timeout=60)
    admin = Member(admin_token, "", "", http)
    a, b = _member(cloud, admin, "a"), _member(cloud, admin, "b")
    system = Member(cloud.token("devstack-system-admin"), "", "", http)
    yield admin, a, b, _resources(admin, system, b)
    http.close()


def _resources(admin: Member, system: Member, b: Member) -> dict[str, Any]:
    """Everything project B owns, made by B's member (or by an admin for B where only admins may)."""
    out: dict[str, Any] = {"project": b.project_id}
    out.update(_identity(b))
    out.update(_image(b))
    out.update(_network(admin, b))
    out.update(_volume(admin, b))
    out.update(_compute(b, out))
    out.update(_others(admin, system, b))
    return out


def _identity(b: Member) -> dict[str, Any]:
    cred = b.call("POST", "/identity/v3/credentials", (201,), json={"credential": {
        "type": "totp", "user_id": b.user_id, "blob": uuid.uuid4().hex}}).json()["credential"]["id"]
    app = b.call("POST", f"/identity/v3/users/{b.user_id}/application_credentials", (201,),
                 json={"application_credential": {"name": "xp"}}).json()["application_credential"]["id"]
    return {"credential": cred, "app_cred": app}


def _image(b: Member) -> dict[str, Any]:
    image = b.call("POST", "/image/v2/images", (201,), json={"name": "xp", "disk_format": "raw",
                                                               "container_format": "bare"}).json()["id"]
    b.call("PUT", f"/image/v2/images/{image}/file", (204,), content=b"private bytes",
           headers={"Content-Type": "application/octet-stream"})
    b.call("PUT", f"/object-store/v1/AUTH_{b.project_id}/xp", (201,))
    b.call("PUT", f"/object-store/v1/AUTH_{b.project_id}/xp/o", (201,), content=b"object bytes")
    return {"image": image}


def _network(admin: Member, b: Member) -> dict[str, Any]:
    n = "/networking/v2.0"
    net = b.call("POST", f"{n}/networks", (201,), json={"network": {"name": "xp"}}).json()["network"]["id"]
    subnet = b.call("POST", f"{n}/subnets", (201,), json={"subnet": {
        "network_id": net, "cidr": "10.77.0.0/24", "ip_version": 4}}).json()["subnet"]["id"]
    port = b.call("POST", f"{n}/ports", (201,), json={"port": {"network_id": net}}).json()["port"]["id"]
    parent = b.call("POST", f"{n}/ports", (201,), json={"port": {"network_id": net}}).json()["port"]["id"]
    router = b.call("POST", f"{n}/routers", (201,), json={"router": {"name": "xp"}}).json()["router"]["id"]
    public = next(x["id"] for x in b.call("GET", f"{n}/networks?router:external=true").json()["networks"])
    fip = b.call("POST", f"{n}/floatingips", (201,),
                 json={"floatingip": {"floating_network_id": public}}).json()["floatingip"]["id"]
    sg = b.call("POST", f"{n}/security-groups", (201,),
                json={"security_group": {"name": "xp"}}).json()["security_group"]["id"]
    rule = b.call("POST", f"{n}/security-group-rules", (201,), json={"security_group_rule": {
        "security_group_id": sg, "direction": "ingress", "protocol": "tcp", "port_range_min": 22,
        "port_range_max": 22}}).json()["security_group_rule"]["id"]
    trunk = b.call("POST", f"{n}/trunks", (201,), json={"trunk": {"port_id": parent}}).json()["trunk"]["id"]
    qos = admin.call("POST", f"{n}/qos/policies", (201,), json={"policy": {
        "name": "xp", "project_id": b.project_id}}).json()["policy"]["id"]
    return {"network": net, "subnet": subnet, "port": port, "router": router, "floatingip": fip,
            "security_group": sg, "security_group_rule": rule, "trunk": trunk, "qos_policy": qos}


def _volume(admin: Member, b: Member) -> dict[str, Any]:
    v = f"/volume/v3/{b.project_id}"
    vol = b.call("POST", f"{v}/volumes", (202,), json={"volume": {"size": 1}}).json()["volume"]["id"]
    spare = b.call("POST", f"{v}/volumes", (202,), json={"volume": {"size": 1}}).json()["volume"]["id"]
    _wait(b, f"{v}/volumes/{vol}", "volume", "status", "available")
    _wait(b, f"{v}/volumes/{spare}", "volume", "status", "available")
    snap = b.call("POST", f"{v}/snapshots", (202,),
                  json={"snapshot": {"volume_id": vol}}).json()["snapshot"]["id"]
    _wait(b, f"{v}/snapshots/{snap}", "snapshot", "status", "available")
    backup = b.call("POST", f"{v}/backups", (202,),
                    json={"backup": {"volume_id": vol}}).json()["backup"]["id"]
    _wait(b, f"{v}/backups/{backup}", "backup", "status", "available")
    transfer = b.call("POST", f"{v}/os-volume-transfer", (202,),
                      json={"transfer": {"volume_id": spare}}).json()["transfer"]["id"]
    gtype = admin.call("POST", f"/volume/v3/{admin_project(admin)}/group_types", (200, 202),
                       headers={"OpenStack-API-Version": "volume 3.11"},
                       json={"group_type": {"name": f"xp-{uuid.uuid4().hex[:6]}"}}).json()["group_type"]["id"]
    vtype = next(t["id"] for t in b.call("GET", f"{v}/types").json()["volume_types"])
    group = b.call("POST", f"{v}/groups", (202,), headers={"OpenStack-API-Version": "volume 3.13"},
                   json={"group": {"group_type": gtype, "volume_types": [vtype]}}).json()["group"]["id"]
    _wait(b, f"{v}/groups/{group}", "group", "status", "available",
          headers={"OpenStack-API-Version": "volume 3.13"})
    return {"volume": vol, "snapshot": snap, "backup": backup, "transfer": transfer, "group": group}


def admin_project(admin: Member) -> str:
    if not admin.project_id:
        token = admin.call("GET", "/identity/v3/auth/tokens", headers={"X-Subject-Token": admin.token})
        admin.project_id = token.json()["token"]["project"]["id"]
    return admin.project_id


def _compute(b: Member, res: dict[str, Any]) -> dict[str, Any]:
    flavors = b.call("GET", "/compute/v2.1/flavors").json()["flavors"]
    flavor = next(f["id"] for f in flavors if f["name"] == "m1.nano")
    server = b.call("POST", "/compute/v2.1/servers", (202,), json={"server": {
        "name": "xp", "flavorRef": flavor, "imageRef": res["image"], "networks": [{"port": res["port"]}]}}
    ).json()["server"]["id"]
    _wait(b, f"/compute/v2.1/servers/{server}", "server", "status", "ACTIVE")
    keypair = f"xp-{uuid.uuid4().hex[:6]}"
    b.call("POST", "/compute/v2.1/os-keypairs", (200,), json={"keypair": {"name": keypair}})
    group = b.call("POST", "/compute/v2.1/os-server-groups", (200,), json={"server_group": {
        "name": "xp", "policies": ["anti-affinity"]}}).json()["server_group"]["id"]
    vol = b.call("POST", f"/volume/v3/{b.project_id}/volumes", (202,),
                 json={"volume": {"size": 1}}).json()["volume"]["id"]
    _wait(b, f"/volume/v3/{b.project_id}/volumes/{vol}", "volume", "status", "available")
    b.call("POST", f"/compute/v2.1/servers/{server}/os-volume_attachments", (200,),
           json={"volumeAttachment": {"volumeId": vol}})
    _wait(b, f"/volume/v3/{b.project_id}/volumes/{vol}", "volume", "status", "in-use")
    attachment = b.call("GET", f"/volume/v3/{b.project_id}/attachments",
                        headers={"OpenStack-API-Version": "volume 3.27"}).json()["attachments"][0]["id"]
    return {"server": server, "keypair": keypair, "server_group": group, "attached": vol,
            "attachment": attachment}


def _others(admin: Member, system: Member, b: Member) -> dict[str, Any]:
    bm = {"X-OpenStack-Ironic-API-Version": "1.80"}
    owned = system.call("POST", "/baremetal/v1/nodes", (201,), headers=bm, json={
        "driver": "fake-hardware", "owner": b.project_id}).json()["uuid"]
    leased = system.call("POST", "/baremetal/v1/nodes", (201,), headers=bm, json={
        "driver": "fake-hardware", "lessee": b.project_id}).json()["uuid"]
    acc = {"OpenStack-API-Version": "accelerator 2.3"}
    profile = f"xp-{uuid.uuid4().hex[:6]}"
    admin.call("POST", "/accelerator/v2/device_profiles", (201,), headers=acc, json=[{
        "name": profile, "groups": [{"resources:FPGA": "1", "trait:CUSTOM_FPGA_INTEL": "required"}]}])
    arq = b.call("POST", "/accelerator/v2/accelerator_requests", (201,), headers=acc,
                 json={"device_profile_name": profile}).json()["arqs"][0]["uuid"]
    stack_name = f"xp-{uuid.uuid4().hex[:6]}"
    template = {"heat_template_version": "2018-08-31", "resources": {"n": {"type": "OS::Heat::None"}}}
    stacks = f"/heat-api/v1/{b.project_id}/stacks"
    body = {"stack_name": stack_name, "template": template}
    stack = b.call("POST", stacks, (201,), json=body).json()["stack"]["id"]
    _wait(b, f"{stacks}/{stack_name}/{stack}", "stack", "stack_status", "CREATE_COMPLETE")
    return {"owned_node": owned, "leased_node": leased, "arq": arq, "stack": f"{stack_name}/{stack}"}


# (label, path template as A sends it ({a}: A's project, {b}: B's, other keys: B's resources),
#  headers, {method: expected status}, body for PUT/PATCH/POST)
NOT_FOUND = {"GET": 404, "PUT": 404, "DELETE": 404}
N = "/networking/v2.0"
V = "/volume/v3/{a}"
CASES: list[tuple[str, str, dict[str, str], dict[str, int], Any]] = [
    # keystone: a credential or application credential of another user is forbidden by policy
    ("credential", "/identity/v3/credentials/{credential}", {}, {"GET": 403, "PATCH": 403, "DELETE": 403},
     {"credential": {"blob": "stolen"}}),
    ("application credential", "/identity/v3/users/{b_user}/application_credentials/{app_cred}", {},
     {"GET": 403, "DELETE": 403}, None),
    ("image", "/image/v2/images/{image}", H_JSON_PATCH, {"GET": 404, "PATCH": 404, "DELETE": 404},
     [{"op": "replace", "path": "/name", "value": "stolen"}]),
    ("image data", "/image/v2/images/{image}/file", {"Content-Type": "application/octet-stream"},
     {"GET": 404, "PUT": 404}, b"stolen"),
    # swift: another account is 403 to an authenticated user without a role there (keystoneauth)
    ("container", "/object-store/v1/AUTH_{b}/xp", {}, {"GET": 403, "PUT": 403, "POST": 403, "DELETE": 403},
     b""),
    ("object", "/object-store/v1/AUTH_{b}/xp/o", {}, {"GET": 403, "PUT": 403, "POST": 403, "DELETE": 403},
     b"stolen"),
    ("network", N + "/networks/{network}", {}, NOT_FOUND, {"network": {"name": "stolen"}}),
    ("subnet", N + "/subnets/{subnet}", {}, NOT_FOUND, {"subnet": {"name": "stolen"}}),
    ("port", N + "/ports/{port}", {}, NOT_FOUND, {"port": {"name": "stolen"}}),
    ("router", N + "/routers/{router}", {}, NOT_FOUND, {"router": {"name": "stolen"}}),
    ("floating ip", N + "/floatingips/{floatingip}", {}, NOT_FOUND,
     {"floatingip": {"description": "stolen"}}),
    ("security group", N + "/security-groups/{security_group}", {}, NOT_FOUND,
     {"security_group": {"name": "stolen"}}),
    ("security group rule", N + "/security-group-rules/{security_group_rule}", {},
     {"GET": 404, "DELETE": 404}, None),
    ("trunk", N + "/trunks/{trunk}", {}, NOT_FOUND, {"trunk": {"name": "stolen"}}),
    ("qos policy", N + "/qos/policies/{qos_policy}", {}, NOT_FOUND, {"policy": {"name": "stolen"}}),
    ("volume", V + "/volumes/{volume}", {}, NOT_FOUND, {"volume": {"name": "stolen"}}),
    ("snapshot", V + "/snapshots/{snapshot}", {}, NOT_FOUND, {"snapshot": {"name": "stolen"}}),
    ("backup", V + "/backups/{backup}", {"OpenStack-API-Version": "volume 3.9"}, NOT_FOUND,
     {"backup": {"name": "stolen"}}),
    ("group", V + "/groups/{group}", {"OpenStack-API-Version": "volume 3.13"}, {"GET": 404, "PUT": 404},
     {"group": {"name": "stolen"}}),
    ("transfer", V + "/os-volume-transfer/{transfer}", {}, {"GET": 404, "DELETE": 404}, None),
    ("attachment", V + "/attachments/{attachment}", {"OpenStack-API-Version": "volume 3.27"},
     {"GET": 404, "PUT": 404, "DELETE": 404}, {"attachment": {"connector": {"host": "x"}}}),
    ("server", "/compute/v2.1/servers/{server}", {}, NOT_FOUND, {"server": {"name": "stolen"}}),
    ("server action", "/compute/v2.1/servers/{server}/action", {}, {"POST": 404}, {"os-stop": None}),
    ("keypair", "/compute/v2.1/os-keypairs/{keypair}", {}, {"GET": 404, "DELETE": 404}, None),
    ("server group", "/compute/v2.1/os-server-groups/{server_group}", {}, {"GET": 404, "DELETE": 404}, None),
    ("volume attachment", "/compute/v2.1/servers/{server}/os-volume_attachments/{attached}", {},
     {"GET": 404, "DELETE": 404}, None),
    # placement is for admins and services only
    ("placement", "/placement/resource_providers", {}, {"GET": 403}, None),
    ("node (owner)", "/baremetal/v1/nodes/{owned_node}", {"X-OpenStack-Ironic-API-Version": "1.80"},
     {"GET": 404, "PATCH": 404, "DELETE": 404}, [{"op": "replace", "path": "/name", "value": "stolen"}]),
    ("node (lessee)", "/baremetal/v1/nodes/{leased_node}", {"X-OpenStack-Ironic-API-Version": "1.80"},
     {"GET": 404, "PATCH": 404, "DELETE": 404}, [{"op": "replace", "path": "/name", "value": "stolen"}]),
    ("accelerator request", "/accelerator/v2/accelerator_requests/{arq}",
     {"OpenStack-API-Version": "accelerator 2.3"}, {"GET": 404}, None),
    ("accelerator request delete", "/accelerator/v2/accelerator_requests?arqs={arq}",
     {"OpenStack-API-Version": "accelerator 2.3"}, {"DELETE": 404}, None),
    # heat: B's stack under A's own tenant is not found; under B's tenant id, A is forbidden
    ("stack", "/heat-api/v1/{a}/stacks/{stack}", {}, {"GET": 404, "PATCH": 404, "PUT": 404, "DELETE": 404},
     {"template": {"heat_template_version": "2018-08-31", "resources": {}}}),
    ("stack in B's tenant", "/heat-api/v1/{b}/stacks/{stack}", {}, {"GET": 403, "PATCH": 403, "DELETE": 403},
     {"template": {"heat_template_version": "2018-08-31", "resources": {}}}),
]

# what B reads to check that nothing changed, for each case (the same path with B's project)
B_VIEW = {"container": "/object-store/v1/AUTH_{b}/xp", "object": "/object-store/v1/AUTH_{b}/xp/o",
          "placement": None, "server action": "/compute/v2.1/servers/{server}",
          "accelerator request delete": "/accelerator/v2/accelerator_requests/{arq}"}


def _fill(template: str, a: Member, b: Member, res: dict[str, Any]) -> str:
    return template.format(a=a.project_id, b=b.project_id, b_user=b.user_id, **res)


def _stable(body: Any) -> Any:
    """The view B has of a resource, without what moves on its own (a server's progress, timestamps
    of reads)."""
    if isinstance(body, dict):
        return {k: _stable(v) for k, v in body.items() if k not in ("updated_at", "updated", "last_used_at")}
    return body


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_member_of_another_project_cannot_touch_it(two, case):
    _, a, b, res = two
    label, template, headers, expected, body = case
    view = B_VIEW.get(label, template.replace("{a}", "{b}"))
    b_path = _fill(view, a, b, res) if view else None
    before = b.call("GET", b_path, headers=headers).content if b_path else None
    answers = {}
    for method, status in expected.items():
        kw: dict[str, Any] = {"headers": headers}
        if method in ("PUT", "PATCH", "POST") and body is not None:
            kw["content" if isinstance(body, bytes) else "json"] = body
        r = a.http.request(method, _fill(template, a, b, res), **{**kw, "headers": {
            "X-Auth-Token": a.token, **headers}})
        answers[method] = r.status_code
        assert r.status_code < 500, (label, method, r.text[:300])
    assert answers == expected, label
    if b_path:
        after = b.call("GET", b_path, headers=headers).content
        assert _stable(_json(after)) == _stable(_json(before)), label


def _json(content: bytes) -> Any:
    import json
    try:
        return json.loads(content)
    except ValueError:
        return content


# A's own requests that name one of B's resources: refused as if it did not exist, nothing made
USES = [
    ("port on B's network", "POST", "/networking/v2.0/ports", {}, 404,
     {"port": {"network_id": "{network}"}}),
    ("subnet on B's network", "POST", "/networking/v2.0/subnets", {}, 404,
     {"subnet": {"network_id": "{network}", "cidr": "10.78.0.0/24", "ip_version": 4}}),
    ("floating ip on B's port", "POST", "/networking/v2.0/floatingips", {}, 404,
     {"floatingip": {"floating_network_id": "{public}", "port_id": "{port}"}}),
    ("volume from B's snapshot", "POST", "/volume/v3/{a}/volumes", {}, 404,
     {"volume": {"size": 1, "snapshot_id": "{snapshot}"}}),
    ("volume from B's volume", "POST", "/volume/v3/{a}/volumes", {}, 404,
     {"volume": {"size": 1, "source_volid": "{volume}"}}),
    # cinder: "Invalid image identifier or unable to access requested image." (400)
    ("volume from B's image", "POST", "/volume/v3/{a}/volumes", {}, 400,
     {"volume": {"size": 1, "imageRef": "{image}"}}),
    ("backup restore into B's volume", "POST", "/volume/v3/{a}/backups/{backup}/restore", {}, 404,
     {"restore": {"volume_id": "{volume}"}}),
    ("server from B's image", "POST", "/compute/v2.1/servers", {}, 400,
     {"server": {"name": "x", "flavorRef": "1", "imageRef": "{image}", "networks": "none"}}),
    # nova turns PortNotFound into 400 on create
    ("server on B's port", "POST", "/compute/v2.1/servers", {"OpenStack-API-Version": "compute 2.37"}, 400,
     {"server": {"name": "x", "flavorRef": "1", "imageRef": "{public_image}",
                 "networks": [{"port": "{port}"}]}}),
    ("member of B's image", "POST", "/image/v2/images/{image}/members", {}, 404, {"member": "{a}"}),
    ("resources of B's stack", "GET", "/heat-api/v1/{a}/stacks/{stack}/resources", {}, 404, None),
]


def _fill_body(body: Any, fill: Any) -> Any:
    if isinstance(body, dict):
        return {k: _fill_body(v, fill) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill_body(v, fill) for v in body]
    return fill(body) if isinstance(body, str) and "{" in body else body


@pytest.mark.parametrize("case", USES, ids=[c[0] for c in USES])
def test_naming_another_projects_resource_gets_nothing(two, case):
    admin, a, b, res = two
    label, method, template, headers, expected, body = case
    extra = dict(res)
    extra.setdefault("public", next(n["id"] for n in a.call(
        "GET", "/networking/v2.0/networks?router:external=true").json()["networks"]))
    extra.setdefault("public_image", next(i["id"] for i in a.call("GET", "/image/v2/images").json()["images"]
                                          if i["name"].startswith("cirros")))
    fill = lambda text: _fill(text, a, b, extra)  # noqa: E731
    counts = _counts(a)
    r = a.call(method, fill(template), (expected,), headers=headers,
               **({"json": _fill_body(body, fill)} if body is not None else {}))
    assert r.status_code == expected, label
    assert _counts(a) == counts, label                          # nothing was made in A either


def _counts(a: Member) -> dict[str, int]:
    return {"ports": len(a.call("GET", "/networking/v2.0/ports").json()["ports"]),
            "subnets": len(a.call("GET", "/networking/v2.0/subnets").json()["subnets"]),
            "floatingips": len(a.call("GET", "/networking/v2.0/floatingips").json()["floatingips"]),
            "volumes": len(a.call("GET", f"/volume/v3/{a.project_id}/volumes").json()["volumes"]),
            "servers": len(a.call("GET", "/compute/v2.1/servers").json()["servers"])}

"""Admin APIs: aggregates, the image proxy, os-hosts, hypervisor servers, external events, usage, diagnostics."""

from __future__ import annotations

import time

from tests.conftest import unique


def test_aggregates(nova_admin, nova_demo):
    name = unique("agg")
    r = nova_admin.post("/os-aggregates", json={"aggregate": {"name": name, "availability_zone": "nova"}})
    assert r.status_code == 200, r.text
    agg = r.json()["aggregate"]
    assert agg["name"] == name and "hosts" not in agg and agg["uuid"]
    assert nova_admin.post("/os-aggregates", json={"aggregate": {"name": name}}).status_code == 409
    assert nova_admin.post("/os-aggregates", json={"aggregate": {"name": ""}}).status_code == 400
    assert nova_demo.get("/os-aggregates").status_code == 403
    base = f"/os-aggregates/{agg['id']}"
    added = nova_admin.post(base + "/action", json={"add_host": {"host": "pocketstack"}}).json()["aggregate"]
    assert added["hosts"] == ["pocketstack"]
    assert nova_admin.post(base + "/action", json={"add_host": {"host": "pocketstack"}}).status_code == 409
    assert nova_admin.post(base + "/action", json={"add_host": {"host": "nowhere"}}).status_code == 404
    meta = nova_admin.post(base + "/action", json={"set_metadata": {"metadata": {"ssd": "true"}}}).json()
    assert meta["aggregate"]["metadata"] == {"availability_zone": "nova", "ssd": "true"}
    assert nova_admin.delete(base).status_code == 400
    assert nova_admin.post(base + "/action", json={"remove_host": {"host": "pocketstack"}}).status_code == 200
    assert nova_admin.put(base, json={"aggregate": {"name": name + "-2"}}).json()["aggregate"]["name"] == name + "-2"
    assert nova_admin.delete(base).status_code == 200
    assert nova_admin.get(base).status_code == 404


def test_image_proxy(nova_demo):
    from tests.services.compute.conftest import IMAGE
    old = nova_demo.at("2.35")
    images = nova_demo.get("/images/detail", headers=old).json()["images"]
    cirros = next(i for i in images if i["id"] == IMAGE[0])
    assert cirros["status"] == "ACTIVE" and cirros["progress"] == 100 and cirros["OS-EXT-IMG-SIZE:size"] > 0
    assert nova_demo.get(f"/images/{IMAGE[0]}", headers=old).json()["image"]["name"] == cirros["name"]
    assert nova_demo.get("/images/00000000-0000-0000-0000-000000000000", headers=old).status_code == 404
    assert nova_demo.get("/images", headers=nova_demo.at("2.36")).status_code == 404


def test_shelve_keeps_an_image(nova_demo):
    sid = nova_demo.boot()["id"]
    server = nova_demo.wait(sid, "ACTIVE")
    assert nova_demo.action(sid, {"shelve": None}).status_code == 202
    nova_demo.wait(sid, "SHELVED_OFFLOADED")
    old = nova_demo.at("2.35")
    name = server["name"] + "-shelved"
    images = nova_demo.get(f"/images?name={name}", headers=old).json()["images"]
    assert len(images) == 1
    assert nova_demo.action(sid, {"unshelve": None}).status_code == 202
    nova_demo.wait(sid, "ACTIVE")
    for _ in range(50):
        if nova_demo.get(f"/images?name={name}", headers=old).json()["images"] == []:
            break
        time.sleep(0.1)
    assert nova_demo.get(f"/images?name={name}", headers=old).json()["images"] == []
    nova_demo.delete(f"/servers/{sid}")


def test_hosts_and_hypervisor_servers(nova_admin, nova_demo):
    old = nova_admin.at("2.42")
    hosts = nova_admin.get("/os-hosts", headers=old).json()["hosts"]
    assert {h["service"] for h in hosts} == {"compute", "scheduler", "conductor"}
    assert nova_admin.get("/os-hosts?zone=nova", headers=old).json()["hosts"][0]["service"] == "compute"
    assert nova_admin.get("/os-hosts/pocketstack", headers=old).json()["host"][0]["resource"]["project"] == "(total)"
    assert nova_admin.get("/os-hosts/nowhere", headers=old).status_code == 404
    assert nova_demo.get("/os-hosts", headers=old).status_code == 403
    assert nova_admin.get("/os-hosts").status_code == 404
    sid = nova_demo.boot()["id"]
    nova_demo.wait(sid, "ACTIVE")
    with_servers = nova_admin.get("/os-hypervisors?with_servers=true").json()["hypervisors"][0]
    assert sid in [s["uuid"] for s in with_servers["servers"]]
    assert nova_admin.get("/os-hypervisors/pocket/search", headers=old).status_code == 200
    diag = nova_admin.get(f"/servers/{sid}/diagnostics").json()
    assert diag["state"] == "running" and diag["num_cpus"] == 1
    assert nova_demo.get(f"/servers/{sid}/diagnostics").status_code == 403
    events = nova_admin.post("/os-server-external-events", json={"events": [
        {"name": "network-changed", "server_uuid": sid},
        {"name": "network-changed", "server_uuid": "00000000-0000-0000-0000-000000000000"}]})
    assert events.status_code == 207 and [e["code"] for e in events.json()["events"]] == [200, 404]
    usage = nova_admin.get("/os-simple-tenant-usage?detailed=1").json()["tenant_usages"]
    assert sid in [s["instance_id"] for u in usage for s in u["server_usages"]]
    r = nova_admin.action(sid, {"os-resetState": {"state": "error"}})
    assert r.status_code == 202 and nova_admin.show(sid)["status"] == "ERROR"
    assert nova_demo.action(sid, {"os-resetState": {"state": "active"}}).status_code == 403
    nova_demo.delete(f"/servers/{sid}")
    nova_demo.wait_gone(sid)


def test_security_group_proxy(nova_demo, nova_alt):
    old = nova_demo.at("2.35")
    r = nova_demo.post("/os-security-groups", headers=old,
                       json={"security_group": {"name": unique("sg"), "description": "web"}})
    assert r.status_code == 200, r.text
    group = r.json()["security_group"]
    assert group["rules"] == [] and group["description"] == "web"
    rule = nova_demo.post("/os-security-group-rules", headers=old, json={"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
        "cidr": "10.0.0.0/8"}})
    assert rule.status_code == 200, rule.text
    assert rule.json()["security_group_rule"]["ip_range"] == {"cidr": "10.0.0.0/8"}
    dup = nova_demo.post("/os-security-group-rules", headers=old, json={"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
        "cidr": "10.0.0.0/8"}})
    assert dup.status_code == 400
    bad = nova_demo.post("/os-security-group-rules", headers=old, json={"security_group_rule": {
        "parent_group_id": group["id"], "ip_protocol": "tcp", "from_port": 23, "to_port": 22}})
    assert bad.status_code == 400
    shown = nova_demo.get(f"/os-security-groups/{group['id']}", headers=old).json()["security_group"]
    assert [r["from_port"] for r in shown["rules"]] == [22]
    assert nova_alt.get(f"/os-security-groups/{group['id']}", headers=old).status_code == 404
    rule_id = rule.json()["security_group_rule"]["id"]
    assert nova_demo.delete(f"/os-security-group-rules/{rule_id}", headers=old).status_code == 202
    assert nova_demo.delete(f"/os-security-groups/{group['id']}", headers=old).status_code == 202
    assert nova_demo.get(f"/os-security-groups/{group['id']}", headers=old).status_code == 404
    assert nova_demo.get("/os-security-groups").status_code == 404


def test_floating_ip_proxy(nova_demo, private_net):
    old = nova_demo.at("2.35")
    assert nova_demo.get("/os-floating-ip-pools", headers=old).json()["floating_ip_pools"] == [{"name": "public"}]
    fip = nova_demo.post("/os-floating-ips", headers=old, json={"pool": "public"}).json()["floating_ip"]
    assert fip["pool"] == "public" and fip["instance_id"] is None
    assert nova_demo.post("/os-floating-ips", headers=old, json={"pool": "nope"}).status_code == 404
    sid = nova_demo.boot(private_net)["id"]
    nova_demo.wait(sid, "ACTIVE")
    r = nova_demo.action(sid, {"addFloatingIp": {"address": fip["ip"]}}, headers=old)
    assert r.status_code == 202, r.text
    kinds = {a["OS-EXT-IPS:type"]: a["addr"] for a in nova_demo.show(sid)["addresses"]["private"]}
    assert kinds["floating"] == fip["ip"]
    shown = nova_demo.get(f"/os-floating-ips/{fip['id']}", headers=old).json()["floating_ip"]
    assert shown["instance_id"] == sid and shown["fixed_ip"] == kinds["fixed"]
    assert nova_demo.action(sid, {"removeFloatingIp": {"address": fip["ip"]}}, headers=old).status_code == 202
    assert "floating" not in {a["OS-EXT-IPS:type"] for a in nova_demo.show(sid)["addresses"]["private"]}
    assert nova_demo.delete(f"/os-floating-ips/{fip['id']}", headers=old).status_code == 202
    assert nova_demo.get(f"/os-floating-ips/{fip['id']}", headers=old).status_code == 404
    nova_demo.delete(f"/servers/{sid}")


def test_availability_zone_from_aggregate(nova_admin, nova_demo):
    zone = unique("az")
    agg = nova_admin.post("/os-aggregates", json={"aggregate": {"name": unique("agg"), "availability_zone": zone}}
                          ).json()["aggregate"]
    from tests.services.compute.conftest import IMAGE
    body = {"server": {"name": unique(), "flavorRef": "1", "imageRef": IMAGE[0], "networks": "none",
                       "availability_zone": zone}}
    assert nova_demo.post("/servers", json=body).status_code == 400
    nova_admin.post(f"/os-aggregates/{agg['id']}/action", json={"add_host": {"host": "pocketstack"}})
    assert zone in [z["zoneName"] for z in nova_demo.get("/os-availability-zone").json()["availabilityZoneInfo"]]
    r = nova_demo.post("/servers", json=body)
    assert r.status_code == 202, r.text
    server = nova_demo.wait(r.json()["server"]["id"], "ACTIVE")
    assert server["OS-EXT-AZ:availability_zone"] == zone and server["pinned_availability_zone"] == zone
    nova_demo.delete(f"/servers/{server['id']}")
    nova_admin.post(f"/os-aggregates/{agg['id']}/action", json={"remove_host": {"host": "pocketstack"}})
    nova_admin.delete(f"/os-aggregates/{agg['id']}")


def test_quota_class_extensions_audit(nova_admin, nova_demo):
    r = nova_admin.put("/os-quota-class-sets/default", json={"quota_class_set": {"key_pairs": 99}})
    assert r.status_code == 200 and r.json()["quota_class_set"]["key_pairs"] == 99
    try:
        assert nova_admin.get("/os-quota-class-sets/default").json()["quota_class_set"]["key_pairs"] == 99
        assert nova_demo.get("/limits").json()["limits"]["absolute"]["maxTotalKeypairs"] == 99
    finally:
        nova_admin.put("/os-quota-class-sets/default", json={"quota_class_set": {"key_pairs": 100}})
    assert nova_demo.put("/os-quota-class-sets/default", json={"quota_class_set": {"key_pairs": 1}}).status_code == 403
    names = {e["name"] for e in nova_demo.get("/extensions").json()["extensions"]}
    assert "Hosts" in names
    assert nova_demo.get("/extensions/os-consoles").json()["extension"]["alias"] == "os-consoles"
    logs = nova_admin.get("/os-instance_usage_audit_log").json()["instance_usage_audit_logs"]
    assert logs["num_hosts"] == 1
    assert nova_admin.get("/os-instance_usage_audit_log/bogus").status_code == 400
    assert nova_demo.get("/os-instance_usage_audit_log").status_code == 403

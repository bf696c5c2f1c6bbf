"""Notifications (core/notifications.py): oslo.messaging's envelopes to the RabbitMQ on 127.0.0.1:5672
and to a file, off by default, and never in a request's way when the broker is down."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openstack
import openstack.config
import openstack.connection
import pytest

from tests.conftest import Cloud, free_port, start_cloud, stop_cloud

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
EXCHANGES = ("nova", "glance", "cinder", "neutron", "keystone", "heat")
STACK = {"heat_template_version": "2018-08-31", "description": "notified",
         "resources": {"word": {"type": "OS::Heat::RandomString", "properties": {"length": 8}}}}
CONTEXT_KEYS = {"_context_user_id", "_context_project_id", "_context_request_id", "_context_roles",
                "_context_auth_token", "_context_is_admin", "_context_global_request_id"}


def rabbit_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


needs_rabbit = pytest.mark.skipif(not rabbit_up(), reason="RabbitMQ is not reachable at 127.0.0.1:5672 "
                                  "(guest/guest): the AMQP notification tests need it")


def message_of(body: dict[str, Any]) -> dict[str, Any]:
    """The messaging v2 envelope, checked, opened."""
    assert set(body) == {"oslo.version", "oslo.message"} and body["oslo.version"] == "2.0"
    message = json.loads(body["oslo.message"])
    assert {"message_id", "publisher_id", "event_type", "priority", "payload", "timestamp"} <= set(message)
    uuid.UUID(message["message_id"])
    return message


class Listener:
    """A queue of our own bound to every service's exchange, as Ceilometer binds its pool."""

    def __init__(self) -> None:
        import kombu
        self.conn = kombu.Connection(AMQP_URL)
        self.queue_name = f"test-notifications-{uuid.uuid4().hex[:8]}"
        channel = self.conn.channel()
        self.channel = channel
        for name in EXCHANGES:
            exchange = kombu.Exchange(name, type="topic", durable=False, auto_delete=False)
            exchange(channel).declare()
            for key in ("notifications.*", "versioned_notifications.*"):
                kombu.Queue(self.queue_name, exchange, routing_key=key, exclusive=True,
                            auto_delete=True)(channel).declare()
        self.got: list[tuple[str, str, dict[str, Any]]] = []

    def drain(self, want: set[str], timeout: float = 60) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        """(exchange, routing key, message) by event type, until every wanted event type came."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            raw = self.channel.basic_get(self.queue_name, no_ack=True)
            if raw is None:
                if want <= {m["event_type"] for _, _, m in self.got}:
                    break
                time.sleep(0.1)
                continue
            info = raw.delivery_info
            self.got.append((info["exchange"], info["routing_key"], message_of(json.loads(raw.body))))
        by_type: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        for item in self.got:
            by_type.setdefault(item[2]["event_type"], []).append(item)
        return by_type

    def close(self) -> None:
        self.conn.release()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    got = Listener()
    yield got
    got.close()


def _connect(cloud: Cloud, name: str = "pocketstack") -> Any:
    """A connection to this test's cloud (never through OS_CLIENT_CONFIG_FILE, which names the session's)."""
    config = openstack.config.OpenStackConfig(config_files=[str(cloud.clouds_yaml)], load_envvars=False)
    region = config.get_one(cloud=name)
    return openstack.connection.Connection(config=region)


def _one(by_type: dict[str, list[Any]], event_type: str,
         **payload_fields: Any) -> tuple[str, str, dict[str, Any]]:
    """The notification of that type whose payload has those fields (dotted keys reach into nova objects)."""
    for exchange, key, message in by_type.get(event_type, []):
        payload = message["payload"]
        if all(_dig(payload, k) == v for k, v in payload_fields.items()):
            return exchange, key, message
    raise AssertionError(f"no {event_type} with {payload_fields}: {sorted(by_type)}")


def _dig(payload: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        payload = payload.get("nova_object.data", payload) if isinstance(payload, dict) else payload
        payload = payload.get(part) if isinstance(payload, dict) else None
    return payload


def _cleanup_default_queues() -> None:
    """The queues the cloud declares as oslo.messaging does (notifications.info, ...), emptied away."""
    import kombu
    with kombu.Connection(AMQP_URL) as conn:
        channel = conn.channel()
        for name in ("notifications.info", "notifications.error", "versioned_notifications.info"):
            try:
                channel.queue_delete(name)
            except Exception:  # noqa: BLE001 - not declared in this run
                channel = conn.channel()


@needs_rabbit
def test_services_notify_rabbitmq_as_openstack_does(tmp_path: Path, listener: Listener) -> None:
    cloud = start_cloud(tmp_path, extra_args=["--notifications", AMQP_URL])
    try:
        demo, admin = _connect(cloud), _connect(cloud, "pocketstack-admin")
        image = demo.image.create_image(name="n-image", disk_format="raw", container_format="bare",
                                        data=b"\0" * 1024)
        net = demo.network.create_network(name="n-net")
        subnet = demo.network.create_subnet(network_id=net.id, cidr="10.77.0.0/24", ip_version=4,
                                            name="n-sub")
        router = demo.network.create_router(name="n-router")
        server = demo.compute.create_server(name="n-server", image_id=image.id, networks=[{"uuid": net.id}],
                                            flavor_id=demo.compute.find_flavor("m1.nano").id)
        demo.compute.wait_for_server(server, wait=60)
        demo.compute.stop_server(server)
        demo.compute.wait_for_server(server, status="SHUTOFF", wait=60)
        volume = demo.block_storage.create_volume(size=1, name="n-volume")
        demo.block_storage.wait_for_status(volume, "available", wait=60)
        snapshot = demo.block_storage.create_snapshot(volume_id=volume.id, name="n-snap")
        demo.block_storage.wait_for_status(snapshot, "available", wait=60)
        demo.block_storage.delete_snapshot(snapshot)
        demo.block_storage.wait_for_delete(snapshot, wait=60)
        demo.compute.create_volume_attachment(server, volume_id=volume.id)
        demo.block_storage.wait_for_status(volume, "in-use", wait=60)
        demo.compute.delete_volume_attachment(server, volume.id)
        demo.block_storage.wait_for_status(volume, "available", wait=60)
        fip = demo.network.create_ip(floating_network_id=demo.network.find_network("public").id)
        demo.network.delete_ip(fip)
        project = admin.identity.create_project(name="n-project", domain_id="default")
        demo.compute.delete_server(server)
        demo.compute.wait_for_delete(server, wait=60)
        demo.block_storage.delete_volume(volume)
        demo.block_storage.wait_for_delete(volume, wait=60)
        demo.network.delete_router(router)
        by_type = listener.drain({"instance.create.end", "compute.instance.create.end", "instance.delete.end",
                                  "compute.instance.delete.end", "instance.power_off.end", "image.upload",
                                  "image.activate", "volume.create.end", "volume.delete.end",
                                  "network.create.end", "subnet.create.end", "router.delete.end",
                                  "identity.project.created", "identity.authenticate", "port.create.end",
                                  "snapshot.create.end", "volume.attach.end", "volume.detach.end",
                                  "floatingip.create.end", "floatingip.delete.end"})
    finally:
        stop_cloud(cloud)
        _cleanup_default_queues()

    # nova, versioned: InstanceCreatePayload on versioned_notifications.info from nova-compute:<host>
    exchange, key, msg = _one(by_type, "instance.create.end", uuid=server.id)
    assert (exchange, key, msg["priority"]) == ("nova", "versioned_notifications.info", "INFO")
    assert msg["publisher_id"] == "nova-compute:pocketstack"
    payload = msg["payload"]
    assert payload["nova_object.name"] == "InstanceCreatePayload"
    assert payload["nova_object.namespace"] == "nova"
    assert payload["nova_object.version"] == "1.13"
    data = payload["nova_object.data"]
    assert data["state"] == "active" and data["power_state"] == "running"
    assert data["display_name"] == "n-server"
    assert data["flavor"]["nova_object.name"] == "FlavorPayload"
    assert data["flavor"]["nova_object.data"]["name"] == "m1.nano"
    assert data["ip_addresses"][0]["nova_object.data"]["address"].startswith("10.77.0.")
    assert data["tenant_id"] == demo.current_project_id and data["image_uuid"] == image.id
    assert CONTEXT_KEYS <= set(msg) and msg["_context_auth_token"] is None
    assert msg["_context_project_id"] == demo.current_project_id
    _one(by_type, "instance.create.start", uuid=server.id)
    off = _one(by_type, "instance.power_off.end", uuid=server.id)[2]["payload"]
    assert off["nova_object.name"] == "InstanceActionPayload" and off["nova_object.version"] == "1.9"
    assert off["nova_object.data"]["power_state"] == "shutdown"
    assert off["nova_object.data"]["state"] == "stopped"
    gone = _one(by_type, "instance.delete.end", uuid=server.id)[2]["payload"]
    assert gone["nova_object.data"]["state"] == "deleted"
    # nova, legacy
    exchange, key, msg = _one(by_type, "compute.instance.create.end", instance_id=server.id)
    assert (exchange, key, msg["publisher_id"]) == ("nova", "notifications.info", "compute.pocketstack")
    assert msg["payload"]["state"] == "active" and msg["payload"]["fixed_ips"][0]["label"] == "n-net"
    _one(by_type, "compute.instance.delete.end", instance_id=server.id)
    # glance: the image, with no context (glance notifies with {})
    exchange, key, msg = _one(by_type, "image.upload", id=image.id)
    assert (exchange, key, msg["publisher_id"]) == ("glance", "notifications.info", "image.localhost")
    assert msg["payload"]["size"] == 1024 and msg["payload"]["status"] == "active"
    assert not any(k.startswith("_context_") for k in msg)
    _one(by_type, "image.create", id=image.id, status="queued")
    _one(by_type, "image.activate", id=image.id)
    # cinder
    exchange, key, msg = _one(by_type, "volume.create.end", volume_id=volume.id)
    assert (exchange, key) == ("cinder", "notifications.info")
    assert msg["publisher_id"] == "volume.pocketstack@lvmdriver-1"
    assert msg["payload"]["status"] == "available" and msg["payload"]["size"] == 1
    _one(by_type, "volume.create.start", volume_id=volume.id)
    _one(by_type, "volume.delete.end", volume_id=volume.id)
    attached = _one(by_type, "volume.attach.end", volume_id=volume.id)[2]["payload"]
    assert attached["status"] == "in-use" and attached["volume_attachment"][0]["instance_uuid"] == server.id
    _one(by_type, "volume.detach.end", volume_id=volume.id, status="available")
    exchange, _, msg = _one(by_type, "snapshot.create.end", snapshot_id=snapshot.id)
    assert msg["publisher_id"] == "snapshot.pocketstack@lvmdriver-1"
    assert msg["payload"]["status"] == "available"
    # neutron: the resource as the API shows it
    exchange, _, msg = _one(by_type, "network.create.end")
    assert exchange == "neutron" and msg["publisher_id"].startswith("network.")
    assert _one(by_type, "network.create.end", **{"network.id": net.id})
    assert _one(by_type, "subnet.create.end", **{"subnet.cidr": "10.77.0.0/24", "subnet.id": subnet.id})
    _one(by_type, "router.delete.end", router_id=router.id)
    _one(by_type, "port.create.end", **{"port.device_id": server.id})
    _one(by_type, "floatingip.create.end", **{"floatingip.id": fip.id})
    _one(by_type, "floatingip.delete.end", floatingip_id=fip.id)
    # keystone: CADF
    exchange, _, msg = _one(by_type, "identity.project.created", resource_info=project.id)
    assert exchange == "keystone" and msg["publisher_id"].startswith("identity.")
    event = msg["payload"]
    assert event["typeURI"] == "http://schemas.dmtf.org/cloud/audit/1.0/event"
    assert event["eventType"] == "activity"
    assert (event["action"], event["outcome"]) == ("created.project", "success")
    assert event["target"] == {"typeURI": "data/security/project", "id": project.id}
    assert event["observer"]["typeURI"] == "service/security"
    assert event["initiator"]["typeURI"] == "service/security/account/user"
    assert event["initiator"]["user_id"] == admin.current_user_id and event["initiator"]["name"] == "admin"
    auth = _one(by_type, "identity.authenticate", outcome="success")[2]["payload"]
    assert auth["action"] == "authenticate" and auth["initiator"]["user_id"]


def test_file_sink_writes_one_envelope_a_line(tmp_path: Path) -> None:
    log = tmp_path / "notifications.log"
    cloud = start_cloud(tmp_path, extra_args=["--notifications", f"file://{log}"])
    try:
        admin = _connect(cloud, "pocketstack-admin")
        user = admin.identity.create_user(name="n-user", password="secret-enough", domain_id="default")
        image = admin.image.create_image(name="n-file", disk_format="raw", container_format="bare",
                                         data=b"abc")
        admin.image.delete_image(image)
        stack = admin.orchestration.create_stack(name="n-stack", template=STACK)
        admin.orchestration.wait_for_status(stack, "CREATE_COMPLETE", wait=60)
        admin.orchestration.delete_stack(stack)
        admin.orchestration.wait_for_delete(stack, wait=60)
        deadline = time.time() + 10
        while time.time() < deadline and "stack.delete.end" not in (log.read_text() if log.exists() else ""):
            time.sleep(0.1)
    finally:
        stop_cloud(cloud)
    messages = [message_of(json.loads(line)) for line in log.read_text().splitlines()]
    by_type = {m["event_type"]: m for m in messages}
    assert by_type["identity.user.created"]["payload"]["target"] == {"typeURI": "data/security/account/user",
                                                                      "id": user.id}
    assert by_type["image.upload"]["payload"]["size"] == 3
    created = by_type["orchestration.stack.create.end"]
    assert created["publisher_id"].startswith("orchestration.") and created["priority"] == "INFO"
    assert created["payload"]["stack_identity"] == stack.id
    assert created["payload"]["state"] == "CREATE_COMPLETE"
    assert by_type["orchestration.stack.create.start"]["payload"]["state"] == "CREATE_IN_PROGRESS"
    assert by_type["orchestration.stack.delete.end"]["payload"]["stack_name"] == "n-stack"
    deleted = by_type["image.delete"]["payload"]
    assert deleted["id"] == image.id and deleted["deleted"] is True and deleted["deleted_at"]


def _amqp_sockets(pid: int) -> int:
    """How many TCP connections of process `pid` go to port 5672."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[2].rsplit(":", 1)[1] == f"{5672:04X}" and fields[9] in inodes:
                count += 1
    return count


@needs_rabbit
def test_off_by_default_nothing_connects(tmp_path: Path) -> None:
    cloud = start_cloud(tmp_path)
    try:
        _connect(cloud).network.create_network(name="quiet")
        assert _amqp_sockets(cloud.process.pid) == 0
        assert "notifications to" not in (tmp_path / "server.log").read_text()
    finally:
        stop_cloud(cloud)
    (tmp_path / "on").mkdir()
    on = start_cloud(tmp_path / "on", extra_args=["--notifications", AMQP_URL])   # the same probe sees one when on
    try:
        _connect(on).network.create_network(name="loud")
        deadline = time.time() + 10
        while time.time() < deadline and not _amqp_sockets(on.process.pid):
            time.sleep(0.1)
        assert _amqp_sockets(on.process.pid) >= 1
    finally:
        stop_cloud(on)
        _cleanup_default_queues()


def test_broker_down_fails_no_request(tmp_path: Path) -> None:
    dead = f"amqp://guest:guest@127.0.0.1:{free_port()}//"          # nothing listens there
    cloud = start_cloud(tmp_path, extra_args=["--notifications", dead])
    try:
        demo = _connect(cloud)
        started = time.monotonic()
        for i in range(5):
            net = demo.network.create_network(name=f"down-{i}")
            demo.network.delete_network(net)
        image = demo.image.create_image(name="down", disk_format="raw", container_format="bare", data=b"x")
        assert demo.image.get_image(image.id).status == "active"
        assert time.monotonic() - started < 20
        r = httpx.get(cloud.url + "/healthcheck")
        assert r.status_code == 200
    finally:
        stop_cloud(cloud)
    log = (tmp_path / "server.log").read_text()
    assert log.count("notifications: cannot send") == 1        # said once, not per notification


def test_bad_notifications_url_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "pocketstack", "serve", "--data-dir", str(tmp_path / "d"),
                           "--port", str(free_port()), "--notifications", "smtp://nowhere"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "notifications" in proc.stderr

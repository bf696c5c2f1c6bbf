"""Notifications as OpenStack services send them: oslo.messaging's notifier, messaging v2 driver.

Off unless `--notifications URL` (or `notifications: {url: ...}` in the config file) names a sink:
- `amqp://user:password@host:port/vhost`: RabbitMQ, as oslo.messaging's rabbit driver publishes a
  notification: a topic exchange named after the service's control_exchange (`nova`, `glance`,
  `cinder`, `neutron`, `keystone`, `heat`, `ironic`; not durable, not auto-deleted), routing key
  `<topic>.<priority>` (`notifications.info`, `notifications.error`, Nova's versioned ones on
  `versioned_notifications.info`), and the queue named after the routing key declared and bound
  once per connection (oslo's _publish_and_creates_default_queue, so nothing is lost before a
  consumer binds its own queue).
- `file:///path`: one envelope (JSON) per line, appended.

Each message is the messaging v2 envelope `{"oslo.version": "2.0", "oslo.message": "<JSON>"}`
whose message holds message_id, publisher_id, event_type, priority, payload, timestamp, the
`_context_*` keys of the caller's context (oslo.context's to_dict, the token redacted as
oslo.messaging does) and `_unique_id` (amqpdriver._send).

`notify()` never blocks and never raises: it puts the message on a bounded in-process queue that
one sender thread drains. When the broker is down the sender logs once, keeps the message and
retries with backoff (0.5 s doubling to 30 s); while it waits, new messages fill the queue, and
once it is full further ones are dropped and counted (logged once per outage, with the count when
the broker is back).
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pocketstack.core.clock import utcnow
from pocketstack.core.context import Context

LOG = logging.getLogger("pocketstack.notifications")
QUEUE_SIZE = 10_000
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0


@dataclass(frozen=True)
class Publisher:
    """How one service's notifier is set up upstream."""
    exchange: str              # its control_exchange
    publisher: str             # publisher_id; {host} and {kind} (the event type's first word) filled in
    context: bool = True       # False where the service notifies with an empty context ({}: glance, keystone)


# catalog service type -> upstream notifier (publisher ids as in each service's notifier set-up)
PUBLISHERS: dict[str, Publisher] = {
    "compute": Publisher("nova", "compute.{host}"),                      # nova.rpc.get_notifier('compute')
    "compute-versioned": Publisher("nova", "nova-compute:{host}"),      # nova.rpc.get_versioned_notifier
    "image": Publisher("glance", "image.localhost", context=False),     # glance default_publisher_id
    "block-storage": Publisher("cinder", "{kind}.{host}"),              # volume.<host>, snapshot.<host>
    "network": Publisher("neutron", "network.{host}"),
    "identity": Publisher("keystone", "identity.{host}", context=False),
    "orchestration": Publisher("heat", "orchestration.{host}"),
    "baremetal": Publisher("ironic", "ironic-conductor.{host}"),
}


# --- the message -----------------------------------------------------------

def context_dict(ctx: Context | dict[str, Any] | None) -> dict[str, Any]:
    """oslo.context's RequestContext.to_dict() of a redacted copy (no token), plus nova's names."""
    if ctx is None:
        return {}
    if isinstance(ctx, dict):       # from a job: service_auth.caller()
        ctx = Context(request_id=ctx.get("request_id") or "", user_id=ctx.get("user_id"),
                      project_id=ctx.get("project_id"), roles=list(ctx.get("roles") or []),
                      global_request_id=ctx.get("global_request_id"), domain_id=ctx.get("domain_id"),
                      user_domain_id=ctx.get("user_domain_id"), project_domain_id=ctx.get("project_domain_id"))
    identity = " ".join(x or "-" for x in (ctx.user_id, ctx.project_id, ctx.domain_id, ctx.user_domain_id,
                                           ctx.project_domain_id))
    return {
        "user": ctx.user_id, "user_id": ctx.user_id, "project_id": ctx.project_id, "project": ctx.project_id,
        "system_scope": ctx.system_scope, "domain": ctx.domain_id, "user_domain": ctx.user_domain_id,
        "project_domain": ctx.project_domain_id, "is_admin": ctx.is_admin, "read_only": False,
        "show_deleted": False, "auth_token": None, "request_id": ctx.request_id or None,
        "global_request_id": ctx.global_request_id, "resource_uuid": None, "roles": list(ctx.roles),
        "user_identity": identity, "is_admin_project": ctx.is_admin_project, "user_name": ctx.user_name,
        "project_name": ctx.project_name, "read_deleted": "no", "remote_address": None,
        "timestamp": utcnow().isoformat(), "quota_class": None,
    }


def envelope(ctx: Context | dict[str, Any] | None, publisher: Publisher, event_type: str,
             payload: Any, priority: str, host: str | None = None) -> dict[str, str]:
    message: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "publisher_id": publisher.publisher.format(host=host or HOST, kind=event_type.split(".", 1)[0]),
        "event_type": event_type, "priority": priority.upper(), "payload": payload,
        "timestamp": str(utcnow()),          # quirk: str(datetime), "2026-12-07 14:47:13.123456"
        "_unique_id": uuid.uuid4().hex,
    }
    if publisher.context:
        message.update((f"_context_{k}", v) for k, v in context_dict(ctx).items())
    return {"oslo.version": "2.0", "oslo.message": json.dumps(message, default=str)}


# --- sinks -----------------------------------------------------------------

class FileSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: Any = None

    def send(self, exchange: str, routing_key: str, body: dict[str, str]) -> None:
        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.path, "a", encoding="utf-8")   # noqa: SIM115 - kept open by the sender
        self.file.write(json.dumps(body) + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class AmqpSink:
    """kombu, publishing as oslo.messaging's rabbit driver does (impl_rabbit.notify_send)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None
        self.producer: Any = None
        self.declared: set[tuple[str, str]] = set()

    def connect(self) -> None:
        import kombu
        self.close()
        conn = kombu.Connection(self.url, connect_timeout=3, transport_options={"max_retries": 0})
        conn.ensure_connection(max_retries=1)
        self.conn, self.producer, self.declared = conn, conn.Producer(), set()

    def send(self, exchange_name: str, routing_key: str, body: dict[str, str]) -> None:
        import kombu
        if self.conn is None:
            self.connect()
        exchange = kombu.Exchange(exchange_name, type="topic", durable=False, auto_delete=False)
        if (exchange_name, routing_key) not in self.declared:
            bound = exchange(self.conn.default_channel)
            bound.declare()
            kombu.Queue(routing_key, exchange, routing_key=routing_key, durable=False,
                        auto_delete=False)(self.conn.default_channel).declare()
            self.declared.add((exchange_name, routing_key))
        self.producer.publish(body, exchange=exchange, routing_key=routing_key, serializer="json",
                              retry=False)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.release()
            except Exception:  # noqa: BLE001 - a dead connection has nothing left to close cleanly
                pass
        self.conn = self.producer = None


def sink_for(url: str) -> FileSink | AmqpSink:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileSink(Path(unquote(parts.path)))
    if parts.scheme in ("amqp", "amqps", "rabbit", "pyamqp"):
        return AmqpSink("amqp" + url[len(parts.scheme):] if parts.scheme == "rabbit" else url)
    raise ValueError(f"notifications: unsupported URL {url!r} (amqp://... or file:///...)")


# --- the sender --------------------------------------------------------------

class Sender:
    """The bounded queue and the thread that drains it into a sink."""

    def __init__(self, sink: FileSink | AmqpSink, size: int = QUEUE_SIZE) -> None:
        self.sink = sink
        self.queue: queue.Queue[tuple[str, str, dict[str, str]] | None] = queue.Queue(size)
        self.dropped = 0
        self.sent = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pocketstack-notifications", daemon=True)
        self.thread.start()

    def put(self, item: tuple[str, str, dict[str, str]]) -> None:
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            if not self.dropped:
                LOG.warning("notifications: the queue is full (%d); dropping new notifications", QUEUE_SIZE)
            self.dropped += 1

    def _run(self) -> None:
        backoff, failing = BACKOFF_FIRST, False
        while True:
            item = self.queue.get()
            if item is None:
                break
            while not self._stop.is_set():
                try:
                    self.sink.send(*item)
                except Exception as err:  # noqa: BLE001 - the broker or the disk: wait and retry
                    if not failing:
                        LOG.warning("notifications: cannot send (%s); retrying with backoff", err)
                        failing = True
                    self.sink.close()
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)
                    continue
                if failing:
                    LOG.warning("notifications: sending again (%d dropped meanwhile)", self.dropped)
                    failing, backoff = False, BACKOFF_FIRST
                self.sent += 1
                break
            self.queue.task_done()
        self.sink.close()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued notification went out (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.queue.unfinished_tasks

    def close(self, timeout: float = 2.0) -> None:
        self.flush(timeout)
        self._stop.set()
        try:
            self.queue.put_nowait(None)
        except queue.Full:
            pass
        self.thread.join(timeout)


HOST = socket.gethostname()
_sender: Sender | None = None
_opt_out: frozenset[str] = frozenset()
_lock = threading.Lock()


def configure(url: str | None, *, host: str | None = None, opt_out: list[str] | None = None) -> None:
    """Start sending to `url` (None: off). Each process (worker) configures its own sender."""
    global _sender, _opt_out, HOST
    with _lock:
        if _sender is not None:
            _sender.close()
            _sender = None
        HOST = host or socket.gethostname()
        _opt_out = frozenset(opt_out or ())
        if url:
            _sender = Sender(sink_for(url))
            LOG.info("notifications to %s", _redact(url))


def shutdown() -> None:
    configure(None)


def enabled() -> bool:
    return _sender is not None


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def notify(ctx: Context | dict[str, Any] | None, service: str, event_type: str, payload: Any,
           priority: str = "INFO", *, topic: str = "notifications", host: str | None = None) -> None:
    """Send one notification of `service` (a catalog type, or "compute-versioned" for Nova's versioned
    ones on topic versioned_notifications) from `host` (default: this machine's name, or
    `notifications: {host: ...}`). Call it once the change is committed; it never raises."""
    sender = _sender
    if sender is None or event_type in _opt_out:
        return
    try:
        publisher = PUBLISHERS[service]
        body = envelope(ctx, publisher, event_type, payload, priority, host)
        sender.put((publisher.exchange, f"{topic}.{priority.lower()}", body))
    except Exception:  # noqa: BLE001 - a notification never fails the request that caused it
        LOG.exception("notifications: could not build %s", event_type)


def flush(timeout: float = 5.0) -> bool:
    sender = _sender
    return sender.flush(timeout) if sender else True

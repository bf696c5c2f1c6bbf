"""A small QMP client (QEMU Machine Protocol, docs/interop/qmp-spec): one short-lived connection per call
to a guest's unix socket, so nothing is held open that a restart of pocketstack would lose."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any


class QmpError(Exception):
    """QEMU answered an error, or the monitor could not be reached."""


class Qmp:
    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path, self.timeout = path, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Qmp:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except OSError as err:
            sock.close()
            raise QmpError(f"no QMP monitor at {self.path}: {err}") from None
        self.sock = sock
        self._read()                                    # the greeting
        self.execute("qmp_capabilities")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _read(self) -> dict[str, Any]:
        assert self.sock is not None
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except OSError as err:
                raise QmpError(f"QMP read failed: {err}") from None
            if not chunk:
                raise QmpError("QMP connection closed")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return dict(json.loads(line))

    def execute(self, command: str, **arguments: Any) -> Any:
        """Run a command and return its `return`; events that arrive meanwhile are kept in `events`."""
        assert self.sock is not None
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        try:
            self.sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as err:
            raise QmpError(f"QMP write failed: {err}") from None
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise QmpError(f"{command}: {reply['error'].get('desc', reply['error'])}")
            elif "return" in reply:
                return reply["return"]

    def wait_event(self, name: str, timeout: float, **match: Any) -> dict[str, Any] | None:
        """The first event `name` whose data has the given values, waited for up to `timeout` seconds."""
        assert self.sock is not None
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["event"] == name and all(event.get("data", {}).get(k) == v for k, v in match.items()):
                    self.events.remove(event)
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                reply = self._read()
            except (QmpError, TimeoutError):
                return None
            finally:
                if self.sock is not None:
                    self.sock.settimeout(self.timeout)
            if "event" in reply:
                self.events.append(reply)


def call(path: Path, command: str, timeout: float = 10.0, **arguments: Any) -> Any:
    with Qmp(path, timeout) as q:
        return q.execute(command, **arguments)

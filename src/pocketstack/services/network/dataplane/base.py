"""The network dataplane seam: what the Networking API asks of whatever moves packets, and `none`, the
default, which moves none (IPAM, bindings and security groups are real state; ports go ACTIVE when bound,
as they always have here, and the agent list says that no agent runs)."""

from __future__ import annotations

from typing import Any, Protocol


class Dataplane(Protocol):
    name: str
    wires_ports: bool          # True: a bound port stays DOWN until the dataplane has wired it

    def start(self) -> None: ...
    def changed(self) -> None: ...
    def agent_state(self, agent_type: str) -> tuple[bool, float | None]: ...


class NoDataplane:
    name = "none"
    wires_ports = False

    def __init__(self, settings: Any = None) -> None:
        pass

    def start(self) -> None:
        pass

    def changed(self) -> None:
        pass

    def agent_state(self, agent_type: str) -> tuple[bool, float | None]:
        return False, None

"""Cinder feature probes with real throwaway resources (1 GiB volume, snapshot, clone, backup), always removed."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pocketstack.conformance.checks import ServiceState, feature_row, missing_rows
from pocketstack.conformance.cloud import HTTP_ERRORS, CloudView
from pocketstack.conformance.guard import shielded
from pocketstack.conformance.profile import FeatureGroup
from pocketstack.conformance.report import Report, Result, Status

PREFIX = "pocketstack-conformance-"
KINDS = {"volume": "volumes", "snapshot": "snapshots", "backup": "backups"}
ORDER = ("backup", "snapshot", "volume")   # deletion order: dependents first
ERROR_STATES = {"error", "error_deleting", "error_restoring", "error_extending", "error_managing"}
NOT_PROBED = {
    "consistency_group": "consistency groups are deprecated in favour of generic groups; not probed",
    "extend_attached_volume": "needs a volume attached to a running server; not probed",
    "extend_attached_encrypted_volume": "needs an encrypted volume attached to a running server; not probed",
}


class ProbeError(Exception):
    """A probe step failed; the message says which call and what the cloud answered."""


@dataclass
class Outcome:
    status: Status
    found: str
    detail: str = ""


@dataclass
class CinderProbe:
    cv: CloudView
    state: ServiceState
    timeout: float = 60.0
    poll: float = 0.5
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    created: list[tuple[str, str]] = field(default_factory=list)  # (kind, id), creation order

    # --- HTTP -------------------------------------------------------------------
    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             microversion: str | None = None) -> tuple[int, Any]:
        assert self.state.endpoint is not None
        api = self.cv.adapter(self.state.endpoint, self.state.major)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        if microversion:
            kwargs["microversion"] = microversion
        try:
            resp = api.request(path, method, **kwargs)
        except HTTP_ERRORS as exc:
            raise ProbeError(f"{method} {path}: {exc}") from exc
        try:
            return resp.status_code, resp.json() if resp.content else None
        except ValueError:
            return resp.status_code, resp.text[:300]

    def name(self, what: str) -> str:
        return f"{PREFIX}{self.run_id}-{what}"

    def create(self, kind: str, spec: dict[str, Any], microversion: str | None = None) -> dict[str, Any]:
        status, body = self.call("POST", f"/{KINDS[kind]}", {kind: spec}, microversion)
        if status not in (200, 202) or not isinstance(body, dict) or kind not in body:
            raise ProbeError(f"POST /{KINDS[kind]} answered HTTP {status}: {str(body)[:300]}")
        obj: dict[str, Any] = body[kind]
        self.created.append((kind, str(obj["id"])))
        return obj

    def show(self, kind: str, obj_id: str) -> tuple[int, dict[str, Any]]:
        status, body = self.call("GET", f"/{KINDS[kind]}/{obj_id}")
        return status, (body or {}).get(kind, {}) if isinstance(body, dict) else {}

    def wait(self, kind: str, obj_id: str, want: str = "available") -> dict[str, Any]:
        deadline, current = time.monotonic() + self.timeout, "?"
        while time.monotonic() < deadline:
            status, obj = self.show(kind, obj_id)
            current = str(obj.get("status", f"HTTP {status}"))
            if current == want:
                return obj
            if current in ERROR_STATES or status == 404:
                raise ProbeError(f"{kind} {obj_id} went to {current}")
            time.sleep(self.poll)
        raise ProbeError(f"{kind} {obj_id} still {current} after {self.timeout:.0f}s")

    def delete(self, kind: str, obj_id: str) -> bool:
        """Delete and wait until gone; retries while the object is busy. True when it is gone."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            status, _ = self.call("DELETE", f"/{KINDS[kind]}/{obj_id}")
            if status == 404:
                return True
            if status in (202, 204):
                while time.monotonic() < deadline:
                    gone, obj = self.show(kind, obj_id)
                    if gone == 404:
                        return True
                    if obj.get("status") in ERROR_STATES:
                        break  # error_deleting: ask again
                    time.sleep(self.poll)
            time.sleep(self.poll)  # 400/409: busy (creating, backing-up, has snapshots): retry
        return False

    # --- sweep and cleanup ----------------------------------------------------------
    def leftovers(self) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        for kind in ORDER:
            status, body = self.call("GET", f"/{KINDS[kind]}/detail")
            if status != 200 or not isinstance(body, dict):
                continue
            found += [(kind, str(o["id"]), str(o.get("name") or "")) for o in body.get(KINDS[kind], [])
                      if str(o.get("name") or "").startswith(PREFIX)]
        return found

    def sweep(self) -> Result:
        """Remove what an earlier, killed run left behind (anything named with PREFIX in this project)."""
        with shielded():
            old = self.leftovers()
            stuck = [f"{kind} {oid}" for kind, oid, _ in old if not self.delete(kind, oid)]
        return Result("cleanup", "sweep leftovers", f"no {PREFIX}* resources", f"{len(old)} removed",
                      Status.FAIL if stuck else Status.PASS, False, "",
                      f"could not delete: {', '.join(stuck)}" if stuck else "")

    def cleanup(self) -> Result:
        """Delete what this run made: its ledger, plus anything named for this run that an interrupted
        request created without the ledger hearing of it."""
        with shielded():
            stuck = []
            try:
                mine = [(kind, oid) for kind, oid, name in self.leftovers() if name.startswith(self.name(""))]
            except ProbeError:
                mine = []
            self.created += [item for item in mine if item not in self.created]
            for kind, oid in sorted(reversed(self.created), key=lambda item: ORDER.index(item[0])):
                try:
                    gone = self.delete(kind, oid)
                except ProbeError as exc:
                    gone, oid = False, f"{oid} ({exc})"
                if not gone:
                    stuck.append(f"{kind} {oid}")
            count = len(self.created)
            self.created.clear()
        return Result("cleanup", "remove test resources", "all deleted", f"{count - len(stuck)} of {count} deleted",
                      Status.FAIL if stuck else Status.PASS, False, "",
                      f"left behind (the next run sweeps them): {', '.join(stuck)}" if stuck else "")

    # --- probes --------------------------------------------------------------------
    def probe_all(self) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        try:
            base = self.create("volume", {"size": 1, "name": self.name("base"),
                                          "description": "pocketstack conformance probe; safe to delete"})
            base = self.wait("volume", str(base["id"]))
        except ProbeError as exc:
            fail = Outcome(Status.FAIL, "no test volume", f"could not create a 1 GiB volume: {exc}")
            return {n: fail for n in ("snapshot", "volume_revert", "clone", "backup", "manage_volume",
                                      "manage_snapshot")}
        vid = str(base["id"])
        snap_id = self._step(out, "snapshot", lambda: self._snapshot(vid))
        if snap_id:
            self._step(out, "volume_revert", lambda: self._revert(vid, snap_id))
        else:
            out["volume_revert"] = Outcome(Status.FAIL, "no snapshot", "needs a snapshot to revert to")
        self._step(out, "clone", lambda: self._clone(vid))
        self._step(out, "backup", lambda: self._backup(vid))
        host = base.get("os-vol-host-attr:host")
        for feature, kind in (("manage_volume", "volumes"), ("manage_snapshot", "snapshots")):
            self._step(out, feature, lambda kind=kind: self._manageable(kind, host))
        return out

    def _step(self, out: dict[str, Outcome], feature: str, fn: Any) -> Any:
        try:
            value = fn()
        except ProbeError as exc:
            out[feature] = Outcome(Status.FAIL, "failed", str(exc))
            return None
        if isinstance(value, Outcome):
            out[feature] = value
            return None
        out[feature] = Outcome(Status.PASS, "works")
        return value

    def _snapshot(self, vid: str) -> str:
        snap = self.create("snapshot", {"volume_id": vid, "name": self.name("snap")})
        self.wait("snapshot", str(snap["id"]))
        return str(snap["id"])

    def _revert(self, vid: str, snap_id: str) -> None:
        status, body = self.call("POST", f"/volumes/{vid}/action", {"revert": {"snapshot_id": snap_id}}, "3.40")
        if status != 202:
            raise ProbeError(f"revert (microversion 3.40) answered HTTP {status}: {str(body)[:300]}")
        self.wait("volume", vid)

    def _clone(self, vid: str) -> None:
        clone = self.create("volume", {"size": 1, "source_volid": vid, "name": self.name("clone")})
        self.wait("volume", str(clone["id"]))

    def _backup(self, vid: str) -> None:
        backup = self.create("backup", {"volume_id": vid, "name": self.name("backup")})
        self.wait("backup", str(backup["id"]))
        self.wait("volume", vid)  # back from backing-up before the next step

    def _manageable(self, kind: str, host: Any) -> Outcome | None:
        if not host:
            return Outcome(Status.SKIP, "not probed", "the volume's host is hidden from this user (needs admin)")
        status, body = self.call("GET", f"/manageable_{kind}?host={host}", microversion="3.8")
        if status == 403:
            return Outcome(Status.SKIP, "HTTP 403", "listing manageable resources needs admin")
        if status != 200:
            raise ProbeError(f"GET /manageable_{kind}?host={host} (3.8) answered HTTP {status}: {str(body)[:300]}")
        return Outcome(Status.PASS, "manageable listing works",
                       f"GET /manageable_{kind} on {host} works; no unmanage/manage round trip (backend-specific "
                       "references, and a failed manage would orphan the volume)")

    def multi_backend(self) -> Outcome:
        status, body = self.call("GET", "/scheduler-stats/get_pools?detail=true")
        if status == 403:
            return Outcome(Status.SKIP, "HTTP 403", "listing pools needs admin")
        if status != 200 or not isinstance(body, dict):
            return Outcome(Status.FAIL, f"HTTP {status}", "GET /scheduler-stats/get_pools")
        backends = {str((p.get("capabilities") or {}).get("volume_backend_name") or p.get("name", "").split("#")[0])
                    for p in body.get("pools", []) if isinstance(p, dict)}
        return Outcome(Status.PASS if len(backends) > 1 else Status.FAIL, f"{len(backends)} backend(s)")


def probe_cinder(cv: CloudView, report: Report, group: FeatureGroup, state: ServiceState,
                 timeout: float = 60.0) -> None:
    if not state.usable:
        missing_rows(report, group, state, "works through the API")
        return
    probe = CinderProbe(cv, state, timeout=timeout)
    outcomes: dict[str, Outcome] = {}
    try:
        report.add(probe.sweep())
        wanted = {n for n, _ in group.items()}
        if wanted & {"snapshot", "volume_revert", "clone", "backup", "manage_volume", "manage_snapshot"}:
            outcomes = probe.probe_all()
        if "multi_backend" in wanted:
            outcomes["multi_backend"] = probe.multi_backend()
    except ProbeError as exc:
        outcomes.setdefault("_error", Outcome(Status.FAIL, "failed", str(exc)))
    finally:
        report.add(probe.cleanup())
    for name, mandatory in group.items():
        if name in NOT_PROBED or not (name in outcomes or "_error" in outcomes):
            o = Outcome(Status.SKIP, "not probed", NOT_PROBED.get(name, group.reason or "no probe for this feature"))
        else:
            o = outcomes.get(name) or outcomes["_error"]
        report.add(feature_row(group, name, mandatory, "works through the API", o.found, o.status, o.detail))

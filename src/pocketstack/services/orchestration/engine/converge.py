"""One pass of a stack operation: converge the stack's resources to its template (create, update,
rollback, delete), or walk them (suspend, resume, check).

A pass loads the stack and its resource rows, starts every resource whose dependencies are done,
checks the ones in progress, and writes what changed; it returns how soon to be called again. Every
decision is made from the rows, so a pass after a restart carries on where the last one stopped.
Resources of one operation carry the stack's `traversal` number once they are done with it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pocketstack.services.orchestration.engine import dependencies, environment, functions as fn
from pocketstack.services.orchestration.engine import store
from pocketstack.services.orchestration.engine.properties import (
    ValidationError, translate_aliases, validate_properties)
from pocketstack.services.orchestration.engine.resource import Resource, UpdateReplace
from pocketstack.services.orchestration.engine.scope import StackScope
from pocketstack.services.orchestration.engine.template import ResourceDef, Template, sorted_by_dependencies

LOG = logging.getLogger("pocketstack.orchestration")
BUDGET = 4.0          # seconds of work per pass; the job lease is 60 s
BATCH = 250           # resources started per write batch
POLL = 0.2
CONVERGE = ("CREATE", "UPDATE", "ROLLBACK", "DELETE", "ADOPT", "RESTORE")
SERVICE_METADATA = ("deployments", "os-collect-config")   # resource metadata Heat itself maintains


def reason_of(exc: BaseException, name: str) -> str:
    kind = getattr(exc, "type_name", None) or ("StackValidationFailed" if isinstance(exc, ValidationError)
                                               else type(exc).__name__)
    return f"{kind}: resources.{name}: {exc}"


class NotSupported(Exception):
    """heat's NotSupported: "<feature> is not supported." """

    type_name = "NotSupported"


class Failed(Exception):
    """A resource step failed; the stack operation fails with this reason."""


class Pass:
    def __init__(self, ops: Any, row: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        self.ops, self.row, self.T, self.action = ops, row, row["traversal"], row["action"]
        self.tmpl = Template(row["template"], row["files"])
        self.env = row["environment"] or environment.empty()
        params = ops.parameters(self.tmpl, self.env)
        self.scope = StackScope(row, self.tmpl, params, ops.clients_for(row), ops.plugin_class_for, ops)
        self.scope.conditions = fn.evaluate_conditions(self.tmpl.conditions, self.tmpl.version, self.scope)
        target = self.action != "DELETE" and not (self.action == "ROLLBACK" and (row["op"] or {}).get(
            "rollback_of") == "CREATE")
        defs = self.tmpl.resource_defs() if target else {}
        self.defs: dict[str, ResourceDef] = {n: d for n, d in defs.items() if self._enabled(d)}
        self.scope.defs = self.defs
        self.rows = rows
        for r in rows:
            if r["replaced_by"] is None and (r["name"] in self.defs or r["name"] not in self.scope.rows):
                self.scope.rows[r["name"]] = r
        self.deps = dependencies.graph(self.defs, self.tmpl.version)
        self.order = sorted_by_dependencies(self.deps)
        self.w = store.Writes(row["id"])
        self.path = list((row["op"] or {}).get("path") or [])

    def _enabled(self, d: ResourceDef) -> bool:
        if d.condition is None:
            return True
        if isinstance(d.condition, bool):
            return d.condition
        if isinstance(d.condition, str) and d.condition in self.scope.conditions:
            return self.scope.conditions[d.condition]
        return bool(fn.resolve(d.condition, self.tmpl.version, self.scope))

    # --- state of one resource -------------------------------------------------------------
    def current(self, name: str) -> dict[str, Any] | None:
        row = self.scope.rows.get(name)
        return row if row is not None and row["replaced_by"] is None else None

    def done(self, name: str) -> bool:
        row = self.current(name)
        return row is not None and row["traversal"] == self.T and row["status"] == "COMPLETE"

    def busy(self, row: dict[str, Any]) -> bool:
        return row["traversal"] == self.T and row["status"] == "IN_PROGRESS"

    def cleanup_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if not r.get("_gone") and (
            r["replaced_by"] is not None or r["name"] not in self.defs or self.scope.rows.get(r["name"]) is not r)]

    # --- the pass ---------------------------------------------------------------------------
    def run(self) -> float | None:
        deadline = time.monotonic() + BUDGET
        try:
            while time.monotonic() < deadline:
                progress = self.check_busy()
                progress |= self.start_ready() if self.action in CONVERGE else self.walk()
                self.w.flush()
                if self.finished():
                    return self.ops.complete(self.row)
                if not progress:
                    return POLL
            return 0
        except Failed as exc:
            self.w.flush()
            return self.ops.fail(self.row, str(exc))

    def finished(self) -> bool:
        if self.action not in CONVERGE:
            return all(r["traversal"] == self.T and r["status"] == "COMPLETE" for r in self.scope.rows.values()
                       if r["action"] != "INIT")
        return all(self.done(n) for n in self.defs) and not self.cleanup_rows()

    def check_busy(self) -> bool:
        progress = False
        for row in [r for r in self.rows if self.busy(r) and not r.get("_gone")]:
            inst = self.scope.instance(row["name"], row)
            assert inst is not None
            check = getattr(inst, f"check_{row['action'].lower()}_complete", None)
            try:
                complete = check() if check is not None else True
            except Exception as exc:  # noqa: BLE001 - any plugin failure fails the resource
                self.failed(row, inst, exc)
            self.keep(row, inst)
            if complete:
                self.completed(row)
                progress = True
        return progress

    def keep(self, row: dict[str, Any], inst: Resource) -> None:
        self.w.update(row, physical_resource_id=inst.resource_id, data=inst.data, rsrc_metadata=inst.metadata)
        self.scope.forget(row["name"])

    def completed(self, row: dict[str, Any]) -> None:
        if row["action"] == "DELETE":
            self.w.event(row, "DELETE", "COMPLETE", "state changed")
            self.w.delete(row)
            row["_gone"] = True
            return
        self.w.update(row, status="COMPLETE", status_reason="state changed")
        self.w.event(row, row["action"], "COMPLETE", "state changed")

    def failed(self, row: dict[str, Any], inst: Resource | None, exc: BaseException) -> None:
        if not isinstance(exc, (ValidationError, fn.TemplateError)) and getattr(exc, "type_name", None) is None:
            LOG.warning("resource %s of stack %s failed", row["name"], self.row["id"], exc_info=exc)
        reason = reason_of(exc, row["name"])
        if inst is not None:
            self.keep(row, inst)
        self.w.update(row, status="FAILED", status_reason=reason, traversal=self.T)
        self.w.event(row, row["action"], "FAILED", reason)
        raise Failed(f"Resource {row['action']} failed: {reason}")

    # --- converge -------------------------------------------------------------------------
    def ready(self) -> list[str]:
        out = []
        for name in self.order:
            row = self.current(name)
            if self.done(name) or (row is not None and (self.busy(row) or (
                    row["traversal"] == self.T and row["status"] == "FAILED"))):
                continue
            if all(self.done(d) for d in self.deps[name]) and not self.hooked(name, row):
                out.append(name)
            if len(out) >= BATCH:
                break
        return out

    def start_ready(self) -> bool:
        names = self.ready()
        plans = [self.plan(n) for n in names]
        self.w.flush()
        for plan in plans:
            plan()
        progress = bool(names)
        if all(self.done(n) for n in self.defs):
            progress |= self.start_cleanup()
        return progress

    def hooked(self, name: str, row: dict[str, Any] | None) -> bool:
        hook = "pre-create" if row is None or row["action"] == "INIT" else "pre-update"
        if hook not in environment.hooks_for(self.env, [*self.path, name]):
            return False
        mark = f"{self.T}:{hook}"
        if row is None:
            row = self.insert(name, self.defs[name].type)
        data = row.get("data") or {}
        if mark in data.get("cleared", []):
            return False
        if data.get("paused") != mark:
            action = "CREATE" if hook == "pre-create" else "UPDATE"
            reason = f"{action} paused until Hook {hook} is cleared"
            self.w.update(row, data={**data, "paused": mark}, status_reason=reason)
            self.w.event(row, row["action"], row["status"], reason)
        return True

    def insert(self, name: str, rtype: str, replaces: dict[str, Any] | None = None) -> dict[str, Any]:
        row = store.new_resource_row(self.row["id"], name, rtype, self.T)
        row["replaces"] = replaces["id"] if replaces else None
        self.w.insert(row)
        self.w.flush()
        if replaces is not None:
            self.w.update(replaces, replaced_by=row["id"])
        self.rows.append(row)
        self.scope.rows[name] = row
        self.scope.forget(name)
        return row

    def plan(self, name: str) -> Any:
        """Resolve, decide (create, update in place, replace, nothing), mark; returns the step to run."""
        d, row = self.defs[name], self.current(name)
        path = ["resources", name, "properties"]
        impl = environment.resolve_type(self.env, name, d.type)
        try:
            cls = self.ops.plugin_class(impl, self.scope.files)
            schema = cls.schema_for(self.scope, impl) if hasattr(cls, "schema_for") else cls.properties_schema
            raw = translate_aliases(getattr(cls, "aliases", {}), self.scope.resolve(d.properties, path))
            props = validate_properties(schema, raw, path, self.ops.custom(self.scope))
            metadata = self.scope.resolve(d.metadata, ["resources", name, "metadata"]) or {}
            kept = (row or {}).get("rsrc_metadata") or {}     # what software deployments wrote
            metadata = {**{k: kept[k] for k in SERVICE_METADATA if k in kept}, **metadata}
        except Exception as exc:  # noqa: BLE001 - a bad definition fails this resource
            target = row if row is not None else self.insert(name, d.type)
            self.w.update(target, action="CREATE" if target["action"] == "INIT" else "UPDATE")
            self.failed(target, None, exc)
        definition = {"impl": impl, "frozen": d.frozen(), "deletion_policy": d.deletion_policy}
        common = {"properties_data": props, "rsrc_metadata": metadata, "definition": definition,
                  "requires": sorted(self.deps[name]), "type": d.type}
        if row is None or row["action"] == "INIT" or (row["status"] != "COMPLETE" and row["action"] == "CREATE"
                                                     and row["physical_resource_id"] is None):
            row = row if row is not None else self.insert(name, d.type)
            return self.mark_create(row, common, d)
        old_ext = ((row.get("definition") or {}).get("frozen") or {}).get("external_id")
        if old_ext != d.external_id:
            self.w.update(row, action="UPDATE")
            self.failed(row, None, NotSupported(f"Update to property external_id of {name} ({d.type}) is not "
                                                "supported."))
        if d.external_id is not None:
            self.w.update(row, traversal=self.T, definition=definition, requires=common["requires"])
            return lambda: None
        if row["status"] != "COMPLETE" or (row.get("definition") or {}).get("impl") != impl:
            return self.mark_create(self.insert(name, d.type, replaces=row), common, d)
        old = row.get("properties_data") or {}
        diff = {k: v for k, v in props.items() if old.get(k) != v}
        if not diff and metadata == (row.get("rsrc_metadata") or {}) and \
                (row.get("definition") or {}).get("frozen") == d.frozen():
            self.w.update(row, traversal=self.T, definition=definition, requires=common["requires"])
            return lambda: None
        replace = any(not schema[k].update_allowed or k in cls.replace_on_change for k in diff if k in schema)
        if replace:
            return self.mark_create(self.insert(name, d.type, replaces=row), common, d)
        self.w.update(row, action="UPDATE", status="IN_PROGRESS", status_reason="state changed", traversal=self.T,
                      **common)
        self.w.event(row, "UPDATE", "IN_PROGRESS", "state changed")
        return lambda: self.run_update(row, diff, common, d)

    def mark_create(self, row: dict[str, Any], common: dict[str, Any], d: ResourceDef) -> Any:
        self.w.update(row, action="CREATE", status="IN_PROGRESS", status_reason="state changed", traversal=self.T,
                      **common)
        self.w.event(row, "CREATE", "IN_PROGRESS", "state changed")
        return lambda: self.run_create(row, d)

    def run_create(self, row: dict[str, Any], d: ResourceDef) -> None:
        inst = self.scope.instance(row["name"], row)
        assert inst is not None
        try:
            if d.external_id is not None:
                inst.resource_id_set(self.scope.resolve(d.external_id, ["resources", row["name"], "external_id"]))
                inst.data["external"] = True
                inst.handle_check()
                complete = True
            else:
                inst.validate()
                self.prepare_replaced(row)
                inst.handle_create()
                complete = inst.check_create_complete()
        except Exception as exc:  # noqa: BLE001
            self.failed(row, inst, exc)
        self.keep(row, inst)
        if complete:
            self.completed(row)

    def prepare_replaced(self, row: dict[str, Any]) -> None:
        """The row this one replaces gets to free what its replacement needs (a port's addresses)."""
        old = next((r for r in self.rows if r.get("id") is not None and r["id"] == row.get("replaces")), None)
        if old is None or old.get("physical_resource_id") is None:
            return
        inst = self.scope.instance(old["name"], old)
        if inst is not None and hasattr(inst, "prepare_for_replace"):
            inst.prepare_for_replace()

    def run_update(self, row: dict[str, Any], diff: dict[str, Any], common: dict[str, Any], d: ResourceDef) -> None:
        inst = self.scope.instance(row["name"], row)
        assert inst is not None
        try:
            inst.validate()
            inst.handle_update(diff)
            complete = inst.check_update_complete()
        except UpdateReplace:
            self.w.update(row, action="UPDATE", status="COMPLETE", status_reason="replaced")
            self.mark_create(self.insert(row["name"], d.type, replaces=row), common, d)()
            return
        except Exception as exc:  # noqa: BLE001
            self.failed(row, inst, exc)
        self.keep(row, inst)
        if complete:
            self.completed(row)

    def start_cleanup(self) -> bool:
        """Delete what the template no longer has and what was replaced, dependents first."""
        pending = self.cleanup_rows()
        progress = False
        for row in pending:
            if self.busy(row) or any(row["name"] in (o.get("requires") or []) for o in pending
                                     if o is not row and not o.get("_gone")):
                continue
            self.delete_row(row)
            progress = True
        return progress

    def delete_row(self, row: dict[str, Any]) -> None:
        if row["action"] == "INIT" or (row["physical_resource_id"] is None and row["action"] == "CREATE"
                                       and row["status"] != "IN_PROGRESS" and not row.get("nested_stack_id")):
            self.w.delete(row)
            row["_gone"] = True
            return
        self.w.update(row, action="DELETE", status="IN_PROGRESS", status_reason="state changed", traversal=self.T)
        self.w.event(row, "DELETE", "IN_PROGRESS", "state changed")
        self.w.flush()
        inst = self.scope.instance(row["name"], row)
        assert inst is not None
        policy = (row.get("definition") or {}).get("deletion_policy") or "Delete"
        try:
            if policy == "Retain" or inst.data.get("external"):
                complete = True
            elif policy == "Snapshot" and hasattr(inst, "handle_snapshot_delete"):
                inst.handle_snapshot_delete()
                complete = inst.check_delete_complete()
            else:
                inst.handle_delete()
                complete = inst.check_delete_complete()
        except Exception as exc:  # noqa: BLE001
            self.failed(row, inst, exc)
        self.keep(row, inst)
        if complete:
            self.completed(row)

    # --- suspend, resume, check --------------------------------------------------------------
    def walk(self) -> bool:
        rows = [self.scope.rows[n] for n in self.order if n in self.scope.rows] + \
               [r for n, r in self.scope.rows.items() if n not in self.order]
        if self.action == "SUSPEND":
            rows.reverse()
        for row in rows:
            if row["action"] == "INIT" or row["traversal"] == self.T:
                if self.busy(row):
                    return False
                continue
            self.w.update(row, action=self.action, status="IN_PROGRESS", status_reason="state changed",
                          traversal=self.T)
            self.w.event(row, self.action, "IN_PROGRESS", "state changed")
            inst = self.scope.instance(row["name"], row)
            assert inst is not None
            check = getattr(inst, f"check_{self.action.lower()}_complete", None)
            try:
                getattr(inst, f"handle_{self.action.lower()}")()
                complete = check() if check is not None else True
            except Exception as exc:  # noqa: BLE001
                self.failed(row, inst, exc)
            self.keep(row, inst)
            if complete:
                self.completed(row)
            return True
        return False

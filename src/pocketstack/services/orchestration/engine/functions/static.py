"""Checks without resolving: argument shapes, references and version support (validate), and dependencies."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pocketstack.services.orchestration.engine.functions.base import OMIT, Call, is_seq
from pocketstack.services.orchestration.engine.functions.errors import (
    PathItem, TemplateError, bad_reference, from_exception, missing_parameter)
from pocketstack.services.orchestration.engine.functions.logic import if_parts
from pocketstack.services.orchestration.engine.functions.refs import attr_args
from pocketstack.services.orchestration.engine.functions.versions import KINDS, TemplateVersion

PSEUDO_PARAMETERS = {"hot": frozenset({"OS::stack_id", "OS::stack_name", "OS::project_id"}),
                     "cfn": frozenset({"AWS::StackId", "AWS::StackName", "AWS::Region"})}
_ATTR_KINDS = ("get_attr_then_select", "get_attr", "get_attr_all", "Fn::GetAtt")
_SECTION_NAMES = {"properties": "Properties", "metadata": "Metadata", "Properties": "Properties",
                  "Metadata": "Metadata"}


class _Table:
    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = table

    def is_fn(self, node: Any) -> bool:
        return isinstance(node, Mapping) and len(node) == 1 and next(iter(node)) in self.table

    def call(self, node: Mapping[str, Any], path: list[PathItem]) -> Call:
        name, args = next(iter(node.items()))
        return Call(name, self.table[name], args, (*path, name))


def ref_key(path: list[PathItem]) -> str:
    """Where Heat says a bad reference is: "<resource>.Properties.a[0].b" inside resources, else "unknown"."""
    if len(path) < 3 or path[0] not in ("resources", "Resources") or path[2] not in _SECTION_NAMES:
        return "unknown"
    key = f"{path[1]}.{_SECTION_NAMES[str(path[2])]}"
    for item in path[3:]:
        key += f"[{item}]" if isinstance(item, int) else f".{item}"
    return key


def _guard(call: Call, check: Any, shapes: _Table) -> None:
    if check is None:
        return
    try:
        check(call, shapes)
    except TemplateError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise from_exception(exc, call.path) from exc


class _Validator:
    def __init__(self, version: TemplateVersion, resources: Collection[str] | None,
                 parameters: Collection[str] | None, conditions: Collection[str] | Mapping[str, bool] | None) -> None:
        self.plain = _Table(version.kinds)
        self.cond = _Table(version.condition_kinds)
        self.resources = resources
        self.parameters = None if parameters is None else {*parameters, *PSEUDO_PARAMETERS[version.type]}
        self.conditions = conditions

    def walk(self, node: Any, path: list[PathItem], in_condition: bool = False) -> None:
        table = self.cond if in_condition else self.plain
        if table.is_fn(node):
            self._call(table.call(node, path), path, table, in_condition)
        elif isinstance(node, Mapping):
            for k, v in node.items():
                self.walk(v, [*path, k], in_condition)
        elif is_seq(node):
            for i, v in enumerate(node):
                self.walk(v, [*path, i], in_condition)

    def _call(self, call: Call, outer: list[PathItem], table: _Table, in_condition: bool) -> None:
        kind = KINDS[call.kind]
        if kind.macro:
            _guard(call, kind.check, table)
            self._if(call)
            return
        self.walk(call.args, list(call.path), in_condition)  # Heat parses arguments before the function
        _guard(call, kind.check, table)
        _guard(call, kind.validate, table)
        self._references(call, outer)

    def _if(self, call: Call) -> None:
        condition, when_true, when_false = if_parts(call)
        self.walk(condition, list(call.path), in_condition=True)
        branches = [when_true, when_false]
        if isinstance(condition, bool) or condition is None:
            branches = [when_true if condition in (True, None) else when_false]
        elif self.conditions is not None and not self.cond.is_fn(condition):
            if not isinstance(condition, str) or condition not in self.conditions:
                raise TemplateError(f'Invalid condition "{condition}"', call.path)
            if isinstance(self.conditions, Mapping):
                branches = [when_true if self.conditions[condition] else when_false]
        for i, branch in enumerate(branches):
            if branch is not OMIT:
                self.walk(branch, list(call.path), in_condition=False)

    def _references(self, call: Call, outer: list[PathItem]) -> None:
        name = _literal_resource(call)
        if call.kind in ("get_resource", *_ATTR_KINDS):
            if name is not None and self.resources is not None and name not in self.resources:
                raise bad_reference(name, ref_key(outer), call.path)
        elif call.kind == "get_param" and self.parameters is not None:
            param = call.args[0] if is_seq(call.args) and call.args else call.args
            if isinstance(param, str) and param not in self.parameters:
                raise missing_parameter(param, call.path)
        elif call.kind in ("Ref", "param_ref") and isinstance(call.args, str):
            known = set(self.parameters or ()) | (set(self.resources or ()) if call.kind == "Ref" else set())
            if self.parameters is not None and call.args not in known:
                raise bad_reference(call.args, "unknown", call.path)


def _literal_resource(call: Call) -> str | None:
    if call.kind in ("get_resource", "Ref"):
        return call.args if isinstance(call.args, str) else None
    if call.kind in _ATTR_KINDS:
        name = attr_args(call)[0]
        return name if isinstance(name, str) else None
    return None


def validate(snippet: Any, version: TemplateVersion, path: list[PathItem], *, resources: Collection[str],
             parameters: Collection[str], conditions: Collection[str] | Mapping[str, bool]) -> None:
    """Static check of a snippet: argument shapes, removed functions, references, condition names.

    Pass conditions as a name -> bool mapping to check only the `if` branches Heat would take.
    """
    _Validator(version, resources, parameters, conditions).walk(snippet, list(path))


def check_conditions(conditions: Any, version: TemplateVersion) -> Mapping[str, Any]:
    """Parse-time checks of a `conditions` section; returns the definitions."""
    if not isinstance(conditions, Mapping):
        # quirk: an empty `conditions:` section (None) is rejected too, as in Heat.
        raise TemplateError("Conditions validation error: Condition definitions must be a map. "
                            f"Found a {type(conditions).__name__} instead")
    validator = _Validator(version, None, None, conditions)
    for name, definition in conditions.items():
        validator.walk(definition, ["conditions", name], in_condition=True)
    for name, definition in conditions.items():
        if not isinstance(definition, bool) and not validator.cond.is_fn(definition):
            raise TemplateError(f'Condition validation error: The definition of condition "{name}" is invalid: '
                                f"{definition}")
    return conditions


def dependencies(snippet: Any, version: TemplateVersion, *, resources: Collection[str] | None = None) -> set[str]:
    """Resource names referred to by get_resource/get_attr/Ref/Fn::GetAtt, both `if` branches included.

    Names given through functions (get_attr: [{get_param: x}, ...]) are not known statically and are left out.
    cfn Ref names may be parameters: pass `resources` to keep only resource names.
    """
    found: set[str] = set()
    _collect(snippet, _Table(version.kinds), found)
    if resources is not None:
        found &= set(resources)
    return found


def _collect(node: Any, table: _Table, found: set[str]) -> None:
    if table.is_fn(node):
        call = table.call(node, [])
        args = call.args
        if KINDS[call.kind].macro:
            try:
                args = [a for a in if_parts(call)[1:] if a is not OMIT]
            except ValueError:
                return
        try:
            name = _literal_resource(call)
        except (TypeError, ValueError):
            name = None
        if name is not None:
            found.add(name)
        _collect(args, table, found)
    elif isinstance(node, Mapping):
        for v in node.values():
            _collect(v, table, found)
    elif is_seq(node):
        for v in node:
            _collect(v, table, found)

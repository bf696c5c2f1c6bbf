"""Resolving snippets: the Scope protocol, the Evaluator, and evaluation of conditions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pocketstack.services.orchestration.engine.functions.base import OMIT, Call, is_seq
from pocketstack.services.orchestration.engine.functions.errors import PathItem, TemplateError, from_exception
from pocketstack.services.orchestration.engine.functions.logic import invalid_condition
from pocketstack.services.orchestration.engine.functions.static import check_conditions
from pocketstack.services.orchestration.engine.functions.versions import KINDS, TemplateVersion


class Scope(Protocol):
    """What functions see of the stack while resolving (the engine implements it).

    get_param: a parameter's value (pseudo parameters included); KeyError if there is none.
    get_resource: the reference id of an enabled resource; KeyError if there is none.
    get_attr: attribute None means all attributes as a dict; the scope applies `path` itself (resources
        may interpret it; `select_attribute` is the default walk). KeyError if there is no such resource;
        None while the resource has no value yet.
    get_file: KeyError if the file was not passed. condition: KeyError if no such condition.
    resource_facade: "metadata" | "deletion_policy" | "update_policy" of the parent resource.
    Optionally get_mapping(name) for cfn Fn::FindInMap (KeyError if absent).
    """

    def get_param(self, name: str) -> Any: ...
    def get_resource(self, name: str) -> Any: ...
    def get_attr(self, resource: str, attribute: str | None, path: list[Any]) -> Any: ...
    def get_file(self, key: str) -> str: ...
    def condition(self, name: str) -> bool: ...
    def resource_facade(self, kind: str) -> Any: ...


class Evaluator:
    """Evaluates snippets of one template version against a scope."""

    def __init__(self, version: TemplateVersion, scope: Scope, *, in_condition: bool = False,
                 lookup: Callable[[str], bool] | None = None) -> None:
        self.version = version
        self.scope = scope
        self._table = version.condition_kinds if in_condition else version.kinds
        self._lookup = lookup or scope.condition

    def is_fn(self, node: Any) -> bool:
        return isinstance(node, Mapping) and len(node) == 1 and next(iter(node)) in self._table

    def resolve(self, node: Any, path: Any, nullable: bool = False) -> Any:
        """Heat's function.resolve; OMIT (an empty 2-argument `if`) is dropped from containers."""
        path = list(path)
        if self.is_fn(node):
            value = self._call(node, path)
            return None if value is OMIT and not nullable else value
        if isinstance(node, Mapping):
            items = ((k, self.resolve(v, [*path, k], True)) for k, v in node.items())
            return {k: v for k, v in items if v is not OMIT}
        if is_seq(node):
            values = (self.resolve(v, [*path, i], True) for i, v in enumerate(node))
            return [v for v in values if v is not OMIT]
        return node

    def _call(self, node: Mapping[str, Any], path: list[PathItem]) -> Any:
        name, args = next(iter(node.items()))
        kind_name = self._table[name]
        kind = KINDS[kind_name]
        call = Call(name, kind_name, args, (*path, name))
        try:
            if kind.check is not None:
                kind.check(call, self)
            return kind.result(call, self)
        except TemplateError:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise from_exception(exc, call.path) from exc

    def resolve_condition_node(self, node: Any, path: Any) -> Any:
        """Resolve with the condition-function set, as Heat parses an `if` condition."""
        return Evaluator(self.version, self.scope, in_condition=True, lookup=self._lookup).resolve(node, path)

    def condition_value(self, value: Any) -> bool:
        """Heat's Conditions.is_enabled on a resolved condition: bool, None (true) or a name."""
        if isinstance(value, bool):
            return value
        if value is None:
            return True
        if isinstance(value, str):
            try:
                return bool(self._lookup(value))
            except KeyError:
                pass
        raise invalid_condition(value)


def resolve(snippet: Any, version: TemplateVersion, scope: Scope, path: list[PathItem] | None = None) -> Any:
    """Evaluate every function in snippet, returning plain data."""
    return Evaluator(version, scope).resolve(snippet, path or [])


def resolve_condition(snippet: Any, version: TemplateVersion, scope: Scope,
                      path: list[PathItem] | None = None) -> bool:
    """A resource's or output's `condition`: a name, a boolean, or a condition function."""
    path = path or []
    ev = Evaluator(version, scope, in_condition=True)
    try:
        return ev.condition_value(ev.resolve(snippet, path))
    except ValueError as exc:
        raise from_exception(exc, path) from exc


class _Conditions:
    """Lazily evaluated `conditions` section with Heat's cycle detection."""

    _BUSY = object()

    def __init__(self, definitions: Mapping[str, Any], version: TemplateVersion, scope: Scope) -> None:
        self._definitions = definitions
        self._done: dict[str, Any] = {}
        self._ev = Evaluator(version, scope, in_condition=True, lookup=self.value)

    def check_type(self, name: str, definition: Any) -> None:
        if not isinstance(definition, bool):
            raise TemplateError(f'Condition validation error: The definition of condition "{name}" is invalid: '
                                f"{definition}")

    def value(self, name: str) -> bool:
        if name not in self._definitions:
            raise KeyError(name)
        if name not in self._done:
            self._done[name] = self._BUSY
            definition = self._definitions[name]
            if not self._ev.is_fn(definition):
                self.check_type(name, definition)
            resolved = self._ev.resolve(definition, ["conditions", name])
            self.check_type(name, resolved)
            self._done[name] = resolved
        if self._done[name] is self._BUSY:
            raise TemplateError(f'Condition validation error: Circular definition for condition "{name}"')
        return bool(self._done[name])


def evaluate_conditions(conditions: Any, version: TemplateVersion, scope: Scope) -> dict[str, bool]:
    """The `conditions` section evaluated: every name -> bool."""
    definitions = check_conditions(conditions, version)
    table = _Conditions(definitions, version, scope)
    return {name: table.value(name) for name in definitions}

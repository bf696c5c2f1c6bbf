"""Building blocks for function handlers: a call site, a handler spec, and argument-shape helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pocketstack.services.orchestration.engine.functions.errors import PathItem


class _Omit:
    """Heat's Ellipsis: what a 2-argument `if` yields when its condition is false."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()


class Shapes(Protocol):
    """What a handler's argument checks need: whether a node is a function call here."""

    def is_fn(self, node: Any) -> bool: ...


@dataclass(frozen=True)
class Call:
    """One occurrence of a function in a template: {name: args} at path (path ends with name)."""

    name: str
    kind: str
    args: Any
    path: tuple[PathItem, ...]

    def at(self, *keys: PathItem) -> list[PathItem]:
        return [*self.path, *keys]


Check = Callable[[Call, Shapes], None]


@dataclass(frozen=True)
class Kind:
    """How one function implementation behaves.

    check: argument-shape errors Heat raises while parsing (nested calls are opaque there).
    validate: errors Heat raises only from Function.validate() (stack validate time).
    result: evaluation; receives the Evaluator.
    """

    doc: str
    result: Callable[[Call, Any], Any]
    check: Check | None = None
    validate: Check | None = None
    macro: bool = False


def is_seq(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def is_map(value: Any, shapes: Shapes) -> bool:
    """A mapping that is data, not a (parsed) function call."""
    return isinstance(value, Mapping) and not shapes.is_fn(value)


def dumps(value: Any) -> str:
    """oslo jsonutils.dumps(value, default=None, sort_keys=True) as Heat calls it."""
    return json.dumps(value, sort_keys=True)


def incorrect(fn_name: str, example: str) -> str:
    return f'Incorrect arguments to "{fn_name}" should be: {example}'

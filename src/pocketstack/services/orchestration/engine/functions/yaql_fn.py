"""The yaql function: evaluate a YAQL expression over template data (Heat's limits apply)."""

from __future__ import annotations

import collections.abc  # noqa: F401  (yaql 3.x uses collections.abc without importing it)
import functools
from typing import Any

from pocketstack.services.orchestration.engine.functions.base import Call, Kind, Shapes, is_map
from pocketstack.services.orchestration.engine.functions.errors import TemplateError

# Heat's [yaql] defaults: limit_iterators=200, memory_quota=10000.
_OPTIONS = {"yaql.limitIterators": 200, "yaql.memoryQuota": 10000}


@functools.cache
def _engine() -> tuple[Any, Any]:
    import yaql  # imported lazily: it takes a noticeable fraction of a second

    return yaql.YaqlFactory().create(_OPTIONS), yaql.create_context()


def _check(call: Call, shapes: Shapes) -> None:
    if not is_map(call.args, shapes):
        raise TypeError(f'Arguments to "{call.name}" must be a map.')
    if "expression" not in call.args or set(call.args) - {"expression", "data"}:
        example = (f"{call.name}:\n              expression: $.data.var1.sum()\n"
                   "              data:\n                var1: [3, 2, 1]")
        raise KeyError(f'"{call.name}" syntax should be {example}')


def _parse(call: Call, expression: Any) -> Any:
    from yaql.language import exceptions

    if not isinstance(expression, str):
        raise TypeError(f'The "expression" argument to {call.name} must contain a string.')
    parser, _ = _engine()
    try:
        return parser(expression)
    except exceptions.YaqlException as exc:
        raise ValueError(f"Bad expression {exc}.") from None


def _validate(call: Call, shapes: Shapes) -> None:
    if not shapes.is_fn(call.args["expression"]):
        _parse(call, call.args["expression"])


def yaql_(call: Call, ev: Any) -> Any:
    from yaql.language import exceptions

    statement = _parse(call, ev.resolve(call.args["expression"], call.at("expression")))
    data = ev.resolve(call.args.get("data", {}), call.at("data"))
    _, context = _engine()
    try:
        return statement.evaluate({"data": data}, context.create_child_context())
    except exceptions.YaqlException as exc:
        raise TemplateError(str(exc), call.path, error_type=type(exc).__name__) from None


KINDS: dict[str, Kind] = {
    "yaql": Kind("A function for executing a yaql expression.", yaql_, check=_check, validate=_validate),
}

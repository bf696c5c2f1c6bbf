"""Condition functions: if, equals, not, and, or (HOT and cfn spellings)."""

from __future__ import annotations

from typing import Any

from pocketstack.services.orchestration.engine.functions.base import OMIT, Call, Kind, Shapes, is_seq

_IF_DOC = "A function to return corresponding value based on condition evaluation."


def if_parts(call: Call) -> tuple[Any, Any, Any]:
    """(condition, value_if_true, value_if_false); value_if_false is OMIT for a 2-item nullable if."""
    msg = (f'Arguments to "{call.name}" must be of the form: '
           "[condition_name, value_if_true, value_if_false]")
    args = call.args
    if not args or not is_seq(args):
        raise ValueError(msg)
    if call.kind == "if_nullable" and len(args) == 2:
        return args[0], args[1], OMIT
    if len(args) != 3:
        raise ValueError(msg)
    return args[0], args[1], args[2]


def if_(call: Call, ev: Any) -> Any:
    condition, when_true, when_false = if_parts(call)
    # Heat parses the condition with the condition-function set, at the `if` itself.
    chosen = when_true if ev.condition_value(ev.resolve_condition_node(condition, call.path)) else when_false
    return chosen if chosen is OMIT else ev.resolve(chosen, call.path, nullable=True)


def _check_if(call: Call, shapes: Shapes) -> None:
    if_parts(call)


def _check_equals(call: Call, shapes: Shapes) -> None:
    if not call.args or not isinstance(call.args, list) or len(call.args) != 2:
        raise ValueError(f'Arguments to "{call.name}" must be of the form: [value_1, value_2]')


def equals(call: Call, ev: Any) -> Any:
    return ev.resolve(call.args[0], call.at(0)) == ev.resolve(call.args[1], call.at(1))


def _not_arg(call: Call) -> Any:
    if call.kind == "Fn::Not":
        if not call.args or not is_seq(call.args) or len(call.args) != 1:
            raise ValueError(f'Arguments to "{call.name}" must be of the form: [condition]')
        return call.args[0]
    if call.args is None:
        raise ValueError(f'Argument to "{call.name}" must be a condition')
    return call.args


def _check_not(call: Call, shapes: Shapes) -> None:
    _not_arg(call)


def not_(call: Call, ev: Any) -> Any:
    path = call.at(0) if call.kind == "Fn::Not" else call.path
    return not ev.condition_value(ev.resolve(_not_arg(call), path))


def _check_bool_op(call: Call, shapes: Shapes) -> None:
    if not is_seq(call.args):
        raise ValueError(f'Arguments to "{call.name}" must be a list of conditions')
    if len(call.args) < 2:
        raise ValueError(f'The minimum number of condition arguments to "{call.name}" is 2.')


def and_(call: Call, ev: Any) -> Any:
    return all(ev.condition_value(c) for c in ev.resolve(call.args, call.path))


def or_(call: Call, ev: Any) -> Any:
    return any(ev.condition_value(c) for c in ev.resolve(call.args, call.path))


_EQUALS_DOC = "A function for comparing whether two values are equal."
_NOT_DOC = "A function that acts as a NOT operator on a condition."
_AND_DOC = "A function that acts as an AND operator on conditions."
_OR_DOC = "A function that acts as an OR operator on conditions."

KINDS: dict[str, Kind] = {
    "if": Kind(_IF_DOC, if_, check=_check_if, macro=True),
    "if_nullable": Kind(_IF_DOC, if_, check=_check_if, macro=True),
    "Fn::If": Kind(_IF_DOC, if_, check=_check_if, macro=True),
    "equals": Kind(_EQUALS_DOC, equals, check=_check_equals),
    "not": Kind(_NOT_DOC, not_, check=_check_not),
    "Fn::Not": Kind(_NOT_DOC, not_, check=_check_not),
    "and": Kind(_AND_DOC, and_, check=_check_bool_op),
    "or": Kind(_OR_DOC, or_, check=_check_bool_op),
}


def invalid_condition(name: Any) -> ValueError:
    return ValueError(f'Invalid condition "{name}"')

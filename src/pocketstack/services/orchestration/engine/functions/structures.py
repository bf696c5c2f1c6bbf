"""Functions over lists and maps: map_merge, map_replace, list_concat, filter, contains, repeat, cfn selects."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pocketstack.services.orchestration.engine.functions.base import (
    Call, Kind, Shapes, incorrect, is_map, is_seq)


def map_merge(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    if not isinstance(args, Sequence):
        raise TypeError(incorrect(call.name, f'"{call.name}" : [ {{ "key1": "val1" }}, {{ "key2": "val2" }} ]'))
    merged: dict[Any, Any] = {}
    for item in args:
        if item is None:
            continue
        if not isinstance(item, Mapping):
            raise TypeError("Incorrect arguments: Items to merge must be maps. "
                            f"{repr(item)[:200]} is type {type(item)} instead of a dict")
        merged.update(item)
    return merged


def map_replace(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    example = (f'"{call.name}" : [ {{ "key1": "val1" }}, '
               '{"keys": {"key1": "key2"}, "values": {"val1": "val2"}}]')

    def as_map(m: Any) -> Mapping[Any, Any]:
        if m is None:
            return {}
        if isinstance(m, Mapping):
            return m
        raise TypeError(f'Incorrect arguments: to "{call.name}", arguments must be a list of maps. '
                        f"Example:  {example}")
    try:
        source, replacements = as_map(args.pop(0)), as_map(args.pop(0))
        if args != []:
            raise IndexError
    except (IndexError, AttributeError):
        raise TypeError(incorrect(call.name, example)) from None
    if any(k not in ("keys", "values") for k in replacements):
        raise ValueError(incorrect(call.name, example))
    keys, values = as_map(replacements.get("keys", {})), as_map(replacements.get("values", {}))
    out: dict[Any, Any] = {}
    for k, v in source.items():
        key = keys.get(k)
        if key is None:
            key = k
        elif key in source and key != k:
            raise ValueError(f"key replacement {key} collides with a key in the input map")
        elif key in out:
            raise ValueError(f"key replacement {key} collides with a key in the output map")
        try:
            out[key] = values.get(v, v)
        except TypeError:  # unhashable values are never replaced
            out[key] = v
    return out


def list_concat(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    if not is_seq(args):
        raise TypeError(incorrect(call.name, f'"{call.name}" : [ [ <value 1>, <value 2> ], '
                                             '[ <value 3>, <value 4> ] ]'))
    out: list[Any] = []
    for item in args:
        if item is None:
            continue
        if not is_seq(item):
            raise TypeError("Incorrect arguments: Items to concat must be lists. "
                            f"{dumps_plain(args)} contains an item that is not a list: {dumps_plain(item)}")
        out.extend(item)
    if call.kind != "list_concat_unique":
        return out
    unique: list[Any] = []
    for item in out:
        if item not in unique:
            unique.append(item)
    return unique


def dumps_plain(value: Any) -> str:
    return json.dumps(value, default=str)


def _check_filter(call: Call, shapes: Shapes) -> None:
    if not is_seq(call.args):
        raise TypeError(f'Argument to "{call.name}" must be a list')
    if len(call.args) != 2:
        raise ValueError(f'"{call.name}" expected 2 arguments of the form [values, sequence] but got '
                         f"{len(call.args)} arguments instead")


def filter_(call: Call, ev: Any) -> Any:
    sequence = ev.resolve(call.args[1], call.at(1))
    if not sequence:
        return sequence
    if not isinstance(sequence, list):
        raise TypeError(f'"{call.name}" only works with lists')
    values = ev.resolve(call.args[0], call.at(0))
    if not values:
        return sequence
    if not isinstance(values, list):
        # quirk: Heat formats '"%(fn)s" filters a list of values' with a plain string, which fails.
        raise TypeError("format requires a mapping")
    return [i for i in sequence if i not in values]


def _check_contains(call: Call, shapes: Shapes) -> None:
    if not call.args or not isinstance(call.args, list):
        raise TypeError(incorrect(call.name, f'"{call.name}" : [ "value1", [ "value1", "value2"]]'))
    if len(call.args) != 2:
        raise ValueError(f'Arguments to "{call.name}" must be of the form: [value1, [value1, value2]]')


def contains(call: Call, ev: Any) -> Any:
    value = ev.resolve(call.args[0], call.at(0))
    sequence = ev.resolve(call.args[1], call.at(1))
    if not isinstance(sequence, Sequence):
        raise TypeError(f'Second argument to "{call.name}" should be a sequence.')
    return value in sequence


def _check_repeat(call: Call, shapes: Shapes) -> None:
    if not is_map(call.args, shapes):
        raise TypeError(f'Arguments to "{call.name}" must be a map')
    if "for_each" not in call.args or "template" not in call.args:
        example = ("repeat:\n              template: This is %var%\n              for_each:\n"
                   "                %var%: ['a', 'b', 'c']")
        raise KeyError(f'"repeat" syntax should be {example}')
    if call.kind == "repeat_nested" and not isinstance(call.args.get("permutations", True), bool):
        raise TypeError(f'"permutations" should be boolean type for {call.name} function.')


def _validate_repeat(call: Call, shapes: Shapes) -> None:
    if not shapes.is_fn(call.args["for_each"]) and not is_map(call.args["for_each"], shapes):
        raise TypeError(f'The "for_each" argument to "{call.name}" must contain a map')


def _repeat_values(call: Call, value: Any, nested: bool) -> None:
    maps_ok = call.kind == "repeat_map" or (call.kind == "repeat_nested" and nested)
    if maps_ok and isinstance(value, Mapping):
        return
    if not is_seq(value):
        kinds = "lists or maps" if maps_ok else "lists"
        raise TypeError(f'The values of the "for_each" argument to "{call.name}" must be {kinds}')


def _substitute(keys: Sequence[str], values: Sequence[Any], template: Any) -> Any:
    if isinstance(template, str):
        for key, value in zip(keys, values):
            template = template.replace(key, value)
        return template
    if isinstance(template, Sequence):
        return [_substitute(keys, values, item) for item in template]
    if isinstance(template, Mapping):
        return {_substitute(keys, values, k): _substitute(keys, values, v) for k, v in template.items()}
    return template


def repeat(call: Call, ev: Any) -> Any:
    nested = call.args.get("permutations", True) if call.kind == "repeat_nested" else True
    for_each = ev.resolve(call.args["for_each"], call.at("for_each"))
    if not isinstance(for_each, Mapping):
        raise TypeError(f'The "for_each" argument to "{call.name}" must contain a map')
    keys, lists = zip(*for_each.items())
    values, lengths = [], []
    for value in lists:
        if value is None:
            values.append([])
            continue
        _repeat_values(call, value, nested)
        values.append(value)
        lengths.append(len(value))
    if not nested and len(set(lengths)) > 1:
        raise ValueError(f"For {call.name}, the length of for_each values should be equal if no nested loop.")
    template = ev.resolve(call.args["template"], call.at("template"))
    combos: Iterable[Any] = itertools.product(*values) if nested else zip(*values)
    return [_substitute(keys, combo, template) for combo in combos]


def _check_select(call: Call, shapes: Shapes) -> None:
    try:
        _, _ = call.args
    except ValueError:
        raise ValueError(f'Arguments to "{call.name}" must be of the form [index, collection]') from None


def select(call: Call, ev: Any) -> Any:
    index = ev.resolve(call.args[0], call.at(0))
    strings = ev.resolve(call.args[1], call.at(1))
    if strings == "":
        return ""  # other functions answer '' while a value is not available yet
    if isinstance(strings, str):
        try:
            strings = json.loads(strings)
        except ValueError as exc:
            raise ValueError(f'"{call.name}": {exc}') from None
    if isinstance(strings, Mapping):
        if not isinstance(index, str):
            raise TypeError(f'Index to "{call.name}" must be a string')
        return strings.get(index, "")
    try:
        index = int(index)
    except (ValueError, TypeError):
        pass
    if is_seq(strings):
        if not isinstance(index, int):
            raise TypeError(f'Index to "{call.name}" must be an integer')
        try:
            return strings[index]
        except IndexError:
            return ""
    if strings is None:
        return ""
    raise TypeError(f"Arguments to {call.name} not fully resolved")


_MEMBER_EXAMPLE = """
            {'Fn::MemberListToMap': ['Name', 'Value',
                                     ['.member.0.Name=key',
                                      '.member.0.Value=door']]}
            """


def _check_member_list(call: Call, shapes: Shapes) -> None:
    try:
        key_name, value_name, _ = call.args
    except ValueError:
        raise TypeError(f'Wrong Arguments try: "{_MEMBER_EXAMPLE}"') from None
    if not isinstance(key_name, str):
        raise TypeError(f"{call.name} Key Name must be a string")
    if not isinstance(value_name, str):
        raise TypeError(f"{call.name} Value Name must be a string")


def member_list_to_map(call: Call, ev: Any) -> Any:
    key_name, value_name, members = call.args
    members = ev.resolve(members, call.at(2))
    if not isinstance(members, Iterable):
        raise TypeError("Member list must be a list")

    def item(s: Any) -> list[str]:
        if not isinstance(s, str):
            raise TypeError("Member list items must be strings")
        return s.split("=", 1)
    partials = dict(item(s) for s in members)
    groups: dict[int, dict[str, Any]] = {}
    for name, value in partials.items():
        match = re.match(r"\.member\.([0-9]+)\.(.*)", name)
        if match:
            groups.setdefault(int(match.group(1)), {})[match.group(2)] = value
    members_in_order = [groups[i] for i in sorted(groups)]
    return {m[key_name]: m[value_name] for m in members_in_order if key_name in m and value_name in m}


KINDS: dict[str, Kind] = {
    "map_merge": Kind("A function for merging maps.", map_merge),
    "map_replace": Kind("A function for performing substitutions on maps.", map_replace),
    "list_concat": Kind("A function for extending lists.", list_concat),
    "list_concat_unique": Kind("A function for extending lists with unique items.", list_concat),
    "filter": Kind("A function for filtering out values from lists.", filter_, check=_check_filter),
    "contains": Kind("A function for checking whether specific value is in sequence.", contains,
                     check=_check_contains),
    "repeat": Kind("A function for iterating over a list of items.", repeat, check=_check_repeat,
                   validate=_validate_repeat),
    "repeat_map": Kind("A function for iterating over a list of items or a dict of keys.", repeat,
                       check=_check_repeat, validate=_validate_repeat),
    "repeat_nested": Kind("A function for iterating over a list of items or a dict of keys.", repeat,
                          check=_check_repeat, validate=_validate_repeat),
    "Fn::Select": Kind("A function for selecting an item from a list or map.", select, check=_check_select),
    "Fn::MemberListToMap": Kind("A function to convert lists with enumerated keys and values to mapping.",
                                member_list_to_map, check=_check_member_list),
}

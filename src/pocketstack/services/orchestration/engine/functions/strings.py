"""String functions: str_replace family, list_join, str_split, digest and their cfn cousins."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from pocketstack.services.orchestration.engine.functions.base import (
    Call, Kind, Shapes, dumps, incorrect, is_map, is_seq)

_REPLACE_DOC = "A function for performing string substitutions."
_JSON_KINDS = ("str_replace_json", "str_replace_strict", "str_replace_vstrict")


def _replace_parts(call: Call, shapes: Shapes) -> tuple[Any, Any]:
    """(params, template) of a str_replace / Fn::Replace call, with Heat's shape errors."""
    args = call.args
    if call.kind == "Fn::Replace":
        example = ('{"%s": [ {"$var1": "foo", "%%var2%%": "bar"}, "$var1 is %%var2%%"]}' % call.name)
        if isinstance(args, str) or is_map(args, shapes):
            raise TypeError(incorrect(call.name, example))
        try:
            mapping, string = args
        except ValueError:
            raise ValueError(incorrect(call.name, example)) from None
    else:
        if not is_map(args, shapes):
            raise TypeError(f'Arguments to "{call.name}" must be a map')
        try:
            mapping, string = args["params"], args["template"]
        except (KeyError, TypeError):
            example = (f"{call.name}:\n              template: This is var1 template var2\n"
                       "              params:\n                var1: a\n                var2: string")
            raise KeyError(f'"{call.name}" syntax should be {example}') from None
    if not (isinstance(mapping, Mapping)):
        raise TypeError(f'"{call.name}" parameters must be a mapping')
    return mapping, string


def _check_replace(call: Call, shapes: Shapes) -> None:
    _replace_parts(call, shapes)


def _plain_value(call: Call, value: Any, param: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int, float, bool)):
        raise TypeError(f'"{call.name}" params must be strings or numbers, param {param} is not valid')
    return str(value)


def _json_value(call: Call, value: Any, param: Any) -> str:
    allow_empty = call.kind != "str_replace_vstrict"
    empty = ValueError(f"{call.name} has an undefined or empty value for param {param}, "
                       "must be a defined non-empty value")
    if value is None:
        if allow_empty:
            return ""
        raise empty
    if not isinstance(value, (str, int, float, bool)):
        if not isinstance(value, (Mapping, Sequence)):
            raise TypeError(f'"{call.name}" params must be strings, numbers, list or map.')
        if not allow_empty and len(value) == 0:
            raise empty
        try:
            return dumps(value)
        except TypeError:
            raise TypeError(f'"{call.name}" params must be strings, numbers, list or map. '
                            f"Failed to json serialize {value}") from None
    text = str(value)
    if not allow_empty and not text:
        raise empty
    return text


def _by_length(keys: Any) -> list[Any]:
    # Longest placeholders first; ties in lexical order (two sorts, as Heat does, so errors match too).
    return sorted(sorted(keys), key=len, reverse=True)


def str_replace(call: Call, ev: Any) -> Any:
    mapping, string = _replace_parts(call, ev)
    template = ev.resolve(string, call.path)
    mapping = ev.resolve(mapping, call.path)
    strict = call.kind in ("str_replace_strict", "str_replace_vstrict")
    if not isinstance(template, str):
        raise TypeError(f'"{call.name}" template must be a string')
    if not isinstance(mapping, Mapping):
        raise TypeError(f'"{call.name}" params must be a map')
    convert = _json_value if call.kind in _JSON_KINDS else _plain_value
    unreplaced = set(mapping)

    def replace(strings: list[str], keys: list[Any]) -> list[str]:
        if not keys:
            return strings
        placeholder = keys[0]
        if not isinstance(placeholder, str):
            raise TypeError(f'"{call.name}" param placeholders must be strings')
        value = convert(call, mapping[placeholder], placeholder)
        out = []
        for s in strings:
            pieces = s.split(placeholder)
            if len(pieces) > 1:
                unreplaced.discard(placeholder)
            out.append(value.join(replace(pieces, keys[1:])))
        return out

    result = replace([template], _by_length(mapping))[0]
    if strict and unreplaced:
        raise ValueError("The following params were not found in the template: "
                         + ",".join(_by_length(unreplaced)))
    return result


def _join_example(call: Call) -> str:
    if call.kind == "list_join_multi":
        return f'"{call.name}" : [ " ", [ "str1", "str2"] ...]'
    return f'"{call.name}" : [ " ", [ "str1", "str2"]]'


def _check_join(call: Call, shapes: Shapes) -> None:
    if not isinstance(call.args, list):
        raise TypeError(incorrect(call.name, _join_example(call)))
    if (len(call.args) != 2) if call.kind != "list_join_multi" else (len(call.args) < 2):
        raise ValueError(incorrect(call.name, _join_example(call)))


def _delimiter(call: Call, ev: Any) -> str:
    delim = ev.resolve(call.args[0], call.at(0))
    if not isinstance(delim, str):
        raise TypeError(f'"{call.name}" delimiter must be a string')
    return delim


def list_join(call: Call, ev: Any) -> Any:
    _check_join(call, ev)
    strings = ev.resolve(call.args[1], call.at(1))
    if strings is None:
        strings = []
    if not is_seq(strings):
        raise TypeError(f'"{call.name}" must operate on a list')
    delim = _delimiter(call, ev)

    def text(s: Any) -> str:
        if s is None:
            return ""
        if not isinstance(s, str):
            raise TypeError(f"Items to join must be strings not {repr(s)[:200]}")
        return s
    return delim.join(text(s) for s in strings)


def list_join_multi(call: Call, ev: Any) -> Any:
    _check_join(call, ev)
    strings: list[Any] = []
    for joined in ev.resolve(call.args[1:], call.path):
        if joined:
            if not is_seq(joined):
                raise TypeError(f'"{call.name}" must operate on a list')
            strings += joined
    delim = _delimiter(call, ev)

    def text(s: Any) -> str:
        if s is None:
            return ""
        if isinstance(s, str):
            return s
        if isinstance(s, (Mapping, Sequence)):
            try:
                return dumps(s)
            except TypeError:
                raise TypeError(f"Items to join must be string, map or list. {repr(s)[:200]} "
                                "failed json serialization") from None
        raise TypeError(f"Items to join must be string, map or list not {repr(s)[:200]}")
    return delim.join(text(s) for s in strings)


def _split_example(call: Call) -> str:
    if call.kind == "Fn::Split":
        return f'"{call.name}" : [ ",", "str1,str2"]]'
    return f'"{call.name}" : [ ",", "apples,pears", <index>]'


def _check_split(call: Call, shapes: Shapes) -> None:
    if isinstance(call.args, str) or is_map(call.args, shapes):
        raise TypeError(incorrect(call.name, _split_example(call)))
    if call.kind == "Fn::Split":
        try:
            _, _ = call.args
        except ValueError:
            raise ValueError(incorrect(call.name, _split_example(call))) from None


def str_split(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    example = _split_example(call)
    try:
        delim = args.pop(0)
        text = args.pop(0)
    except (AttributeError, IndexError):
        raise ValueError(incorrect(call.name, example)) from None
    if text is None:
        return None
    parts = text.split(delim)
    if not args:
        return parts
    try:
        index = int(args.pop(0))
    except ValueError:
        raise ValueError(f'Incorrect index to "{call.name}" should be: {example}') from None
    try:
        return parts[index]
    except IndexError:
        raise ValueError(f'Incorrect index to "{call.name}" should be between 0 and {len(parts) - 1}') from None


def cfn_split(call: Call, ev: Any) -> Any:
    delim, strings = call.args
    strings = ev.resolve(strings, call.at(1))
    # quirk: Heat checks the delimiter unresolved, so a function there is rejected.
    if not isinstance(delim, str):
        raise TypeError(f"Delimiter for {call.name} must be string")
    if not isinstance(strings, str):
        raise TypeError(f"String to split must be string; got {type(strings)}")
    return strings.split(delim)


def digest(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise TypeError(f'Argument to function "{call.name}" must be a list of strings')
    if len(args) != 2:
        raise ValueError(f'Function "{call.name}" usage: ["<algorithm>", "<value>"]')
    algorithms = hashlib.algorithms_available
    if args[0].lower() not in algorithms:
        raise ValueError(f"Algorithm must be one of {algorithms}")
    hashed = hashlib.new(args[0])
    hashed.update(args[1].encode("latin-1"))
    return hashed.hexdigest()


def base64(call: Call, ev: Any) -> Any:
    value = ev.resolve(call.args, call.path)
    if not isinstance(value, str):
        raise TypeError(f'"{call.name}" argument must be a string')
    # Heat accepts user data in plain text, so this converts nothing.
    return value


KINDS: dict[str, Kind] = {
    "str_replace": Kind(_REPLACE_DOC, str_replace, check=_check_replace),
    "str_replace_json": Kind(_REPLACE_DOC, str_replace, check=_check_replace),
    "str_replace_strict": Kind(_REPLACE_DOC, str_replace, check=_check_replace),
    "str_replace_vstrict": Kind(_REPLACE_DOC, str_replace, check=_check_replace),
    "Fn::Replace": Kind(_REPLACE_DOC, str_replace, check=_check_replace),
    "list_join": Kind("A function for joining strings.", list_join, check=_check_join),
    "list_join_multi": Kind("A function for joining one or more lists of strings.", list_join_multi,
                            check=_check_join),
    "str_split": Kind("A function for splitting delimited strings into a list.", str_split, check=_check_split),
    "Fn::Split": Kind("A function for splitting strings.", cfn_split, check=_check_split),
    "digest": Kind("A function for performing digest operations.", digest),
    "Fn::Base64": Kind("A placeholder function for converting to base64.", base64),
}

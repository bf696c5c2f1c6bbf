"""Functions that look things up in the stack: parameters, resources, attributes, files, mappings."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from pocketstack.services.orchestration.engine.functions.base import Call, Kind, Shapes, is_seq
from pocketstack.services.orchestration.engine.functions.errors import (
    TemplateError, bad_reference, invalid_version, missing_parameter)

_GET_PARAM_DOC = "A function for resolving parameter references."
_GET_ATTR_DOC = "A function for resolving resource attributes."


def select_attribute(value: Any, path: Sequence[Any]) -> Any:
    """Heat's select_from_attribute: walk keys/indexes into an attribute value; None if absent."""
    def step(collection: Any, key: Any) -> Any:
        if not isinstance(collection, (Mapping, Sequence)):
            raise TypeError("Can't traverse attribute path")
        if not isinstance(key, (str, int)):
            raise TypeError("Path components in attributes must be strings")
        return collection[key]
    try:
        return functools.reduce(step, path, value)
    except (KeyError, IndexError, TypeError):
        return None


def _param_path_step(fn_name: str, collection: Any, key: Any) -> Any:
    if not isinstance(collection, (Mapping, Sequence)):
        raise TypeError(f'"{fn_name}" can\'t traverse path')
    if not isinstance(key, (str, int)):
        raise TypeError(f'Path components in "{fn_name}" must be strings')
    if isinstance(collection, Sequence) and isinstance(key, str):
        try:
            key = int(key)
        except ValueError:
            raise TypeError(f"Path components in '{fn_name}' must be a string that can be parsed into an integer.")
    return collection[key]


def get_param(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    if not args:
        raise ValueError(f'Function "{call.name}" must have arguments')
    if isinstance(args, str):
        name, path = args, []
    elif isinstance(args, Sequence):
        name, path = args[0], list(args[1:])
    else:
        raise TypeError(f'Argument to "{call.name}" must be string or list')
    if not isinstance(name, str):
        raise TypeError(f'Parameter name in "{call.name}" must be string')
    try:
        value = ev.scope.get_param(name)
    except KeyError:
        raise missing_parameter(name, call.path) from None
    try:
        return functools.reduce(functools.partial(_param_path_step, call.name), path, value)
    except (KeyError, IndexError, TypeError):
        # quirk: Heat swallows every path error (its own messages included) and returns ''.
        return ""


def resource_ref(ev: Any, name: Any, call: Call) -> Any:
    try:
        return ev.scope.get_resource(name)
    except (KeyError, TypeError):
        raise bad_reference(name, "unknown", call.path) from None


def get_resource(call: Call, ev: Any) -> Any:
    return resource_ref(ev, ev.resolve(call.args, call.path), call)


def attr_args(call: Call) -> tuple[Any, Any, list[Any]]:
    """(resource, attribute, path) of get_attr / Fn::GetAtt; attribute None means all attributes."""
    args = call.args
    if call.kind == "Fn::GetAtt":
        try:
            res, attr = args
        except ValueError:
            raise ValueError(f'Arguments to "{call.name}" must be of the form [resource_name, attribute]') from None
        return res, attr, []
    if call.kind == "get_attr_all":
        if not args:
            raise ValueError(f'Arguments to "{call.name}" can be of the next forms: [resource_name] or '
                             '[resource_name, attribute, (path), ...]')
        if not isinstance(args, Sequence):
            raise TypeError(f'Argument to "{call.name}" must be a list')
        if len(args) <= 1:
            # quirk: a one-character string passes as [resource_name], as in Heat.
            return args[0], None, []
    if not is_seq(args):
        raise TypeError(f'Argument to "{call.name}" must be a list')
    if len(args) < 2:
        raise ValueError(f'Arguments to "{call.name}" must be of the form [resource_name, attribute, (path), ...]')
    return args[0], args[1], list(args[2:])


def _check_attr(call: Call, shapes: Shapes) -> None:
    attr_args(call)


def get_attr(call: Call, ev: Any) -> Any:
    res, attr, path = attr_args(call)
    name = ev.resolve(res, call.at(0))
    attr = ev.resolve(attr, call.at(1))
    path = ev.resolve(path, call.path)
    try:
        if call.kind in ("get_attr_then_select", "Fn::GetAtt"):
            value = ev.scope.get_attr(name, attr, [])
            return None if value is None else select_attribute(value, path)
        return ev.scope.get_attr(name, attr, path)
    except KeyError:
        raise bad_reference(name, "unknown", call.path) from None


def ref(call: Call, ev: Any) -> Any:
    """cfn Ref: a resource if there is one of that name, else a parameter."""
    name = ev.resolve(call.args, call.path)
    try:
        return ev.scope.get_resource(name)
    except (KeyError, TypeError):
        return param_ref(call, ev)


def param_ref(call: Call, ev: Any) -> Any:
    name = ev.resolve(call.args, call.path)
    try:
        return ev.scope.get_param(name)
    except (KeyError, TypeError):
        raise bad_reference(name, "unknown", call.path) from None


def get_file(call: Call, ev: Any) -> Any:
    key = ev.resolve(call.args, call.path)
    if not isinstance(key, str):
        raise TypeError(f'Argument to "{call.name}" must be a string')
    try:
        return ev.scope.get_file(key)
    except KeyError:
        raise ValueError(f'No content found in the "files" section for {call.name} path: {key}') from None


_FACADE = {"resource_facade": ("metadata", "deletion_policy", "update_policy"),
           "Fn::ResourceFacade": ("Metadata", "DeletionPolicy", "UpdatePolicy")}


def _check_facade(call: Call, shapes: Shapes) -> None:
    allowed = _FACADE[call.kind]
    if call.args not in allowed:
        raise ValueError(f'Incorrect arguments to "{call.name}" should be one of: {", ".join(allowed)}')


def resource_facade(call: Call, ev: Any) -> Any:
    kind = ev.resolve(call.args, call.path)
    # The scope always gets the HOT spelling.
    hot = dict(zip(_FACADE["Fn::ResourceFacade"], _FACADE["resource_facade"]))
    return ev.scope.resource_facade(hot.get(kind, kind))


def get_azs(call: Call, ev: Any) -> Any:
    return ["nova"]


def _check_find_in_map(call: Call, shapes: Shapes) -> None:
    try:
        _, _, _ = call.args
    except ValueError as exc:
        raise KeyError(str(exc)) from None


def find_in_map(call: Call, ev: Any) -> Any:
    name, key, value = call.args
    name = ev.resolve(name, call.at(0))
    # get_mapping is optional in the Scope protocol: only cfn templates have Mappings.
    getter = getattr(ev.scope, "get_mapping", None)
    if getter is None:
        raise KeyError(name)
    return getter(name)[ev.resolve(key, call.at(1))][ev.resolve(value, call.at(2))]


def _removed_validate(call: Call, shapes: Shapes) -> None:
    raise invalid_version(f"The function {call.name} is not supported in this version of HOT.", call.path)


def removed(call: Call, ev: Any) -> Any:
    # Heat hands back the call itself, unevaluated at its level.
    return {call.name: ev.resolve(call.args, call.path)}


def _invalid_check(call: Call, shapes: Shapes) -> None:
    raise ValueError(f'The function "{call.name}" is invalid in this context')


def _never(call: Call, ev: Any) -> Any:
    raise TemplateError(f'The function "{call.name}" is invalid in this context', call.path)


KINDS: dict[str, Kind] = {
    "get_param": Kind(_GET_PARAM_DOC, get_param),
    "param_ref": Kind(_GET_PARAM_DOC, param_ref),
    "Ref": Kind("A function for resolving parameters or resource references.", ref),
    "get_resource": Kind("A function for resolving resource references.", get_resource),
    "get_attr_then_select": Kind(_GET_ATTR_DOC, get_attr, check=_check_attr),
    "get_attr": Kind(_GET_ATTR_DOC, get_attr, check=_check_attr),
    "get_attr_all": Kind(_GET_ATTR_DOC, get_attr, check=_check_attr),
    "Fn::GetAtt": Kind(_GET_ATTR_DOC, get_attr, check=_check_attr),
    "get_file": Kind("A function for including a file inline.", get_file),
    "resource_facade": Kind("A function for retrieving data in a parent provider template.", resource_facade,
                            check=_check_facade),
    "Fn::ResourceFacade": Kind("A function for retrieving data in a parent provider template.", resource_facade,
                               check=_check_facade),
    "Fn::GetAZs": Kind("A function for retrieving the availability zones.", get_azs),
    "Fn::FindInMap": Kind("A function for resolving keys in the template mappings.", find_in_map,
                          check=_check_find_in_map),
    "removed": Kind("This function existed in previous versions of HOT, but has been removed.", removed,
                    validate=_removed_validate),
    "invalid": Kind("A function for checking condition functions and to force failures.", _never,
                    check=_invalid_check),
}

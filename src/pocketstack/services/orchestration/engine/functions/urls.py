"""make_url: build a correctly escaped URL from its parts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib import parse

from pocketstack.services.orchestration.engine.functions.base import Call, Kind, Shapes, is_map

_KEYS = ("scheme", "username", "password", "host", "port", "path", "query", "fragment")


def _check_parts(call: Call, args: Mapping[str, Any], shapes: Shapes) -> None:
    for arg in _KEYS:
        if arg not in args:
            continue
        value = args[arg]
        if arg == "query":
            if not (shapes.is_fn(value) or isinstance(value, Mapping)):
                raise TypeError(f'The "{arg}" argument to "{call.name}" must be a map')
            # quirk: Heat stops checking once it has seen the query, so a bad fragment passes here.
            return
        if arg == "port":
            _check_port(call, value, args, shapes)
        elif not (shapes.is_fn(value) or isinstance(value, str)):
            raise TypeError(f'The "{arg}" argument to "{call.name}" must be a string')


def _check_port(call: Call, port: Any, args: Mapping[str, Any], shapes: Shapes) -> None:
    if shapes.is_fn(port):
        return
    if not isinstance(port, int):
        try:
            port = int(port)
        except ValueError:
            raise ValueError(f'Invalid URL port "{port}" for {call.name} called with {args}') from None
    if not 0 < port <= 65535:
        raise ValueError(f"Invalid URL port {port}, must be in range 1-65535")


def _validate(call: Call, shapes: Shapes) -> None:
    if not is_map(call.args, shapes):
        raise TypeError(f'The arguments to "{call.name}" must be a map')
    invalid = sorted(set(call.args) - set(_KEYS))
    if invalid:
        raise ValueError(f'Invalid arguments to "{call.name}": {", ".join(invalid)}')
    _check_parts(call, call.args, shapes)


def _netloc(args: Mapping[str, Any]) -> Iterator[str]:
    username = parse.quote(args.get("username", ""), safe="")
    password = parse.quote(args.get("password", ""), safe="")
    if username or password:
        yield username
        if password:
            yield ":"
            yield password
        yield "@"
    host = args.get("host", "")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = parse.quote(host, safe=":")
    yield f"[{host}]" if ":" in host else host
    port = args.get("port", "")
    if port:
        yield f":{port}"


def make_url(call: Call, ev: Any) -> Any:
    args = ev.resolve(call.args, call.path)
    if not isinstance(args, Mapping):
        raise TypeError(f'The arguments to "{call.name}" must be a map')
    _check_parts(call, args, ev)
    scheme = args.get("scheme", "")
    if ":" in scheme:
        raise ValueError("URL \"scheme\" should not contain ':'")
    path = parse.quote(args.get("path", ""))
    query = parse.urlencode(args.get("query", {})).replace("%2F", "/")
    fragment = parse.quote(args.get("fragment", ""))
    return parse.urlunsplit((scheme, "".join(_netloc(args)), path, query, fragment))


KINDS: dict[str, Kind] = {
    "make_url": Kind("A function for performing substitutions on maps.", make_url, validate=_validate),
}

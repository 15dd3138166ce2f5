"""HTTP request parts -> the route's request message, as pure functions.

Every failure here is the client's input and raises a 400 HttpError; nothing
touches the network, so the tests call it with plain values.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from google.protobuf.message import Message

from gateway import codec
from gateway.errors import bad_request
from gateway.routes import Route

# Query parameters the gateway itself consumes on every GET.
FIELDS_PARAM = "fields"


def parse_query(query_string: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(query_string, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise bad_request("The query string is not valid UTF-8.") from None


def requested_fields(query: list[tuple[str, str]]) -> list[str]:
    """fields=a&fields=b (or fields=a,b): the attributes to keep."""
    out: list[str] = []
    for k, v in query:
        if k == FIELDS_PARAM:
            out.extend(x for x in v.split(",") if x)
    return out


def decode_body(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise bad_request(f"Malformed request body: {e}") from None


def apply_query(route: Route, message: Message, query: list[tuple[str, str]], method: str) -> None:
    """Sets request fields from query parameters, by JSON or field name; a
    repeated field takes every value, a scalar exactly one. Unknown keys are
    a 400 (Neutron's filter-validation), except fields= on a GET, which the
    gateway applies to the output."""
    seen: set[str] = set()
    unknown: list[str] = []
    for key, raw in query:
        entry = route.query_fields.get(key)
        if entry is None:
            if key == FIELDS_PARAM and method == "GET":
                continue
            unknown.append(key)
            continue
        fd, convert = entry
        try:
            value = convert(raw)
        except (ValueError, TypeError, OverflowError):
            raise bad_request(f"Invalid value {raw!r} for query parameter {key!r}.") from None
        if fd.is_repeated:
            getattr(message, fd.name).append(value)
        else:
            if fd.name in seen:
                raise bad_request(f"Query parameter {key!r} may be given only once.")
            seen.add(fd.name)
            setattr(message, fd.name, value)
    if unknown:
        names = ", ".join(sorted(set(unknown)))
        raise bad_request(f"[{names}] is invalid attribute for filtering" if method == "GET"
                          else f"Unknown query parameter(s): {names}")


def apply_path(route: Route, message: Message, values: dict[tuple[str, ...], str]) -> None:
    for path, convert in route.path_fields:
        raw = values[path]
        try:
            value = convert(raw)
        except (ValueError, TypeError, OverflowError):
            raise bad_request(f"Invalid value {raw!r} for {'.'.join(path)}.") from None
        target = message
        for name in path[:-1]:
            target = getattr(target, name)
        setattr(target, path[-1], value)


def apply_body(route: Route, message: Message, body: Any) -> None:
    """Merges the decoded JSON body into the request and fills update_mask
    from the keys of the resource object."""
    if route.body == "*":
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        bad = [k for k in body if k in route.body_forbidden]
        if bad:
            raise bad_request(f"Unrecognized attribute(s) '{', '.join(bad)}'")
        target = body
    else:
        target = {route.body: body}
    try:
        codec.parse_into(target, message)
    except codec.DecodeError as e:
        raise bad_request(str(e)) from None
    if route.mask is not None:
        resource_field, keymap = route.mask
        obj = _resource_object(message, body if route.body == "*" else target, resource_field)
        if isinstance(obj, dict):
            paths = list(dict.fromkeys(keymap[k] for k in obj if k in keymap))
            message.update_mask.paths.extend(paths)


def _resource_object(message: Message, body: dict, field_name: str) -> Any:
    fd = message.DESCRIPTOR.fields_by_name[field_name]
    if fd.json_name in body:
        return body[fd.json_name]
    return body.get(fd.name)


def build_request(route: Route, *, path_values: dict, query: list[tuple[str, str]],
                  body: bytes, method: str, if_revision: int) -> Message:
    message = route.request_cls()
    if route.body:
        apply_body(route, message, decode_body(body))
    apply_query(route, message, query, method)
    apply_path(route, message, path_values)
    if route.if_revision and if_revision:
        message.if_revision = if_revision
    return message

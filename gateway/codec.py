"""Protobuf <-> JSON through the messages' JSON names (the Neutron names).

Output: one printer per message type, built once from its descriptor. A
printer starts from a precomputed dict of the defaults of every field without
presence (lists as [], scalars as their zero value: the
always_print_fields_with_no_presence semantic), then overlays what
ListFields() says is set. int64 stays a JSON number (json_format would write
a string), google.protobuf.Value/Struct/ListValue become plain JSON.

Input: json_format.ParseDict, which already accepts JSON and field names and
rejects unknown fields and wrong types; query-string values go through one
precomputed converter per field.
"""
from __future__ import annotations

import base64
import math
from typing import Any, Callable

from google.protobuf import descriptor as _d
from google.protobuf import json_format
from google.protobuf.message import Message

Printer = Callable[[Message], Any]
FD = _d.FieldDescriptor

_INT_TYPES = {
    FD.TYPE_INT32, FD.TYPE_INT64, FD.TYPE_UINT32, FD.TYPE_UINT64, FD.TYPE_SINT32,
    FD.TYPE_SINT64, FD.TYPE_FIXED32, FD.TYPE_FIXED64, FD.TYPE_SFIXED32, FD.TYPE_SFIXED64,
}
_INT_RANGES = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1), FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FD.TYPE_UINT32: (0, 2**32 - 1),
    FD.TYPE_FIXED32: (0, 2**32 - 1), FD.TYPE_INT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SINT64: (-(2**63), 2**63 - 1), FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FD.TYPE_UINT64: (0, 2**64 - 1), FD.TYPE_FIXED64: (0, 2**64 - 1),
}


def int_range(fd: FD) -> tuple[int, int] | None:
    return _INT_RANGES.get(fd.type)


# --- output -----------------------------------------------------------------


def _float(v: float):
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _bytes(v: bytes) -> str:
    return base64.b64encode(v).decode("ascii")


def _identity(v):
    return v


def _value(v: Message):
    kind = v.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "number_value":
        n = v.number_value
        if n.is_integer() and abs(n) < 2**53:
            return int(n)
        return _float(n)
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "struct_value":
        return _struct(v.struct_value)
    return _list_value(v.list_value)


def _struct(s: Message) -> dict:
    return {k: _value(x) for k, x in s.fields.items()}


def _list_value(lv: Message) -> list:
    return [_value(x) for x in lv.values]


_WELL_KNOWN: dict[str, Printer] = {
    "google.protobuf.Value": _value,
    "google.protobuf.Struct": _struct,
    "google.protobuf.ListValue": _list_value,
}


class Printers:
    """Builds and caches one printer per message type."""

    def __init__(self) -> None:
        self._cache: dict[str, Printer] = {}

    def __call__(self, desc: _d.Descriptor) -> Printer:
        name = desc.full_name
        got = self._cache.get(name)
        if got is not None:
            return got
        if name in _WELL_KNOWN:
            self._cache[name] = _WELL_KNOWN[name]
            return _WELL_KNOWN[name]
        if name.startswith("google.protobuf."):
            # Timestamp, Duration, wrappers...: rare here; json_format knows them.
            def wkt(m: Message) -> Any:
                return json_format.MessageToDict(m)

            self._cache[name] = wkt
            return wkt
        # Placeholder first, so recursive message types resolve lazily.
        self._cache[name] = lambda m: self._cache[name](m)
        printer = self._build(desc)
        self._cache[name] = printer
        return printer

    def scalar(self, fd: FD) -> Callable[[Any], Any]:
        if fd.type == FD.TYPE_MESSAGE:
            return self(fd.message_type)
        if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return _float
        if fd.type == FD.TYPE_BYTES:
            return _bytes
        if fd.type == FD.TYPE_ENUM:
            names = {v.number: v.name for v in fd.enum_type.values}
            return lambda n: names.get(n, n)
        return _identity

    def value(self, fd: FD) -> Callable[[Any], Any]:
        """Converter of the value getattr/ListFields yields for fd."""
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            key_fd = fd.message_type.fields_by_name["key"]
            val = self.scalar(fd.message_type.fields_by_name["value"])
            if key_fd.type == FD.TYPE_BOOL:
                return lambda m: {("true" if k else "false"): val(v) for k, v in m.items()}
            return lambda m: {str(k): val(v) for k, v in m.items()}
        one = self.scalar(fd)
        if fd.is_repeated:
            if one is _identity:
                return list
            return lambda xs: [one(x) for x in xs]
        return one

    def _build(self, desc: _d.Descriptor) -> Printer:
        defaults: dict[str, Any] = {}
        convert: dict[int, tuple[str, Callable]] = {}
        for fd in desc.fields:
            conv = self.value(fd)
            convert[fd.number] = (fd.json_name, conv)
            if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
                defaults[fd.json_name] = {}
            elif fd.is_repeated:
                defaults[fd.json_name] = []
            elif not fd.has_presence:
                if fd.type == FD.TYPE_ENUM:
                    defaults[fd.json_name] = fd.enum_type.values_by_number[0].name \
                        if 0 in fd.enum_type.values_by_number else 0
                elif fd.type == FD.TYPE_BYTES:
                    defaults[fd.json_name] = ""
                else:
                    defaults[fd.json_name] = fd.default_value
            # Fields with presence appear only when set (after the others).

        def printer(m: Message) -> dict:
            out = defaults.copy()
            for fd, value in m.ListFields():
                name, conv = convert[fd.number]
                out[name] = conv(value)
            return out

        return printer


# --- input ------------------------------------------------------------------


class DecodeError(ValueError):
    """The client sent something that does not fit the message."""


def parse_into(obj: Any, message: Message) -> None:
    """Merges a decoded JSON object into message; DecodeError on wrong types,
    unknown fields or anything else the input alone gets wrong."""
    if not isinstance(obj, dict):
        raise DecodeError("The request body must be a JSON object.")
    try:
        json_format.ParseDict(obj, message, ignore_unknown_fields=False, max_recursion_depth=64)
    except json_format.ParseError as e:
        # json_format appends the list of available fields: keep the first line.
        raise DecodeError(str(e).split("\n", 1)[0].strip()) from None
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError, OverflowError) as e:
        raise DecodeError(f"Invalid request body: {e}") from None


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def query_converter(fd: FD) -> Callable[[str], Any]:
    """str -> the Python value for a scalar field, ValueError when it does not fit."""
    if fd.type == FD.TYPE_STRING:
        return _identity
    if fd.type == FD.TYPE_BOOL:
        def to_bool(s: str) -> bool:
            low = s.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(f"'{s}' is not a boolean")
        return to_bool
    if fd.type in _INT_TYPES:
        lo, hi = _INT_RANGES[fd.type]

        def to_int(s: str) -> int:
            v = int(s.strip(), 10)
            if not lo <= v <= hi:
                raise ValueError(f"{v} is out of range")
            return v
        return to_int
    if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return float
    if fd.type == FD.TYPE_ENUM:
        by_name = {v.name: v.number for v in fd.enum_type.values}

        def to_enum(s: str) -> int:
            if s in by_name:
                return by_name[s]
            n = int(s)
            if n not in fd.enum_type.values_by_number:
                raise ValueError(f"'{s}' is not a valid {fd.enum_type.name}")
            return n
        return to_enum
    if fd.type == FD.TYPE_BYTES:
        return lambda s: base64.b64decode(s, validate=True)
    raise TypeError(f"field {fd.full_name} cannot be set from a query string")

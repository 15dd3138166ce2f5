"""Protobuf <-> JSON through the messages' JSON names (the Neutron names).

Output: one printer per message type, built once from its descriptor. A
printer starts from a precomputed dict of the defaults of every field without
presence (lists as [], scalars as their zero value: the
always_print_fields_with_no_presence semantic), then overlays what
ListFields() says is set. int64 stays a JSON number (json_format would write
a string), google.protobuf.Value/Struct/ListValue become plain JSON.

Input: one strict parser per message type, built the same way: JSON or field
names, the JSON types proto3 JSON allows (numbers may come as decimal
strings, as the CLI sends "mtu": "1400"), unknown attributes rejected
(json_format.ParseDict would even take [] for an object); query-string values
go through one precomputed converter per field.
"""
from __future__ import annotations

import base64
import math
import re
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


# A repeated field of this name is input only: it hears which other repeated
# fields came as an explicit [] (see Parsers._build), and is never printed.
EMPTY_LISTS = "empty_lists"


def _or_empty(conv: Callable, empty: type) -> Callable:
    def convert(values):
        return conv(values) if values else empty()
    return convert


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
        # Fields are read by name, not through ListFields(): building the
        # (descriptor, value) list costs more than the reads (a page prints
        # 1,000 ports). Every field without presence prints, its default
        # when unset; a field with presence prints only when set.
        plain: list[tuple[str, str, Callable | None]] = []
        present: list[tuple[str, str, Callable]] = []
        for fd in desc.fields:
            if fd.name == EMPTY_LISTS:
                continue  # input only: never printed
            conv = self.value(fd)
            if fd.is_repeated:
                # A map or list: converted when it holds anything.
                empty = dict if fd.message_type is not None and fd.message_type.GetOptions().map_entry else list
                plain.append((fd.json_name, fd.name, _or_empty(conv, empty)))
            elif fd.has_presence:
                present.append((fd.json_name, fd.name, conv))
            else:
                plain.append((fd.json_name, fd.name, None if conv is _identity else conv))

        def printer(m: Message) -> dict:
            out = {}
            for json_name, name, conv in plain:
                value = getattr(m, name)
                out[json_name] = value if conv is None else conv(value)
            for json_name, name, conv in present:
                if m.HasField(name):
                    out[json_name] = conv(getattr(m, name))
            return out

        return printer


# --- input ------------------------------------------------------------------



class DecodeError(ValueError):
    """The client sent something that does not fit the message."""


Parser = Callable[[Any, Message, str], None]  # (JSON value, target message, where)


def _invalid(where: str, reason: str) -> DecodeError:
    return DecodeError(f"Invalid input for {where}. Reason: {reason}.")


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(v), type(v).__name__)


def _check_str(v: Any, where: str) -> str:
    if type(v) is not str:
        raise _invalid(where, f"expected a string, got {_kind(v)}")
    return v


def _check_bool(v: Any, where: str) -> bool:
    if type(v) is not bool:
        raise _invalid(where, f"expected a boolean, got {_kind(v)}")
    return v


_DECIMAL = re.compile(r"^-?[0-9]{1,20}$")
_FLOAT_WORDS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _check_float(v: Any, where: str) -> float:
    if type(v) is str:
        if v in _FLOAT_WORDS:
            return _FLOAT_WORDS[v]
        try:
            return float(v)
        except ValueError:
            raise _invalid(where, f"'{v}' is not a number") from None
    if type(v) not in (int, float):
        raise _invalid(where, f"expected a number, got {_kind(v)}")
    return float(v)


def _int_checker(fd: FD) -> Callable[[Any, str], int]:
    lo, hi = _INT_RANGES[fd.type]

    def check(v: Any, where: str) -> int:
        if type(v) is float and v.is_integer():
            v = int(v)  # JSON Schema's integer: 3.0 is 3
        elif type(v) is str and _DECIMAL.match(v):
            v = int(v)  # proto3 JSON (and Neutron, and the CLI's "mtu": "1400")
        if type(v) is not int:
            raise _invalid(where, f"expected an integer, got {_kind(v)}")
        if not lo <= v <= hi:
            raise _invalid(where, f"{v} is out of range [{lo}, {hi}]")
        return v
    return check


def _enum_checker(fd: FD) -> Callable[[Any, str], int]:
    by_name = {v.name: v.number for v in fd.enum_type.values}

    def check(v: Any, where: str) -> int:
        if type(v) is str and v in by_name:
            return by_name[v]
        if type(v) is int and v in fd.enum_type.values_by_number:
            return v
        raise _invalid(where, f"expected one of {sorted(by_name)}")
    return check


def _check_bytes(v: Any, where: str) -> bytes:
    try:
        return base64.b64decode(_check_str(v, where), validate=True)
    except ValueError:
        raise _invalid(where, "expected base64") from None


def _set_value(target: Message, v: Any, where: str) -> None:
    """Any JSON into a google.protobuf.Value."""
    if v is None:
        target.null_value = 0
    elif type(v) is bool:
        target.bool_value = v
    elif type(v) in (int, float):
        target.number_value = float(v)
    elif type(v) is str:
        target.string_value = v
    elif type(v) is list:
        _set_list(target.list_value, v, where)
    elif type(v) is dict:
        _set_struct(target.struct_value, v, where)
    else:
        raise _invalid(where, f"unsupported {_kind(v)}")


def _set_struct(target: Message, v: Any, where: str) -> None:
    if type(v) is not dict:
        raise _invalid(where, f"expected an object, got {_kind(v)}")
    target.Clear()
    target.SetInParent()
    for k, x in v.items():
        _set_value(target.fields[k], x, f"{where}.{k}")


def _set_list(target: Message, v: Any, where: str) -> None:
    if type(v) is not list:
        raise _invalid(where, f"expected a list, got {_kind(v)}")
    target.Clear()
    target.SetInParent()
    for i, x in enumerate(v):
        _set_value(target.values.add(), x, f"{where}[{i}]")


_WKT_SETTERS = {
    "google.protobuf.Value": _set_value,
    "google.protobuf.Struct": _set_struct,
    "google.protobuf.ListValue": _set_list,
}


class Parsers:
    """Builds and caches one strict JSON -> message parser per message type:
    JSON or field names, exact JSON types (an integer may be written 3.0, as
    JSON Schema allows), null meaning "unset" (a Value's null is kept: it is
    how a subnet says "no gateway"), anything unknown an error."""

    def __init__(self) -> None:
        self._cache: dict[str, Parser] = {}

    def __call__(self, desc: _d.Descriptor) -> Parser:
        name = desc.full_name
        got = self._cache.get(name)
        if got is not None:
            return got
        if name in _WKT_SETTERS:
            setter = _WKT_SETTERS[name]
            self._cache[name] = lambda v, m, where: setter(m, v, where)
        elif name.startswith("google.protobuf."):
            def wkt(v: Any, m: Message, where: str) -> None:
                try:
                    json_format.ParseDict(v, m)
                except (json_format.ParseError, ValueError, TypeError, AttributeError) as e:
                    raise _invalid(where, str(e).split("\n", 1)[0]) from None
            self._cache[name] = wkt
        else:
            self._cache[name] = lambda v, m, where: self._cache[name](v, m, where)  # recursion
            self._cache[name] = self._build(desc)
        return self._cache[name]

    def _element(self, fd: FD) -> Callable[[Any, str], Any]:
        if fd.type == FD.TYPE_STRING:
            return _check_str
        if fd.type == FD.TYPE_BOOL:
            return _check_bool
        if fd.type in _INT_TYPES:
            return _int_checker(fd)
        if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return _check_float
        if fd.type == FD.TYPE_ENUM:
            return _enum_checker(fd)
        if fd.type == FD.TYPE_BYTES:
            return _check_bytes
        raise TypeError(f"no JSON parser for {fd.full_name}")

    def _setter(self, fd: FD) -> Callable[[Any, Message, str], None]:
        name = fd.name
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            key_fd = fd.message_type.fields_by_name["key"]
            val_fd = fd.message_type.fields_by_name["value"]
            key_conv = query_converter(key_fd)
            if val_fd.type == FD.TYPE_MESSAGE:
                sub = self(val_fd.message_type)

                def put(m, k, x, where):
                    sub(x, getattr(m, name)[k], where)
            else:
                elem = self._element(val_fd)

                def put(m, k, x, where):
                    getattr(m, name)[k] = elem(x, where)

            def set_map(v, m, where):
                if v is None:
                    m.ClearField(name)
                    return
                if type(v) is not dict:
                    raise _invalid(where, f"expected an object, got {_kind(v)}")
                for k, x in v.items():
                    try:
                        key = key_conv(k)
                    except ValueError:
                        raise _invalid(where, f"bad key {k!r}") from None
                    put(m, key, x, f"{where}.{k}")
            return set_map

        if fd.type == FD.TYPE_MESSAGE:
            sub = self(fd.message_type)
            is_value = fd.message_type.full_name == "google.protobuf.Value"
            if fd.is_repeated:
                def set_messages(v, m, where):
                    if v is None:
                        m.ClearField(name)
                        return
                    if type(v) is not list:
                        raise _invalid(where, f"expected a list, got {_kind(v)}")
                    container = getattr(m, name)
                    del container[:]
                    for i, x in enumerate(v):
                        sub(x, container.add(), f"{where}[{i}]")
                return set_messages

            def set_message(v, m, where):
                if v is None and not is_value:
                    m.ClearField(name)
                    return
                target = getattr(m, name)
                target.SetInParent()
                sub(v, target, where)
            return set_message

        elem = self._element(fd)
        if fd.is_repeated:
            def set_scalars(v, m, where):
                if v is None:
                    m.ClearField(name)
                    return
                if type(v) is not list:
                    raise _invalid(where, f"expected a list, got {_kind(v)}")
                container = getattr(m, name)
                del container[:]
                container.extend([elem(x, f"{where}[{i}]") for i, x in enumerate(v)])
            return set_scalars

        def set_scalar(v, m, where):
            if v is None:
                m.ClearField(name)
                return
            setattr(m, name, elem(v, where))
        return set_scalar

    def _build(self, desc: _d.Descriptor) -> Parser:
        by_key: dict[str, Callable] = {}
        # A message with an `empty_lists` field hears which of its repeated
        # fields came as an explicit [] (proto3 alone cannot tell).
        marks = desc.fields_by_name.get(EMPTY_LISTS)
        repeated: dict[str, str] = {}
        for fd in desc.fields:
            setter = self._setter(fd)
            by_key[fd.json_name] = setter
            by_key[fd.name] = setter
            if marks is not None and fd.is_repeated and fd is not marks:
                repeated[fd.json_name] = repeated[fd.name] = fd.name
        label = desc.name.lower()

        def parse(v: Any, m: Message, where: str) -> None:
            if type(v) is not dict:
                raise _invalid(where or label, f"expected an object, got {_kind(v)}")
            for key, x in v.items():
                setter = by_key.get(key)
                if setter is None:
                    raise DecodeError(f"Unrecognized attribute(s) '{key}'"
                                      + (f" in {where}" if where else ""))
                setter(x, m, f"{where}.{key}" if where else key)
                if x == [] and key in repeated:
                    getattr(m, EMPTY_LISTS).append(repeated[key])
        return parse


_PARSERS = Parsers()


def parse_into(obj: Any, message: Message, parsers: Parsers = _PARSERS) -> None:
    """Merges a decoded JSON object into message; DecodeError on wrong types,
    unknown fields or anything else the input alone gets wrong."""
    if not isinstance(obj, dict):
        raise DecodeError("The request body must be a JSON object.")
    try:
        parsers(message.DESCRIPTOR)(obj, message, "")
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, RecursionError, OverflowError, UnicodeError) as e:
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

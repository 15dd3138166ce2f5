"""Neutron list semantics over protobuf resources, as pure functions:
filters (any top-level attribute; repeated values OR), sorting, and
marker/limit pagination. The service's store decides which keys to read
(an index when a filter has one); this module decides what a page holds.

A List request's fields numbered FILTER_FIELD_MIN and up are filters named
like the resource attribute they filter."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlencode

from google.protobuf.message import Message

from runtime.errors import InvalidInput

FILTER_FIELD_MIN = 10
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, frozenset[str]]
    limit: int
    marker: str
    sort: list[tuple[str, bool]]  # (attribute, descending)
    page_reverse: bool


def parse_query(request: Message, resource_desc) -> ListQuery:
    """Reads filters, paging and sorting off a List request, validating sort
    keys against the resource's attributes."""
    filters: dict[str, frozenset[str]] = {}
    for f in request.DESCRIPTOR.fields:
        if f.number >= FILTER_FIELD_MIN:
            values = getattr(request, f.name)
            if values:
                filters[f.name] = frozenset(values)
    limit = request.limit
    if limit < 0:
        raise InvalidInput(f"limit must be a non-negative integer, not {limit}")
    limit = min(limit, MAX_LIMIT)
    keys = list(request.sort_key)
    dirs = list(request.sort_dir)
    if dirs and len(dirs) != len(keys):
        raise InvalidInput("The number of sort_keys and sort_dirs must be same")
    sort: list[tuple[str, bool]] = []
    by_json = {fd.json_name: fd.name for fd in resource_desc.fields}
    for i, k in enumerate(keys):
        name = k if k in resource_desc.fields_by_name else by_json.get(k)
        if name is None or resource_desc.fields_by_name[name].is_repeated:
            raise InvalidInput(f"{k} is an invalid attribute for sort_key")
        d = dirs[i] if dirs else "asc"
        if d not in ("asc", "desc"):
            raise InvalidInput(f"{d} is an invalid value for sort_dir, valid values are 'asc' and 'desc'")
        sort.append((name, d == "desc"))
    return ListQuery(filters, limit, request.marker, sort, request.page_reverse)


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _norm(s: str) -> str:
    # Booleans filter case-insensitively (admin_state_up=True or =true).
    low = s.lower()
    return low if low in ("true", "false") else s


def attribute_texts(resource: Message, name: str) -> list[str]:
    """The string forms a filter on `name` compares against."""
    fd = resource.DESCRIPTOR.fields_by_name.get(name)
    if fd is None:
        return []
    value = getattr(resource, name)
    if fd.is_repeated:
        if fd.message_type is not None:
            out = []
            for item in value:
                for sub in item.DESCRIPTOR.fields:
                    out.append(f"{sub.name}={getattr(item, sub.name)}")
            return out
        return [_text(x) for x in value]
    if fd.message_type is not None:
        if fd.message_type.full_name == "google.protobuf.Value":
            kind = value.WhichOneof("kind")
            return [value.string_value] if kind == "string_value" else [""]
        return []
    if fd.has_presence and not resource.HasField(name):
        return [""]
    return [_text(value)]


def matches(resource: Message, filters: dict[str, frozenset[str]]) -> bool:
    for name, wanted in filters.items():
        have = attribute_texts(resource, name)
        norm_wanted = {_norm(w) for w in wanted}
        if not any(_norm(h) in norm_wanted for h in have):
            return False
    return True


def order(items: list[Message], sort: list[tuple[str, bool]]) -> list[Message]:
    """Sorts by the sort keys, id last as the tie-breaker (so markers are
    stable). Mixed directions sort stably key by key, last key first."""
    items = sorted(items, key=lambda m: m.id)
    for name, desc in reversed(sort):
        items.sort(key=lambda m, n=name: getattr(m, n), reverse=desc)
    return items


@dataclass
class Page:
    items: list[Message]
    next_marker: str  # "" when this is the last page
    prev_marker: str


def paginate(items: Sequence[Message], q: ListQuery) -> Page:
    """Cuts one page out of fully ordered items, after (or, with page_reverse,
    before) the marker. An unknown marker starts from the beginning, as
    Neutron does when the marker resource no longer exists."""
    ids = [m.id for m in items]
    if q.marker and q.marker in ids:
        i = ids.index(q.marker)
        window = list(items[:i])[::-1] if q.page_reverse else list(items[i + 1 :])
    else:
        window = list(items)[::-1] if q.page_reverse else list(items)
    if q.limit:
        more = len(window) > q.limit
        window = window[: q.limit]
    else:
        more = False
    if q.page_reverse:
        window.reverse()
    nxt = window[-1].id if (more and window and not q.page_reverse) else ""
    prev = window[0].id if (more and window and q.page_reverse) else ""
    return Page(window, nxt, prev)


def next_link_query(q: ListQuery, marker: str, reverse: bool = False) -> str:
    params: list[tuple[str, str]] = [("limit", str(q.limit)), ("marker", marker)]
    for name, desc in q.sort:
        params += [("sort_key", name), ("sort_dir", "desc" if desc else "asc")]
    if reverse:
        params.append(("page_reverse", "True"))
    return urlencode(params)

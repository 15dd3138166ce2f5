"""Small helpers every servicer uses to read Neutron-shaped requests."""
from __future__ import annotations

from google.protobuf.message import Message

from runtime.errors import InvalidInput
from runtime.listing import Page, next_link_query, ListQuery
from alcor.v1 import common_pb2


def single_or_bulk(request: Message, single: str, bulk: str) -> tuple[list, bool]:
    """The resources a create carries: ({"port": ...}) or ({"ports": [...]})."""
    has_single = request.HasField(single)
    items = list(getattr(request, bulk))
    if has_single and items:
        raise InvalidInput(f"Give either '{single}' or '{bulk}', not both.", reason="BadRequest")
    if has_single:
        return [getattr(request, single)], False
    if not items:
        raise InvalidInput(f"Resource body required: '{single}' or '{bulk}'.", reason="BadRequest")
    return items, True


def mask_paths(request: Message) -> list[str]:
    if not request.HasField("update_mask") or not request.update_mask.paths:
        raise InvalidInput("An update must name at least one attribute.", reason="BadRequest")
    return list(request.update_mask.paths)


def links(page: Page, q: ListQuery) -> list[common_pb2.Link]:
    out = []
    if page.next_marker:
        out.append(common_pb2.Link(rel="next", href="?" + next_link_query(q, page.next_marker)))
    if page.prev_marker:
        out.append(common_pb2.Link(rel="previous",
                                   href="?" + next_link_query(q, page.prev_marker, reverse=True)))
    return out


def require_id(value: str, what: str) -> str:
    if not value:
        raise InvalidInput(f"{what} id is required.", reason="BadRequest")
    return value

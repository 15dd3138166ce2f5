"""Pure Neutron list semantics: filters, sorting, pagination."""
import pytest

from alcor.v1 import common_pb2, port_pb2
from runtime.errors import InvalidInput
from runtime.listing import ListQuery, matches, order, paginate, parse_query


def port(i, **kw):
    return port_pb2.Port(id=f"p{i:03d}", **kw)


@pytest.mark.parametrize("filters,want", [
    ({"name": {"a"}}, True), ({"name": {"b"}}, False), ({"name": {"a", "b"}}, True),
    ({"admin_state_up": {"True"}}, True), ({"admin_state_up": {"false"}}, False),
    ({"binding_host_id": {"h1"}}, True), ({"fixed_ips": {"ip_address=10.0.0.5"}}, True),
    ({"fixed_ips": {"subnet_id=s9"}}, False), ({"tags": {"red"}}, True),
    ({"name": {"a"}, "device_id": {"x"}}, False),
])
def test_matches(filters, want):
    p = port(1, name="a", admin_state_up=True, binding_host_id="h1", tags=["red", "blue"],
             fixed_ips=[common_pb2.FixedIp(subnet_id="s1", ip_address="10.0.0.5")])
    assert matches(p, {k: frozenset(v) for k, v in filters.items()}) is want


def q(limit=0, marker="", sort=(), reverse=False):
    return ListQuery({}, limit, marker, list(sort), reverse)


def test_pages_cover_everything_once():
    items = [port(i) for i in range(10)]
    seen, marker = [], ""
    while True:
        page = paginate(items, q(limit=3, marker=marker))
        seen += [p.id for p in page.items]
        if not page.next_marker:
            break
        marker = page.next_marker
    assert seen == [p.id for p in items]


def test_page_reverse_gives_items_before_marker():
    items = [port(i) for i in range(10)]
    page = paginate(items, q(limit=3, marker="p005", reverse=True))
    assert [p.id for p in page.items] == ["p002", "p003", "p004"]


def test_order_mixed_directions():
    items = [port(1, name="b", device_id="1"), port(2, name="a", device_id="2"),
             port(3, name="b", device_id="3")]
    got = order(items, [("name", False), ("device_id", True)])
    assert [p.id for p in got] == ["p002", "p003", "p001"]


@pytest.mark.parametrize("keys,dirs,ok", [
    (["name"], ["asc"], True), (["binding:host_id"], [], True), (["nope"], [], False),
    (["name"], ["up"], False), (["name", "id"], ["asc"], False), (["fixed_ips"], [], False),
])
def test_parse_sort(keys, dirs, ok):
    req = port_pb2.ListPortsRequest(sort_key=keys, sort_dir=dirs)
    if ok:
        parse_query(req, port_pb2.Port.DESCRIPTOR)
    else:
        with pytest.raises(InvalidInput):
            parse_query(req, port_pb2.Port.DESCRIPTOR)


def test_parse_filters_use_request_fields():
    req = port_pb2.ListPortsRequest(network_id=["n1", "n2"], limit=5)
    got = parse_query(req, port_pb2.Port.DESCRIPTOR)
    assert got.filters == {"network_id": frozenset({"n1", "n2"})} and got.limit == 5

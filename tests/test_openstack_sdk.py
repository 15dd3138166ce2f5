"""openstacksdk against the gateway: a bulk of 500 ports in one POST, then
paging through them 100 at a time the way the SDK does (links, then
marker=<last id>), with no duplicate and no endless loop."""
from __future__ import annotations

import pytest

openstack = pytest.importorskip("openstack")

# The SDK warns about its own deprecations on every resource; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

BULK = 500
PAGE = 100


@pytest.fixture(scope="module")
def conn(cluster):
    c = openstack.connect(auth_type="none", auth={"endpoint": cluster.gateway_url},
                          load_yaml_config=False, load_envvars=False)
    requests_seen: list[tuple[str, str]] = []

    def record(response, *args, **kwargs):
        requests_seen.append((response.request.method, response.request.url))

    c.session.session.hooks["response"].append(record)
    c.requests_seen = requests_seen
    yield c
    c.close()


def test_bulk_create_500_ports_then_page_through_them(conn):
    net = conn.network.create_network(name="sdk-bulk")
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.60.0.0/22", name="sdk-bulk")

    conn.requests_seen.clear()
    created = list(conn.network.create_ports(
        [{"network_id": net.id, "name": f"sdk-{i:03d}"} for i in range(BULK)]))
    posts = [r for r in conn.requests_seen if r[0] == "POST"]
    assert len(posts) == 1 and posts[0][1].endswith("/v2.0/ports")
    assert len(created) == BULK and len({p.id for p in created}) == BULK
    assert [p.name for p in created] == [f"sdk-{i:03d}" for i in range(BULK)]
    ips = {ip["ip_address"] for p in created for ip in p.fixed_ips}
    assert len(ips) == BULK and len({p.mac_address for p in created}) == BULK

    conn.requests_seen.clear()
    listed = list(conn.network.ports(network_id=net.id, limit=PAGE))
    ids = [p.id for p in listed]
    assert len(ids) == BULK and len(set(ids)) == BULK
    assert set(ids) == {p.id for p in created}
    gets = [url for method, url in conn.requests_seen if method == "GET"]
    # Five full pages, and at most one more (empty) ask to learn it was the last.
    assert 5 <= len(gets) <= 6, gets
    assert all(f"network_id={net.id}" in url for url in gets)

    one = conn.network.get_port(created[0].id)
    assert one.network_id == net.id and one.fixed_ips == created[0].fixed_ips

    conn.network.delete_port(created[0].id)
    assert conn.network.find_port(created[0].id) is None

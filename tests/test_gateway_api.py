"""The Neutron v2.0 API end to end: HTTP to the gateway process, gRPC to the
services, a real etcd underneath (the session cluster)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest_gateway import assert_neutron_error, client, create, network, subnet, unique


@pytest.fixture(scope="module")
def http(cluster):
    with client(cluster.gateway_url) as c:
        yield c


# --- discovery ------------------------------------------------------------------


def test_version_document(http, cluster):
    r = http.get("/")
    assert r.status_code == 200
    assert r.json() == {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [
        {"rel": "self", "href": f"{cluster.gateway_url}/v2.0/"}]}]}


@pytest.mark.parametrize("path", ["/v2.0", "/v2.0/"])
def test_resource_index(http, path):
    r = http.get(path)
    assert r.status_code == 200
    assert {x["collection"] for x in r.json()["resources"]} >= {"networks", "subnets", "ports", "nodes"}


def test_extensions(http):
    exts = http.get("/v2.0/extensions").json()["extensions"]
    aliases = {e["alias"] for e in exts}
    assert {"binding", "project-id", "standard-attr-revisions", "standard-attr-timestamp",
            "revision-if-match", "pagination", "sorting"} <= aliases
    for e in exts:
        assert set(e) >= {"alias", "name", "description", "updated", "links"}
    assert http.get("/v2.0/extensions/binding").json()["extension"]["alias"] == "binding"
    assert_neutron_error(http.get("/v2.0/extensions/tag-ports-during-bulk-creation"), 404)


def test_openapi_is_served(http):
    doc = http.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/v2.0/ports/{id}" in doc["paths"]


def test_unknown_path_and_method(http):
    assert_neutron_error(http.get("/v2.0/floatingips"), 404, "HTTPNotFound")
    assert_neutron_error(http.get("/v2.0/networks/a/b"), 404)
    r = http.patch("/v2.0/networks/x", json={})
    assert_neutron_error(r, 405)
    assert set(r.headers["allow"].split(", ")) == {"GET", "PUT", "DELETE"}


# --- create, show, update, delete ---------------------------------------------------


def test_network_life_cycle(http):
    r = http.post("/v2.0/networks", json={"network": {"name": "life"}})
    assert r.status_code == 201
    assert list(r.json()) == ["network"]
    n = r.json()["network"]
    assert n["name"] == "life" and n["admin_state_up"] is True and n["status"] == "ACTIVE"
    assert isinstance(n["revision_number"], int) and n["subnets"] == [] and n["tags"] == []
    assert http.get(f"/v2.0/networks/{n['id']}").json()["network"]["id"] == n["id"]

    r = http.put(f"/v2.0/networks/{n['id']}", json={"network": {"name": "renamed", "mtu": 1400}})
    assert r.status_code == 200
    u = r.json()["network"]
    assert (u["name"], u["mtu"]) == ("renamed", 1400) and u["revision_number"] > n["revision_number"]

    r = http.delete(f"/v2.0/networks/{n['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_neutron_error(http.get(f"/v2.0/networks/{n['id']}"), 404, "NetworkNotFound")
    assert_neutron_error(http.delete(f"/v2.0/networks/{n['id']}"), 404, "NetworkNotFound")


def test_bulk_create_is_one_list_and_atomic(http):
    names = [unique("bulk") for _ in range(3)]
    r = http.post("/v2.0/networks", json={"networks": [{"name": x} for x in names]})
    assert r.status_code == 201 and list(r.json()) == ["networks"]
    assert [n["name"] for n in r.json()["networks"]] == names

    net = network(http)
    subnet(http, net["id"], "10.30.0.0/24")
    tag = unique("atomic")
    ports = [{"network_id": net["id"], "name": tag}, {"network_id": net["id"], "name": tag,
                                                      "fixed_ips": [{"ip_address": "10.99.0.5"}]}]
    assert http.post("/v2.0/ports", json={"ports": ports}).status_code in (400, 409)
    assert http.get("/v2.0/ports", params={"name": tag}).json() == {"ports": []}


def test_subnets_v4_v6_and_null_gateway(http):
    net = network(http)
    s4 = subnet(http, net["id"], "10.31.0.0/24", dns_nameservers=["8.8.8.8"])
    assert s4["gateway_ip"] == "10.31.0.1" and s4["allocation_pools"] == [
        {"start": "10.31.0.2", "end": "10.31.0.254"}]
    for key in ("dns_nameservers", "host_routes", "allocation_pools", "service_types", "tags"):
        assert isinstance(s4[key], list)
    s6 = subnet(http, net["id"], "fd00:31::/64")
    assert s6["ip_version"] == 6 and s6["gateway_ip"] == "fd00:31::1"
    s_null = subnet(http, network(http)["id"], "10.32.0.0/24", gateway_ip=None)
    assert s_null["gateway_ip"] is None
    assert http.get(f"/v2.0/networks/{net['id']}").json()["network"]["subnets"].sort() == \
        [s4["id"], s6["id"]].sort()


def test_port_with_fixed_ip_and_host_binding(http):
    host = unique("host")
    node = create(http, "nodes", "node", name=host, local_ip="192.0.2.10")
    net = network(http)
    s = subnet(http, net["id"], "10.33.0.0/24")
    p = create(http, "ports", "port", network_id=net["id"], **{"binding:host_id": host},
               fixed_ips=[{"subnet_id": s["id"], "ip_address": "10.33.0.50"}])
    assert p["fixed_ips"] == [{"subnet_id": s["id"], "ip_address": "10.33.0.50"}]
    assert p["binding:host_id"] == host and p["binding:vif_type"] != "unbound"
    assert p["device_id"] == "" and p["admin_state_up"] is True and p["mac_address"]
    got = http.get("/v2.0/ports", params={"binding:host_id": host}).json()["ports"]
    assert [x["id"] for x in got] == [p["id"]]
    got = http.get("/v2.0/ports", params={"fixed_ips": "ip_address=10.33.0.50",
                                          "network_id": net["id"]}).json()["ports"]
    assert [x["id"] for x in got] == [p["id"]]
    # The same address again: Neutron's 409.
    r = http.post("/v2.0/ports", json={"port": {"network_id": net["id"],
                                                "fixed_ips": [{"ip_address": "10.33.0.50"}]}})
    assert_neutron_error(r, 409)
    # A node with ports bound cannot go; then it can.
    assert_neutron_error(http.delete(f"/v2.0/nodes/{node['id']}"), 409, "NodeInUse")
    assert http.delete(f"/v2.0/ports/{p['id']}").status_code == 204
    assert http.delete(f"/v2.0/nodes/{node['id']}").status_code == 204


def test_in_use_and_exhaustion_are_409(http):
    net = network(http)
    subnet(http, net["id"], "10.34.0.0/30")  # one address left after the gateway
    assert_neutron_error(http.delete(f"/v2.0/networks/{net['id']}"), 409, "NetworkInUse")
    create(http, "ports", "port", network_id=net["id"])
    r = http.post("/v2.0/ports", json={"port": {"network_id": net["id"]}})
    assert_neutron_error(r, 409, "IpAddressGenerationFailure")


def test_port_on_missing_network_is_404(http):
    r = http.post("/v2.0/ports", json={"port": {"network_id": "no-such-network"}})
    assert_neutron_error(r, 404, "NetworkNotFound")


# --- lists ---------------------------------------------------------------------------


def test_filters_or_and_fields(http):
    a, b, c = (network(http) for _ in range(3))
    r = http.get("/v2.0/networks", params=[("id", a["id"]), ("id", b["id"])])
    assert sorted(n["id"] for n in r.json()["networks"]) == sorted([a["id"], b["id"]])
    r = http.get("/v2.0/networks", params=[("name", c["name"]), ("fields", "id"), ("fields", "name")])
    assert r.json() == {"networks": [{"id": c["id"], "name": c["name"]}]}
    r = http.get(f"/v2.0/networks/{a['id']}", params={"fields": "name"})
    assert r.json() == {"network": {"name": a["name"]}}
    assert http.get("/v2.0/networks", params={"name": unique("none")}).json() == {"networks": []}


def test_pagination_links_and_sorting(http, cluster):
    name = unique("page")
    ids = sorted(network(http, name=name)["id"] for _ in range(5))
    seen, url, pages = [], "/v2.0/networks", 0
    params: dict | None = {"name": name, "limit": 2}
    while url and pages < 10:
        body = http.get(url, params=params).json()
        seen += [n["id"] for n in body["networks"]]
        nxt = [link["href"] for link in body.get("networks_links", []) if link["rel"] == "next"]
        url, params, pages = (nxt[0] if nxt else None), None, pages + 1
        if url:
            assert url.startswith(f"{cluster.gateway_url}/v2.0/networks?")
            q = parse_qs(urlparse(url).query)
            assert q["name"] == [name] and q["limit"] == ["2"] and "marker" in q
    assert seen == ids and pages == 3

    r = http.get("/v2.0/networks", params={"name": name, "sort_key": "id", "sort_dir": "desc"})
    assert [n["id"] for n in r.json()["networks"]] == ids[::-1]
    r = http.get("/v2.0/networks", params={"name": name, "limit": 2, "marker": ids[1]})
    assert [n["id"] for n in r.json()["networks"]] == ids[2:4]


@pytest.mark.parametrize("params", [
    {"bogus": "1"}, {"limit": "x"}, {"limit": "-1"}, {"sort_key": "nonsense"},
    {"sort_key": "name", "sort_dir": "sideways"}, {"page_reverse": "perhaps"},
])
def test_bad_list_parameters_are_400(http, params):
    assert_neutron_error(http.get("/v2.0/ports", params=params), 400)


# --- errors and conditions --------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b"{", b"", b"[]", b"null", b'{"network": {"name": 1}}', b'{"network": {"nope": 1}}',
    b'{"network": []}', b'{"nets": {}}', b'{"network": {"admin_state_up": "x"}}',
    b'{"network": {"mtu": 99999999999}}', b'{"network": {"mtu": 1.5}}',
    b'{"network": {"name": "\\ud800"}}', b"\xff\xfe",
])
def test_malformed_bodies_are_400(http, body):
    r = http.post("/v2.0/networks", content=body, headers={"content-type": "application/json"})
    assert_neutron_error(r, 400)


def test_empty_update_is_400(http):
    n = network(http)
    assert_neutron_error(http.put(f"/v2.0/networks/{n['id']}", json={"network": {}}), 400)
    assert_neutron_error(http.put(f"/v2.0/networks/{n['id']}", json={"network": {"id": "x"}}), 400)


def test_if_match(http):
    n = network(http)
    rev = n["revision_number"]
    r = http.put(f"/v2.0/networks/{n['id']}", json={"network": {"name": "x"}},
                 headers={"If-Match": f"revision_number={rev + 100}"})
    assert_neutron_error(r, 412, "RevisionNumberConstraintFailed")
    r = http.put(f"/v2.0/networks/{n['id']}", json={"network": {"name": "x"}},
                 headers={"If-Match": f"revision_number={rev}"})
    assert r.status_code == 200
    new_rev = r.json()["network"]["revision_number"]
    assert_neutron_error(http.delete(f"/v2.0/networks/{n['id']}", headers={"If-Match": str(rev)}),
                         412, "RevisionNumberConstraintFailed")
    assert_neutron_error(http.delete(f"/v2.0/networks/{n['id']}", headers={"If-Match": "junk"}), 400)
    assert http.delete(f"/v2.0/networks/{n['id']}", headers={"If-Match": str(new_rev)}).status_code == 204


def test_request_id_round_trip(http):
    r = http.get("/v2.0/networks", headers={"X-Request-Id": "req-test-123"})
    assert r.headers["x-request-id"] == "req-test-123"
    assert r.headers["x-openstack-request-id"] == "req-test-123"
    r = http.get("/v2.0/networks")
    assert r.headers["x-request-id"].startswith("req-")
    assert http.get("/v2.0/nope").headers["x-request-id"].startswith("req-")


def test_grpc_timeout(http):
    assert_neutron_error(http.get("/v2.0/networks", headers={"Grpc-Timeout": "soon"}), 400)
    assert http.get("/v2.0/networks", headers={"Grpc-Timeout": "10S"}).status_code == 200
    # A deadline already past when the call starts: gRPC usually, not always,
    # fails it before the service answers.
    statuses = []
    for _ in range(20):
        r = http.get("/v2.0/networks", headers={"Grpc-Timeout": "1n"})
        statuses.append(r.status_code)
        if r.status_code == 504:
            assert_neutron_error(r, 504, "GatewayTimeout")
            break
    assert 504 in statuses and set(statuses) <= {200, 504}


def test_nodes(http):
    name = unique("node")
    n = create(http, "nodes", "node", name=name, local_ip="192.0.2.20", mac_address="AA:BB:CC:00:11:22")
    assert n["mac_address"] == "aa:bb:cc:00:11:22"
    assert_neutron_error(http.post("/v2.0/nodes", json={"node": {"name": name, "local_ip": "192.0.2.21"}}),
                         409, "NodeNameInUse")
    assert_neutron_error(http.post("/v2.0/nodes", json={"node": {"name": unique("n"), "local_ip": "x"}}), 400)
    got = http.get("/v2.0/nodes", params={"name": name}).json()["nodes"]
    assert [x["id"] for x in got] == [n["id"]]
    r = http.put(f"/v2.0/nodes/{n['id']}", json={"node": {"local_ip": "192.0.2.22"}})
    assert r.json()["node"]["local_ip"] == "192.0.2.22"
    assert http.delete(f"/v2.0/nodes/{n['id']}").status_code == 204
    assert_neutron_error(http.get(f"/v2.0/nodes/{n['id']}"), 404, "NodeNotFound")


def test_explicit_empty_lists_mean_none_absent_ones_the_defaults(http):
    net = network(http)
    subnet(http, net["id"], "10.34.0.0/24")
    bare, plain = http.post("/v2.0/ports", json={"ports": [
        {"network_id": net["id"], "fixed_ips": [], "security_groups": []},
        {"network_id": net["id"]}]}).json()["ports"]
    assert (bare["fixed_ips"], bare["security_groups"]) == ([], [])
    assert len(plain["fixed_ips"]) == 1 and len(plain["security_groups"]) == 1
    got = http.get(f"/v2.0/ports/{bare['id']}").json()["port"]
    assert (got["fixed_ips"], got["security_groups"]) == ([], [])
    assert "alcor:empty_lists" not in got  # input only, never stored
    for p in (bare, plain):
        assert http.delete(f"/v2.0/ports/{p['id']}").status_code == 204

"""Projects: each sees and touches only its own resources; another project's
resource answers 404, never 403; an admin sees all. Once through a gateway
with a token file (a second gateway process on the session cluster) and once
through the no-auth gateway's X-Project-Id header."""
from __future__ import annotations

import json

import pytest

from cluster.local import free_port, wait_tcp
from tests.conftest_gateway import assert_neutron_error, client, create, network, subnet, unique

TOKENS = {
    "alice-token": {"project_id": "alice", "roles": ["member"]},
    "bob-token": {"project_id": "bob", "roles": ["member"]},
    "ops-token": {"project_id": "ops", "roles": ["admin"]},
}


@pytest.fixture(scope="module")
def token_gateway(cluster, tmp_path_factory):
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    path.write_text(json.dumps({"tokens": TOKENS}))
    listen = f"127.0.0.1:{free_port()}"
    p = cluster.start_gateway(listen=listen, replica=1, extra_env={"ALCOR_TOKEN_FILE": str(path)})
    wait_tcp(listen, p)
    yield f"http://{listen}"
    cluster.stop_process(p)


@pytest.fixture(params=["token", "header"])
def projects(request, cluster, token_gateway):
    """(alice, bob, admin) clients in one of the two auth modes."""
    if request.param == "token":
        clients = [client(token_gateway, token=t) for t in ("alice-token", "bob-token", "ops-token")]
    else:
        clients = [client(cluster.gateway_url, project="alice"), client(cluster.gateway_url, project="bob"),
                   client(cluster.gateway_url)]
    yield clients
    for c in clients:
        c.close()


def test_same_names_and_cidrs_in_two_projects(projects):
    alice, bob, admin = projects
    name = unique("shared-name")
    a_net, b_net = network(alice, name=name), network(bob, name=name)
    assert (a_net["project_id"], b_net["project_id"]) == ("alice", "bob")
    a_sub = subnet(alice, a_net["id"], "10.50.0.0/24")
    b_sub = subnet(bob, b_net["id"], "10.50.0.0/24")
    a_port = create(alice, "ports", "port", network_id=a_net["id"],
                    fixed_ips=[{"subnet_id": a_sub["id"], "ip_address": "10.50.0.10"}])
    b_port = create(bob, "ports", "port", network_id=b_net["id"],
                    fixed_ips=[{"subnet_id": b_sub["id"], "ip_address": "10.50.0.10"}])

    for me, mine in ((alice, (a_net, a_sub, a_port)), (bob, (b_net, b_sub, b_port))):
        for coll, res in zip(("networks", "subnets", "ports"), mine):
            listed = me.get(f"/v2.0/{coll}").json()[coll]
            assert {x["project_id"] for x in listed} <= {res["project_id"]}, coll
            assert res["id"] in {x["id"] for x in listed}
        assert [n["id"] for n in me.get("/v2.0/networks", params={"name": name}).json()["networks"]] \
            == [mine[0]["id"]]

    both = admin.get("/v2.0/networks", params={"name": name}).json()["networks"]
    assert {n["id"] for n in both} == {a_net["id"], b_net["id"]}

    # Bob cannot see, change or delete anything of Alice's: 404, as if it did not exist.
    for coll, singular, res, kind in (("networks", "network", a_net, "NetworkNotFound"),
                                      ("subnets", "subnet", a_sub, "SubnetNotFound"),
                                      ("ports", "port", a_port, "PortNotFound")):
        url = f"/v2.0/{coll}/{res['id']}"
        assert_neutron_error(bob.get(url), 404, kind)
        assert_neutron_error(bob.put(url, json={singular: {"name": "stolen"}}), 404, kind)
        assert_neutron_error(bob.delete(url), 404, kind)
        assert alice.get(url).json()[singular]["name"] == res["name"]
    assert bob.get("/v2.0/ports", params={"network_id": a_net["id"]}).json() == {"ports": []}
    # ...nor put a port on Alice's network.
    assert_neutron_error(bob.post("/v2.0/ports", json={"port": {"network_id": a_net["id"]}}),
                         404, "NetworkNotFound")
    # The admin may touch both.
    assert admin.get(f"/v2.0/ports/{b_port['id']}").status_code == 200
    for me, (net, port) in ((alice, (a_net, a_port)), (bob, (b_net, b_port))):
        assert me.delete(f"/v2.0/ports/{port['id']}").status_code == 204
    assert admin.delete(f"/v2.0/subnets/{a_sub['id']}").status_code == 204


def test_member_cannot_create_for_another_project(projects):
    alice, _, admin = projects
    r = alice.post("/v2.0/networks", json={"network": {"name": "x", "project_id": "bob"}})
    assert 400 <= r.status_code < 500 and "NeutronError" in r.json()
    r = admin.post("/v2.0/networks", json={"network": {"name": unique("for-bob"), "project_id": "bob"}})
    assert r.status_code == 201 and r.json()["network"]["project_id"] == "bob"


def test_tokens_are_required_and_decide(token_gateway):
    with client(token_gateway) as anonymous:
        assert anonymous.get("/").status_code == 200  # version discovery stays open
        assert anonymous.get("/openapi.json").status_code == 200
        for path in ("/v2.0/networks", "/v2.0/extensions", "/v2.0/"):
            assert_neutron_error(anonymous.get(path), 401, "Unauthorized")
        assert_neutron_error(anonymous.get("/v2.0/networks", headers={"X-Project-Id": "alice"}), 401)
    with client(token_gateway, token="wrong") as wrong:
        assert_neutron_error(wrong.get("/v2.0/networks"), 401)
    with client(token_gateway, token="bob-token", project="alice") as bob:
        n = network(bob)
        assert n["project_id"] == "bob"  # the token decides, not the header

"""Schemathesis against the gateway's own /openapi.json: positive and
negative cases for every operation, fixed seeds, a bounded number of cases
(driven through hypothesis directly: schemathesis' pytest plugin does not
run under pytest 9).
No answer may be a 5xx, every 4xx must be a NeutronError, and answers must
match the document (status codes, content types, response schemas).

The fuzzer acts as a member of its own project, so what it creates stays out
of other tests' way, and is cleaned up afterwards."""
from __future__ import annotations

import os

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway import openapi  # noqa: E402
from gateway.routes import build_routes  # noqa: E402

PROJECT = "fuzz"
HEADERS = {"X-Project-Id": PROJECT}
# Hypothesis runs derandomized (a fixed seed per operation); the config's
# seed fixes schemathesis' own choices.
CONFIG = {"seed": 20240601, "generation": {"deterministic": True, "database": "none"}}
# A few hundred cases in all; ALCOR_FUZZ_EXAMPLES=200 digs deeper by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("ALCOR_FUZZ_EXAMPLES", "12"))


def neutron_error_body(ctx, response, case):
    """Every 4xx answers {"NeutronError": {"type", "message", "detail"}}."""
    if 400 <= response.status_code < 500:
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"NeutronError"}, f"not a NeutronError: {body}"
        err = body["NeutronError"]
        assert set(err) == {"type", "message", "detail"}, err
        assert isinstance(err["type"], str) and err["type"], err
        assert isinstance(err["message"], str) and err["message"], err
    return None


CHECKS = [not_a_server_error, neutron_error_body, status_code_conformance, content_type_conformance,
          response_schema_conformance]


# The operations, known at collection time from the same generator the
# gateway serves /openapi.json with (test_openapi_is_what_the_gateway_serves
# checks they agree).
LOCAL_DOC = openapi.document(build_routes())
OPERATIONS = [(path, method) for path, item in LOCAL_DOC["paths"].items() for method in item]


@pytest.fixture(scope="module")
def gateway_schema(cluster):
    config = schemathesis.Config.from_dict(CONFIG)
    yield schemathesis.openapi.from_url(f"{cluster.gateway_url}/openapi.json", config=config)
    _clean_up(cluster.gateway_url)


@pytest.fixture(scope="module")
def real_ids(cluster, gateway_schema) -> dict[str, str]:
    """A network with a subnet and a port, and a node, in the fuzzer's
    project: half of the generated cases aim at them, so fuzzed bodies reach
    the services' update and create logic instead of stopping at a 404."""
    with httpx.Client(base_url=cluster.gateway_url, headers=HEADERS, timeout=30) as c:
        net = c.post("/v2.0/networks", json={"network": {"name": "fuzz"}}).json()["network"]
        sub = c.post("/v2.0/subnets", json={"subnet": {
            "network_id": net["id"], "ip_version": 4, "cidr": "10.77.0.0/16"}}).json()["subnet"]
        node = c.post("/v2.0/nodes", json={"node": {"name": f"fuzz-{net['id'][:8]}",
                                                    "local_ip": "192.0.2.77"}}).json()["node"]
        port = c.post("/v2.0/ports", json={"port": {"network_id": net["id"]}}).json()["port"]
    return {"networks": net["id"], "subnets": sub["id"], "ports": port["id"], "nodes": node["id"],
            "network_id": net["id"], "subnet_id": sub["id"], "host": node["name"]}


def test_openapi_is_what_the_gateway_serves(cluster):
    assert httpx.get(f"{cluster.gateway_url}/openapi.json").json() == LOCAL_DOC


def _aim(case, ids: dict[str, str], collection: str):
    """Points a generated create at the real network (and host)."""
    body = case.body
    items = []
    if isinstance(body, dict):
        for v in body.values():
            items += v if isinstance(v, list) else [v]
    for item in items:
        if isinstance(item, dict) and collection in ("ports", "subnets"):
            item["network_id"] = ids["network_id"]
            if collection == "ports" and "binding:host_id" in item:
                item["binding:host_id"] = ids["host"]
    return case


@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_gateway_fuzz(gateway_schema, real_ids, path, method):
    operation = gateway_schema[path][method]
    parts = path.split("/")
    collection = parts[2] if len(parts) > 2 else ""
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(mode))
        if path.endswith("/{id}") and collection in real_ids:
            strategies.append(operation.as_strategy(mode, path_parameters={"id": real_ids[collection]}))
        elif method == "post" and collection in ("ports", "subnets"):
            strategies.append(operation.as_strategy(mode).map(
                lambda case: _aim(case, real_ids, collection)))

    @given(case=st.one_of(strategies))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(headers=HEADERS, checks=CHECKS, timeout=30)

    fuzz()


def _clean_up(base_url: str) -> None:
    """Best effort: deletes what the fuzzer's project created."""
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=30) as c:
        for coll in ("ports", "subnets", "networks"):
            for item in c.get(f"/v2.0/{coll}").json().get(coll, []):
                c.delete(f"/v2.0/{coll}/{item['id']}")
    with httpx.Client(base_url=base_url, timeout=30) as admin:
        for node in admin.get("/v2.0/nodes").json().get("nodes", []):
            if node.get("project_id") == PROJECT:
                admin.delete(f"/v2.0/nodes/{node['id']}")

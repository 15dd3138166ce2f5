"""Concurrent single POSTs coalesced into CreatePortsBatch (gateway/coalesce.py):
the gateway (uvicorn on a free port, in this process) in front of a real gRPC
server that records what each call carried and answers slowly enough for
requests to queue; and svc_port's own CreatePortsBatch on the session cluster."""
from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from alcor.v1 import network_pb2, port_pb2, port_pb2_grpc, subnet_pb2
from gateway.coalesce import batch_key, is_bulk
from runtime.context import IDEMPOTENCY_KEY
from runtime.errors import NotFound, status_code, status_reason, to_status_proto
from tests.conftest_gateway import gateway_before

SLOW = 0.05  # each call takes this long, so that requests arriving meanwhile queue


def _port(request: port_pb2.CreatePortsRequest, md: dict) -> port_pb2.CreatePortsResponse:
    # Echoes what the call carried, so each response shows whose context it ran in.
    return port_pb2.CreatePortsResponse(port=port_pb2.Port(
        id=str(uuid.uuid4()), network_id=request.port.network_id, name=md.get("x-request-id", ""),
        project_id=md.get("x-alcor-project-id", ""), description=md.get(IDEMPOTENCY_KEY, "")))


class RecordingPorts(port_pb2_grpc.PortServiceServicer):
    def __init__(self, batches: bool = True):
        self.singles: list[dict] = []
        self.batches: list[dict] = []
        self.batch_supported = batches

    async def CreatePorts(self, request, ctx):
        md = dict(ctx.invocation_metadata())
        self.singles.append({"metadata": md, "bulk": len(request.ports)})
        await asyncio.sleep(SLOW)
        if request.ports:
            return port_pb2.CreatePortsResponse(ports=[port_pb2.Port(id=str(uuid.uuid4()))
                                                       for _ in request.ports])
        return _port(request, md)

    async def CreatePortsBatch(self, request, ctx):
        if not self.batch_supported:
            await ctx.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        self.batches.append({"metadata": dict(ctx.invocation_metadata()),
                             "calls": [dict(c.metadata) for c in request.calls],
                             "time_remaining": ctx.time_remaining()})
        await asyncio.sleep(SLOW)
        outcomes = []
        for c in request.calls:
            if c.request.port.network_id == "missing":
                outcomes.append(port_pb2.CreatePortsOutcome(error=to_status_proto(NotFound(
                    "Network missing could not be found.", reason="NetworkNotFound"))))
            else:
                outcomes.append(port_pb2.CreatePortsOutcome(created=_port(c.request, c.metadata)))
        return port_pb2.CreatePortsBatchResponse(outcomes=outcomes)


def _gateway_before(servicer):
    return gateway_before(port_pb2_grpc.add_PortServiceServicer_to_server, servicer, "port_addr")


@pytest.fixture
async def stack():
    rec = RecordingPorts()
    async with _gateway_before(rec) as (http, gw):
        yield http, rec, gw


def _headers(i: int, key: bool = True) -> dict:
    h = {"X-Request-Id": f"req-{i}", "X-Project-Id": f"project-{i % 3}",
         "traceparent": f"00-{i + 1:032x}-{i + 1:016x}-01"}
    if key:
        h["Idempotency-Key"] = f"key-{i}"
    return h


async def _post_all(http, n: int, key=lambda i: True, network=lambda i: "net-1"):
    return await asyncio.gather(*(
        http.post("/v2.0/ports", json={"port": {"network_id": network(i)}}, headers=_headers(i, key(i)))
        for i in range(n)))


async def test_concurrent_posts_go_together_each_with_its_own_context(stack):
    http, rec, gw = stack
    n = 24
    rs = await _post_all(http, n, network=lambda i: "missing" if i % 5 == 4 else "net-1")
    for i, r in enumerate(rs):
        if i % 5 == 4:
            assert r.status_code == 404 and r.json() == {"NeutronError": {
                "type": "NetworkNotFound", "message": "Network missing could not be found.",
                "detail": ""}}, (i, r.text)
            continue
        assert r.status_code == 201, (i, r.text)
        p = r.json()["port"]
        # Whichever way it went, the call ran as this request's own.
        assert (p["name"], p["project_id"], p["description"]) == (f"req-{i}", f"project-{i % 3}",
                                                                   f"key-{i}")
    coalesced = [c for b in rec.batches for c in b["calls"]]
    assert rec.batches
    assert len(rec.singles) + len(coalesced) == n  # every request went exactly once
    assert all(len(b["calls"]) > 1 for b in rec.batches)  # a lone request goes on its own
    for md in coalesced:
        i = int(md["x-request-id"].split("-")[1])
        assert md["x-alcor-project-id"] == f"project-{i % 3}" and md["x-alcor-roles"] == "member"
        assert md[IDEMPOTENCY_KEY] == f"key-{i}"
        assert md["traceparent"].split("-")[1] == f"{i + 1:032x}"  # the caller's trace goes on
    for b in rec.batches:
        # Every call had a key, so the batch has one (the mesh may retry it),
        # and its deadline is its calls' (30 s by default).
        assert b["metadata"][IDEMPOTENCY_KEY] == batch_key([c[IDEMPOTENCY_KEY] for c in b["calls"]])
        assert 25 < b["time_remaining"] <= 30.25
        assert "x-alcor-project-id" not in b["metadata"]  # nobody's project
    route = next(r for r in gw.routes if r.coalescer is not None)
    assert route.coalescer.coalesced == len(coalesced)


async def test_a_batch_with_a_keyless_call_has_no_key(stack):
    http, rec, _ = stack
    rs = await _post_all(http, 12, key=lambda i: i != 7)
    assert all(r.status_code == 201 for r in rs)
    with_7 = [b for b in rec.batches if any(c["x-request-id"] == "req-7" for c in b["calls"])]
    for b in rec.batches:
        assert (IDEMPOTENCY_KEY in b["metadata"]) == (b not in with_7)


async def test_a_bulk_goes_on_its_own(stack):
    http, rec, _ = stack
    bulk = http.post("/v2.0/ports", json={"ports": [{"network_id": "net-1"}] * 3},
                     headers={"X-Request-Id": "req-bulk"})
    rs = await asyncio.gather(bulk, *(http.post("/v2.0/ports", json={"port": {"network_id": "n"}},
                                                headers=_headers(i)) for i in range(12)))
    assert rs[0].status_code == 201 and len(rs[0].json()["ports"]) == 3
    assert [s["bulk"] for s in rec.singles if s["metadata"]["x-request-id"] == "req-bulk"] == [3]
    assert all("req-bulk" not in c["x-request-id"] for b in rec.batches for c in b["calls"])


async def test_a_queued_request_keeps_its_deadline(stack):
    http, rec, _ = stack
    # Four slow calls hold every slot and the rest queue; request 5's deadline
    # is shorter than its batch's (or its own call's, if it got a slot).
    rs = await asyncio.gather(*(http.post("/v2.0/ports", json={"port": {"network_id": "n"}},
                                          headers={**_headers(i), "Grpc-Timeout": "30m" if i == 5 else "30S"})
                                for i in range(10)))
    assert rs[5].status_code == 504 and rs[5].json()["NeutronError"]["type"] == "GatewayTimeout"
    assert all(r.status_code == 201 for i, r in enumerate(rs) if i != 5)


async def test_a_service_without_the_batch_method_gets_calls_of_their_own():
    # An older svc_port (mid grey release) answers UNIMPLEMENTED: each call
    # in the batch is sent on its own instead, and nothing is lost.
    rec = RecordingPorts(batches=False)
    async with _gateway_before(rec) as (http, _):
        rs = await _post_all(http, 16)
    assert [r.status_code for r in rs] == [201] * 16
    assert sorted(s["metadata"]["x-request-id"] for s in rec.singles) == sorted(
        f"req-{i}" for i in range(16))
    assert not rec.batches


def test_pure_parts():
    assert batch_key(["a", "b"]) == batch_key(["a", "b"]) != batch_key(["b", "a"])
    assert batch_key(["a", ""]) == "" and batch_key([]) == ""
    assert not is_bulk(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id="n")))
    assert is_bulk(port_pb2.CreatePortsRequest(ports=[port_pb2.Port(network_id="n")]))


# --- svc_port's CreatePortsBatch, on the session cluster --------------------------


async def test_svc_port_runs_each_call_as_its_own(api):
    net = (await api.networks.CreateNetworks(network_pb2.CreateNetworksRequest(
        network=network_pb2.Network(name="coalesce", project_id="p-a")))).network
    await api.subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(subnet=subnet_pb2.Subnet(
        network_id=net.id, cidr="10.77.0.0/24", ip_version=4, project_id="p-a")))

    def call(network_id: str, project: str, key: str = "") -> port_pb2.CreatePortsCall:
        md = {"x-alcor-project-id": project, "x-alcor-roles": "member",
              "x-request-id": f"req-{uuid.uuid4().hex[:8]}"}
        if key:
            md[IDEMPOTENCY_KEY] = key
        return port_pb2.CreatePortsCall(
            request=port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=network_id)), metadata=md)

    key = f"k-{uuid.uuid4().hex}"
    resp = await api.ports.CreatePortsBatch(port_pb2.CreatePortsBatchRequest(calls=[
        call(net.id, "p-a", key), call("no-such-network", "p-a"), call(net.id, "p-b")]))
    first, missing, other = resp.outcomes
    assert first.WhichOneof("result") == "created"
    assert first.created.port.project_id == "p-a" and first.created.port.fixed_ips
    assert missing.WhichOneof("result") == "error"
    assert status_code(missing.error) == grpc.StatusCode.NOT_FOUND
    assert status_reason(missing.error) == "NetworkNotFound"
    # p-b may not create a port on p-a's private network: refused alone.
    assert other.WhichOneof("result") == "error", other
    assert status_code(other.error) == grpc.StatusCode.NOT_FOUND
    # A retry of the keyed call (in a batch of its own) gets the first outcome.
    again = await api.ports.CreatePortsBatch(port_pb2.CreatePortsBatchRequest(calls=[
        call(net.id, "p-a", key)]))
    assert again.outcomes[0].created.port.id == first.created.port.id


async def test_svc_port_refuses_an_oversized_batch(api):
    from svc_port.servicer import MAX_BATCH_CALLS
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await api.ports.CreatePortsBatch(port_pb2.CreatePortsBatchRequest(
            calls=[port_pb2.CreatePortsCall()] * (MAX_BATCH_CALLS + 1)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"at most {MAX_BATCH_CALLS} calls" in e.value.details()

"""What travels with a call: the gateway (uvicorn on a free port, in this
process) in front of a real gRPC server that records what it receives --
request id, project and roles, trace context, deadline, idempotency key --
and answers with chosen statuses."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from alcor.v1 import common_pb2, network_pb2, network_pb2_grpc
from runtime.errors import AlcorError, NotFound, to_status
from tests.conftest_gateway import gateway_before

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


class RecordingNetworks(network_pb2_grpc.NetworkServiceServicer):
    def __init__(self):
        self.calls: list[dict] = []

    def _record(self, ctx, request) -> None:
        self.calls.append({"metadata": dict(ctx.invocation_metadata()),
                           "time_remaining": ctx.time_remaining(), "request": request})

    async def GetNetwork(self, request, ctx):
        self._record(ctx, request)
        if request.id == "missing":
            await ctx.abort_with_status(to_status(NotFound("Network missing could not be found.",
                                                           reason="NetworkNotFound")))
        if request.id == "broken":
            await ctx.abort_with_status(to_status(AlcorError("internal error")))
        if request.id == "slow":
            await asyncio.sleep(2)
        return network_pb2.GetNetworkResponse(network=network_pb2.Network(id=request.id, revision_number=9))

    async def ListNetworks(self, request, ctx):
        self._record(ctx, request)
        return network_pb2.ListNetworksResponse(
            networks=[network_pb2.Network(id="a")],
            networks_links=[common_pb2.Link(rel="next", href="?limit=1&marker=a")])


@pytest.fixture
async def stack():
    servicer = RecordingNetworks()
    # Subnets (same address) answer UNIMPLEMENTED; ports point at nothing.
    async with gateway_before(network_pb2_grpc.add_NetworkServiceServicer_to_server, servicer,
                              "vpc_addr") as (http, _):
        yield http, servicer


async def test_context_travels_as_metadata(stack):
    http, rec = stack
    r = await http.get("/v2.0/networks/n1", headers={
        "X-Request-Id": "req-abc", "X-Project-Id": "p1", "Idempotency-Key": "k-1",
        "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"})
    assert r.status_code == 200 and r.json()["network"]["revision_number"] == 9
    assert r.headers["x-request-id"] == "req-abc"
    md = rec.calls[-1]["metadata"]
    assert md["x-request-id"] == "req-abc"
    assert md["x-alcor-project-id"] == "p1" and md["x-alcor-roles"] == "member"
    assert md["x-idempotency-key"] == "k-1"
    # The gateway joined the caller's trace with a span of its own.
    version, trace_id, span_id, _ = md["traceparent"].split("-")
    assert trace_id == CALLER_TRACE and span_id != CALLER_SPAN


async def test_defaults_admin_generated_id_and_new_trace(stack):
    http, rec = stack
    r = await http.get("/v2.0/networks/n1")
    md = rec.calls[-1]["metadata"]
    assert md["x-alcor-roles"] == "admin" and md["x-alcor-project-id"] == "default"
    assert md["x-request-id"] == r.headers["x-request-id"] and md["x-request-id"].startswith("req-")
    assert "x-idempotency-key" not in md
    assert md["traceparent"].split("-")[1] != CALLER_TRACE


async def test_roles_header_in_no_auth_mode(stack):
    http, rec = stack
    await http.get("/v2.0/networks/n1", headers={"X-Project-Id": "p2", "X-Roles": "admin"})
    md = rec.calls[-1]["metadata"]
    assert (md["x-alcor-project-id"], md["x-alcor-roles"]) == ("p2", "admin")


# The upper bounds allow gRPC core's cached clock, which can lag by a
# tenth of a second on a loaded box (time_remaining 30.098 s was seen).
@pytest.mark.parametrize("header,low,high", [(None, 25, 30.25), ("5S", 3, 5.25), ("1500m", 0.5, 1.75)])
async def test_grpc_timeout_becomes_the_deadline(stack, header, low, high):
    http, rec = stack
    await http.get("/v2.0/networks/n1", headers={"Grpc-Timeout": header} if header else {})
    assert low <= rec.calls[-1]["time_remaining"] <= high


async def test_deadline_exceeded_is_504(stack):
    http, _ = stack
    r = await http.get("/v2.0/networks/slow", headers={"Grpc-Timeout": "200m"})
    assert r.status_code == 504 and r.json()["NeutronError"]["type"] == "GatewayTimeout"


async def test_statuses_from_the_service(stack):
    http, _ = stack
    r = await http.get("/v2.0/networks/missing")
    assert r.status_code == 404
    assert r.json() == {"NeutronError": {"type": "NetworkNotFound",
                                         "message": "Network missing could not be found.", "detail": ""}}
    r = await http.get("/v2.0/networks/broken")
    assert r.status_code == 500 and r.json()["NeutronError"]["type"] == "InternalError"
    r = await http.get("/v2.0/subnets/s1")  # a service the server does not implement
    assert r.status_code == 501 and r.json()["NeutronError"]["type"] == "NotImplemented"


async def test_unreachable_backend_is_503(stack):
    http, _ = stack
    r = await http.get("/v2.0/ports/p1")
    assert r.status_code == 503
    err = r.json()["NeutronError"]
    assert err["type"] == "ServiceUnavailable" and "unavailable" in err["message"]


async def test_links_are_absolute_with_the_callers_filters(stack):
    http, rec = stack
    r = await http.get("/v2.0/networks?name=x&limit=1", headers={"Host": "neutron.example:9696"})
    assert r.json()["networks_links"] == [
        {"rel": "next", "href": "http://neutron.example:9696/v2.0/networks?name=x&limit=1&marker=a"}]
    assert list(rec.calls[-1]["request"].name) == ["x"] and rec.calls[-1]["request"].limit == 1

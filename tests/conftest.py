"""Shared fixtures: one real local cluster per test session (a real etcd in a
temp dir, every service as its own process on free ports, the gateway when it
exists), and gRPC stubs bound to it. No fakes of etcd or gRPC anywhere."""
from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass

import grpc
import pytest

from alcor.v1 import (ipam_pb2_grpc, mac_pb2_grpc, network_pb2_grpc, node_pb2_grpc,
                      port_pb2_grpc, subnet_pb2_grpc)
from cluster.local import LocalCluster, etcd_binary
from runtime.store import Store


def pytest_collection_modifyitems(config, items):
    if etcd_binary() is None:
        skip = pytest.mark.skip(reason="etcd is not installed (Debian etcd-server); `make test` installs it")
        for item in items:
            if "cluster" in item.fixturenames or "api" in item.fixturenames:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> LocalCluster:
    """The whole control plane, with a second replica of svc_ip and svc_mac so
    concurrency tests can spread calls over two processes."""
    base = tmp_path_factory.mktemp("alcor")
    c = LocalCluster.on_free_ports(base, replicas={"svc_ip": 1, "svc_mac": 1})
    c.start()
    yield c
    c.stop()
    shutil.rmtree(base / "etcd", ignore_errors=True)


@dataclass
class Api:
    """Generated stubs bound to the session cluster."""

    channels: list[grpc.aio.Channel]
    networks: network_pb2_grpc.NetworkServiceStub
    subnets: subnet_pb2_grpc.SubnetServiceStub
    ports: port_pb2_grpc.PortServiceStub
    nodes: node_pb2_grpc.NodeServiceStub
    ipam: list[ipam_pb2_grpc.IpamServiceStub]  # one per replica
    macs: list[mac_pb2_grpc.MacServiceStub]
    store: Store

    async def close(self):
        for c in self.channels:
            await c.close()
        await self.store.close()


@pytest.fixture
async def api(cluster: LocalCluster):
    chans: dict[str, grpc.aio.Channel] = {}

    def ch(address: str) -> grpc.aio.Channel:
        if address not in chans:
            chans[address] = grpc.aio.insecure_channel(address)
        return chans[address]

    a = Api(
        channels=[],
        networks=network_pb2_grpc.NetworkServiceStub(ch(cluster.address("svc_vpc"))),
        subnets=subnet_pb2_grpc.SubnetServiceStub(ch(cluster.address("svc_vpc"))),
        ports=port_pb2_grpc.PortServiceStub(ch(cluster.address("svc_port"))),
        nodes=node_pb2_grpc.NodeServiceStub(ch(cluster.address("svc_dpm"))),
        ipam=[ipam_pb2_grpc.IpamServiceStub(ch(p.address)) for p in cluster.replicas_of("svc_ip")],
        macs=[mac_pb2_grpc.MacServiceStub(ch(p.address)) for p in cluster.replicas_of("svc_mac")],
        store=Store(cluster.etcd_endpoint),
    )
    a.channels = list(chans.values())
    yield a
    await a.close()


async def eventually(check, timeout: float = 10.0, interval: float = 0.02):
    """Polls `check` (sync or async) until it returns truthy or stops raising
    AssertionError; returns its value. Used instead of sleeps."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
        except AssertionError as e:
            last = e
        await asyncio.sleep(interval)
    if last:
        raise last
    raise AssertionError(f"condition not met within {timeout}s")

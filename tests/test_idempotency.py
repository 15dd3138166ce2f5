"""Retry-safe creates: a retried create with the same request id (or an
internal call with the same idempotency key) returns the first result and
allocates once."""
import asyncio
import uuid

import grpc

from alcor.v1 import ipam_pb2, mac_pb2, port_pb2
from runtime import keys
from tests.test_core_concurrency import allocated_bits
from tests.test_core_resources import new_network, new_subnet


async def test_retried_port_create_allocates_once(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.70.0.0/24")
    rid = [("x-request-id", "req-" + uuid.uuid4().hex)]
    req = port_pb2.CreatePortsRequest(ports=[port_pb2.Port(network_id=n.id) for _ in range(3)])
    first = await api.ports.CreatePorts(req, metadata=rid)
    again = await api.ports.CreatePorts(req, metadata=rid)
    assert [p.id for p in again.ports] == [p.id for p in first.ports]
    assert [p.fixed_ips for p in again.ports] == [p.fixed_ips for p in first.ports]
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 3
    # Concurrent duplicates (a mesh retry racing the original) also converge.
    rid2 = [("x-request-id", "req-" + uuid.uuid4().hex)]
    single = port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id))
    results = await asyncio.gather(*(api.ports.CreatePorts(single, metadata=rid2) for _ in range(5)))
    assert len({r.port.id for r in results}) == 1
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 4
    # A different id is a different create.
    other = await api.ports.CreatePorts(single, metadata=[("x-request-id", "req-" + uuid.uuid4().hex)])
    assert other.port.id != results[0].port.id


async def test_a_late_retry_gives_back_nothing_it_does_not_own(api):
    """A retry allocates beside its record read: when the first create's
    ports are gone and their addresses taken by another port, the retry is
    answered from the record, and what the allocators replayed (now the
    other port's) is not given back."""
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.72.0.0/29")  # 5 addresses: reuse is certain
    rid = [("x-request-id", "req-" + uuid.uuid4().hex)]
    req = port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id))
    first = (await api.ports.CreatePorts(req, metadata=rid)).port
    await api.ports.DeletePort(port_pb2.DeletePortRequest(id=first.id))
    taken = [(await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(
        network_id=n.id)))).port for _ in range(5)]
    assert first.fixed_ips[0].ip_address in {p.fixed_ips[0].ip_address for p in taken}
    # The retry hears that what its create made is gone...
    try:
        await api.ports.CreatePorts(req, metadata=rid)
        raise AssertionError("a retry of a deleted create answered as if it made a port")
    except grpc.aio.AioRpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND and first.id in e.details()
    # ...and frees nobody's address on the way.
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 5


async def test_internal_allocation_retry_returns_first_outcome(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.71.0.0/24")
    key = [("x-idempotency-key", uuid.uuid4().hex)]
    req = ipam_pb2.AllocateIpsRequest(requests=[ipam_pb2.IpRequest(subnet_id=s.id)] * 2)
    a = await api.ipam[0].AllocateIps(req, metadata=key)
    b = await api.ipam[1].AllocateIps(req, metadata=key)  # the retry lands on the other replica
    assert list(a.allocations) == list(b.allocations)
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 2
    mreq = mac_pb2.AllocateMacsRequest(requests=[mac_pb2.MacRequest()] * 2)
    m1 = await api.macs[0].AllocateMacs(mreq, metadata=key)
    m2 = await api.macs[1].AllocateMacs(mreq, metadata=key)
    assert list(m1.mac_addresses) == list(m2.mac_addresses)
    await api.macs[0].ReleaseMacs(mac_pb2.ReleaseMacsRequest(mac_addresses=m1.mac_addresses))


async def test_retried_network_create_takes_one_vni(api):
    from alcor.v1 import network_pb2

    rid = [("x-request-id", "req-" + uuid.uuid4().hex)]
    req = network_pb2.CreateNetworksRequest(network=network_pb2.Network(name="once"))
    a = await api.networks.CreateNetworks(req, metadata=rid)
    b = await api.networks.CreateNetworks(req, metadata=rid)
    assert a.network.id == b.network.id
    assert a.network.provider_segmentation_id == b.network.provider_segmentation_id

"""No address or MAC is ever handed out twice, under concurrency and across
replicas; bulk creates are all-or-none."""
import asyncio
import uuid

import grpc

from alcor.v1 import common_pb2, ipam_pb2, mac_pb2, port_pb2
from runtime import bitmap, keys
from runtime.errors import reason_of
from tests.test_core_resources import new_network, new_subnet


async def outcomes(coros):
    res = await asyncio.gather(*coros, return_exceptions=True)
    ok = [r for r in res if not isinstance(r, BaseException)]
    bad = [r for r in res if isinstance(r, BaseException)]
    return ok, bad


async def allocated_bits(api, prefix: bytes) -> int:
    kvs, _ = await api.store.scan(prefix)
    return sum(bitmap.count(kv.value) for kv in kvs)


async def test_200_concurrent_allocations_over_two_replicas(api):
    assert len(api.ipam) == 2
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.50.0.0/24")
    ok, bad = await outcomes(
        api.ipam[i % 2].AllocateIps(ipam_pb2.AllocateIpsRequest(requests=[ipam_pb2.IpRequest(subnet_id=s.id)]))
        for i in range(200))
    assert not bad
    ips = [r.allocations[0].ip_address for r in ok]
    assert len(set(ips)) == 200
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 200
    # Release is idempotent: twice is fine, and everything is free again.
    rel = ipam_pb2.ReleaseIpsRequest(allocations=[r.allocations[0] for r in ok])
    assert (await api.ipam[0].ReleaseIps(rel)).released == 200
    assert (await api.ipam[1].ReleaseIps(rel)).released == 0
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 0


async def test_64_concurrent_port_creates_on_a_slash_28(api):
    n = await new_network(api)
    await new_subnet(api, n.id, "10.51.0.0/28")  # 13 usable: 16 - network - broadcast - gateway
    ok, bad = await outcomes(
        api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id)))
        for _ in range(64))
    assert len(ok) == 13, sorted(r.port.fixed_ips[0].ip_address if r.port.fixed_ips else "-" for r in ok)
    assert len({r.port.fixed_ips[0].ip_address for r in ok}) == 13
    assert len(bad) == 51
    for e in bad:
        assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert reason_of(e) == "IpAddressGenerationFailure"
        assert "No more IP addresses available on network" in e.details()


async def test_64_concurrent_direct_allocations_on_a_slash_28_over_replicas(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.52.0.0/28")
    ok, bad = await outcomes(
        api.ipam[i % 2].AllocateIps(ipam_pb2.AllocateIpsRequest(requests=[ipam_pb2.IpRequest(subnet_id=s.id)]))
        for i in range(64))
    assert len(ok) == 13 and len({r.allocations[0].ip_address for r in ok}) == 13
    assert all(reason_of(e) == "IpAddressGenerationFailure" for e in bad) and len(bad) == 51


async def test_requested_duplicate_mac_exactly_one_wins(api):
    mac = "fa:16:3e:%02x:%02x:%02x" % tuple(uuid.uuid4().bytes[:3])
    ok, bad = await outcomes(
        api.macs[i % 2].AllocateMacs(mac_pb2.AllocateMacsRequest(requests=[mac_pb2.MacRequest(mac_address=mac)]))
        for i in range(64))
    assert len(ok) == 1 and len(bad) == 63
    assert all(e.code() == grpc.StatusCode.ALREADY_EXISTS and reason_of(e) == "MacAddressInUse" for e in bad)
    await api.macs[0].ReleaseMacs(mac_pb2.ReleaseMacsRequest(mac_addresses=[mac]))


async def test_requested_duplicate_mac_through_ports(api):
    n = await new_network(api)
    await new_subnet(api, n.id, "10.53.0.0/24")
    mac = "fa:16:3e:%02x:%02x:%02x" % tuple(uuid.uuid4().bytes[:3])
    ok, bad = await outcomes(
        api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id, mac_address=mac)))
        for _ in range(64))
    assert len(ok) == 1 and all(reason_of(e) == "MacAddressInUse" for e in bad)
    # The 63 losers gave their IPs back: only the winner's address is taken.
    subnet_id = ok[0].port.fixed_ips[0].subnet_id
    assert await allocated_bits(api, keys.ip_blocks(subnet_id)) == 1


async def test_many_free_macs_are_distinct_across_replicas(api):
    ok, bad = await outcomes(
        api.macs[i % 2].AllocateMacs(mac_pb2.AllocateMacsRequest(requests=[mac_pb2.MacRequest()] * 50))
        for i in range(20))
    assert not bad
    macs = [m for r in ok for m in r.mac_addresses]
    assert len(macs) == 1000 and len(set(macs)) == 1000
    await api.macs[1].ReleaseMacs(mac_pb2.ReleaseMacsRequest(mac_addresses=macs))


async def test_bulk_create_failing_on_last_item_leaves_nothing(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.54.0.0/24")
    taken = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id)))).port
    ip_before = await allocated_bits(api, keys.ip_blocks(s.id))
    mac_before = await allocated_bits(api, keys.MAC_BLOCKS)
    for bad_last in (
        port_pb2.Port(network_id=n.id, mac_address=taken.mac_address),                # MAC in use
        port_pb2.Port(network_id=n.id, fixed_ips=[common_pb2.FixedIp(
            subnet_id=s.id, ip_address=taken.fixed_ips[0].ip_address)]),              # IP in use
    ):
        reqs = [port_pb2.Port(network_id=n.id) for _ in range(99)] + [bad_last]
        try:
            await api.ports.CreatePorts(port_pb2.CreatePortsRequest(ports=reqs))
            raise AssertionError("bulk create should have failed")
        except grpc.aio.AioRpcError as e:
            assert e.code() == grpc.StatusCode.ALREADY_EXISTS
        assert await allocated_bits(api, keys.ip_blocks(s.id)) == ip_before
        assert await allocated_bits(api, keys.MAC_BLOCKS) == mac_before
        listed = await api.ports.ListPorts(port_pb2.ListPortsRequest(network_id=[n.id]))
        assert [p.id for p in listed.ports] == [taken.id]


async def test_bulk_create_of_1000_ports_is_one_rpc(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.55.0.0/20")
    r = await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
        ports=[port_pb2.Port(network_id=n.id) for _ in range(1000)]))
    assert len({p.fixed_ips[0].ip_address for p in r.ports}) == 1000
    assert len({p.mac_address for p in r.ports}) == 1000
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 1000

"""Reservations: the allocators decide and write nothing; whoever commits
the returned writes (svc_port, with its ports) makes the allocation. Real
etcd and real gRPC; the pure packing and translation as tables."""
import asyncio

import grpc
import pytest

from alcor.v1 import ipam_pb2, mac_pb2, node_pb2, port_pb2
from runtime import keys, reservation
from runtime.errors import reason_of
from runtime.store import Absent, At, Delete, Holds, Put, StoreConflict, Unit, merge
from svc_port.held import Chain, Held
from svc_dpm.delivery import URGENT_TXN_PORTS
from svc_port.reserved import TXN_PORTS, chunks
from tests.test_core_concurrency import allocated_bits
from tests.test_core_resources import new_network, new_subnet, uid


# --- pure ---------------------------------------------------------------------


@pytest.mark.parametrize("sized,want_chunks,want_alone", [
    ([], [], []),
    ([(0, (10, 10, 1)), (1, (10, 10, 1))], [[0, 1]], []),
    ([(0, (100, 10, 1)), (1, (28, 10, 1)), (2, (1, 1, 1))], [[0, 1], [2]], []),
    ([(0, (10, 120, 1)), (1, (10, 9, 1)), (2, (10, 1, 1))], [[0], [1, 2]], []),
    ([(0, (129, 1, 1)), (1, (1, 1, 1))], [[1]], [0]),
    ([(0, (1, 200, 1)), (1, (128, 128, 1))], [[1]], [0]),
    # At most TXN_PORTS ports a transaction, so svc_dpm delivers them at once.
    ([(i, (1, 1, 1)) for i in range(TXN_PORTS + 2)],
     [list(range(TXN_PORTS)), [TXN_PORTS, TXN_PORTS + 1]], []),
    ([(0, (5, 5, TXN_PORTS - 5)), (1, (5, 5, 6)), (2, (5, 5, 2))], [[0], [1, 2]], []),
])
def test_calls_are_packed_in_order_into_transactions(sized, want_chunks, want_alone):
    assert chunks(sized) == (want_chunks, want_alone)


def test_svc_dpm_delivers_a_transaction_of_single_creates_at_once():
    # What svc_port packs singles up to is what svc_dpm takes for singles.
    assert TXN_PORTS == URGENT_TXN_PORTS


def test_a_reservation_crosses_the_wire_unchanged():
    u = Unit([Absent(b"/a"), At(b"/b", 7), Holds(b"/c", b"\x01\x02")],
             [Put(b"/a", b"x"), Delete(b"/d")])
    assert reservation.to_unit(reservation.to_proto(u)) == u


def test_a_reservation_cannot_carry_leases_or_ranges():
    with pytest.raises(ValueError):
        reservation.to_proto(Unit([Absent(b"/a")], [Put(b"/a", b"x", lease=5)]))


B = b"/blocks/0"


@pytest.mark.parametrize("chain,want", [
    # Each decided on the one before: the first guard and the last write.
    ([Unit([Absent(B)], [Put(B, b"1")]), Unit([Holds(B, b"1")], [Put(B, b"3")])],
     Unit([Absent(B)], [Put(B, b"3")])),
    ([Unit([At(b"/s", 4), Holds(B, b"1")], [Put(B, b"3")]),
      Unit([At(b"/s", 4), Holds(B, b"3")], [Put(B, b"7")]), Unit()],
     Unit([At(b"/s", 4), Holds(B, b"1")], [Put(B, b"7")])),
])
def test_a_chain_composes_into_one_unit(chain, want):
    assert reservation.compose(chain) == want


def test_reservations_not_decided_on_each_other_do_not_compose():
    """Both decided on the same block state: together they could hand out
    one address twice, and one guard would hide the other."""
    with pytest.raises(reservation.BrokenChain):
        reservation.compose([Unit([Holds(B, b"1")], [Put(B, b"3")]), Unit([Holds(B, b"1")], [Put(B, b"5")])])


def test_dropping_a_reservation_drops_what_was_decided_on_it():
    chain = [Unit([Holds(B, b"0")], [Put(B, b"1")]), Unit([Absent(b"/other")], [Put(b"/other", b"x")]),
             Unit([Holds(B, b"1")], [Put(B, b"3")]), Unit([Holds(B, b"3")], [Put(B, b"7")])]
    assert reservation.still_valid(chain, {1, 2, 3}) == {1}
    assert reservation.still_valid(chain, {0, 1, 3}) == {0, 1}
    assert reservation.still_valid(chain, {0, 1, 2, 3}) == {0, 1, 2, 3}


def test_held_reservations_serve_in_the_order_they_were_decided():
    m1, m2, m3 = (Held(None, [f"m{i}"], Unit([Holds(B, bytes([i]))], [Put(B, bytes([i + 1]))]))
                  for i in range(3))
    ip = Held(("net", 3, (4,)), ["10.0.0.2"], Unit([Absent(b"/ipb")], [Put(b"/ipb", b"x")]))
    chain = Chain([m1, ip, m2, m3])
    assert chain.take(None, 2, set()) == [m1, m2]
    assert chain.take(None, 2, set(), prefix=True) == [m1]  # MACs only from the front
    assert chain.take(None, 5, {id(m1)}) == [m2, m3]
    assert chain.holds_other_revision_of("net", 4) and not chain.holds_other_revision_of("net", 3)
    assert chain.unused({id(m1), id(m2), id(m3)}, "net") and not chain.unused({id(ip)}, "net")
    # Dropping m2 takes m3 (decided on the block m2 wrote) and makes the chain stale.
    assert chain.drop([m2]) == [m2, m3] and chain.items == [m1, ip] and chain.stale
    chain.committed([m1])
    assert chain.items == [ip]


def test_merged_units_guard_each_key_state_once():
    net = At(b"/net", 3)
    merged = merge([Unit([net, Absent(b"/p1")], [Put(b"/p1", b"1")]),
                    Unit([net, Absent(b"/p2")], [Put(b"/p2", b"2")])])
    assert merged.guards == [net, Absent(b"/p1"), Absent(b"/p2")]
    assert [w.key for w in merged.writes] == [b"/p1", b"/p2"]


# --- against the cluster ------------------------------------------------------


def ip_calls(subnet_id: str, n: int) -> list:
    return [ipam_pb2.AllocateIpsRequest(requests=[ipam_pb2.IpRequest(subnet_id=subnet_id)])
            for _ in range(n)]


def whole(resp):
    """Every call's reservation of a response, as one unit."""
    return reservation.compose([reservation.to_unit(r) for r in resp.reservations])


def ips_of(resp) -> list[str]:
    return [o.allocated.allocations[0].ip_address for o in resp.outcomes]


async def test_a_reservation_takes_nothing_until_committed(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.60.0.0/24")
    r = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 3)))
    assert ips_of(r) == ["10.60.0.2", "10.60.0.3", "10.60.0.4"]
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 0
    await api.store.commit(whole(r))
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 3
    # The same reservation twice: its guards no longer hold.
    with pytest.raises(StoreConflict):
        await api.store.commit(whole(r))
    # The next one chains on the first (no read), and lands after it.
    r2 = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1)))
    assert ips_of(r2) == ["10.60.0.5"]
    await api.store.commit(whole(r2))
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 4


async def test_a_dropped_reservation_fails_the_next_until_it_is_asked_fresh(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.61.0.0/24")
    warm = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1)))
    await api.store.commit(whole(warm))
    await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 2)))  # dropped
    chained = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1)))
    assert ips_of(chained) == ["10.61.0.5"]
    with pytest.raises(StoreConflict):
        await api.store.commit(whole(chained))
    fresh = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1), fresh=True))
    assert ips_of(fresh) == ["10.61.0.3"]  # what the dropped one held was never taken
    await api.store.commit(whole(fresh))
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 2


async def test_two_replicas_reserving_the_same_address_cannot_both_commit(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.62.0.0/24")
    a, b = [await api.ipam[i].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1), fresh=True))
            for i in (0, 1)]
    assert ips_of(a) == ips_of(b)
    await api.store.commit(whole(a))
    with pytest.raises(StoreConflict):
        await api.store.commit(whole(b))
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 1


async def test_a_refused_call_fails_alone_in_a_reservation(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.63.0.0/24")
    calls = ip_calls(s.id, 1) + [ipam_pb2.AllocateIpsRequest(requests=[
        ipam_pb2.IpRequest(subnet_id=s.id, ip_address="10.64.0.9")])] + ip_calls(s.id, 1)
    r = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=calls, fresh=True))
    assert [o.WhichOneof("result") for o in r.outcomes] == ["allocated", "error", "allocated"]
    assert r.outcomes[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    await api.store.commit(whole(r))
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 2


async def test_mac_reservations_are_distinct_and_take_nothing_until_committed(api):
    before = await allocated_bits(api, keys.MAC_BLOCKS)
    calls = [mac_pb2.AllocateMacsRequest(requests=[mac_pb2.MacRequest()]) for _ in range(5)]
    # A chain of its own: svc_port's (held ahead) are not this test's to know.
    r = await api.macs[0].ReserveMacs(mac_pb2.ReserveMacsRequest(calls=calls, chain="test-" + uid()))
    macs = [o.allocated.mac_addresses[0] for o in r.outcomes]
    assert len(set(macs)) == 5
    assert await allocated_bits(api, keys.MAC_BLOCKS) == before
    await api.store.commit(whole(r))
    assert await allocated_bits(api, keys.MAC_BLOCKS) == before + 5
    await api.macs[0].ReleaseMacs(mac_pb2.ReleaseMacsRequest(mac_addresses=macs))


async def test_a_create_that_fails_at_its_commit_takes_no_address(api):
    """The host is not registered: the port's guard on it fails the one
    transaction that would also have taken its IP and MAC."""
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.65.0.0/24")
    macs_before = await allocated_bits(api, keys.MAC_BLOCKS)
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await api.ports.CreatePorts(port_pb2.CreatePortsRequest(
            port=port_pb2.Port(network_id=n.id, binding_host_id="nowhere-" + uid())))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and reason_of(e.value) == "HostNotRegistered", \
        e.value.details()
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 0
    assert await allocated_bits(api, keys.MAC_BLOCKS) == macs_before
    # The next create gets the first address: nothing leaked.
    ok = await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id)))
    assert ok.port.fixed_ips[0].ip_address == "10.65.0.2"


async def test_concurrent_creates_with_a_bad_host_among_them_all_land_or_fail_alone(api):
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.66.0.0/24")
    host = "rsv-" + uid()
    await api.nodes.CreateNodes(node_pb2.CreateNodesRequest(node=node_pb2.Node(name=host, local_ip="10.9.9.9")))
    reqs = [port_pb2.Port(network_id=n.id, binding_host_id=host if i % 5 else "gone-" + uid())
            for i in range(40)]
    res = await asyncio.gather(*(api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=p)) for p in reqs),
                               return_exceptions=True)
    ok = [r for r in res if not isinstance(r, BaseException)]
    bad = [r for r in res if isinstance(r, BaseException)]
    assert len(ok) == 32 and len(bad) == 8
    assert all(reason_of(e) == "HostNotRegistered" for e in bad)
    ips = {r.port.fixed_ips[0].ip_address for r in ok}
    assert len(ips) == 32
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 32


async def test_mixed_concurrent_creates_and_deletes_never_share_or_leak_an_address(api):
    """Default, requested-IP, requested-MAC and bad-host creates at once, in
    rounds with deletes between: whatever is held ahead is never handed out
    twice, and etcd counts exactly the addresses of the ports that exist."""
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.67.0.0/27")  # 29 usable
    host = "mix-" + uid()
    await api.nodes.CreateNodes(node_pb2.CreateNodesRequest(node=node_pb2.Node(name=host, local_ip="10.9.9.8")))
    macs_before = await allocated_bits(api, keys.MAC_BLOCKS)
    live: dict[str, port_pb2.Port] = {}
    for rnd in range(3):
        reqs = []
        for i in range(36):
            p = port_pb2.Port(network_id=n.id, binding_host_id=host)
            if i % 9 == 1:
                p.fixed_ips.add(subnet_id=s.id, ip_address=f"10.67.0.{20 + i % 4}")  # some collide
            if i % 9 == 2:
                p.mac_address = "fa:16:3e:77:%02x:%02x" % (rnd, i)
            if i % 9 == 3:
                p.binding_host_id = "gone-" + uid()
            reqs.append(p)
        res = await asyncio.gather(*(api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=p)) for p in reqs),
                                   return_exceptions=True)
        for r in res:
            if isinstance(r, BaseException):
                assert reason_of(r) in ("IpAddressGenerationFailure", "IpAddressAlreadyAllocated",
                                        "HostNotRegistered"), r
            else:
                live[r.port.id] = r.port
        ips = [f.ip_address for p in live.values() for f in p.fixed_ips]
        macs = [p.mac_address for p in live.values()]
        assert len(ips) == len(set(ips)) and len(macs) == len(set(macs))
        assert await allocated_bits(api, keys.ip_blocks(s.id)) == len(ips)
        assert await allocated_bits(api, keys.MAC_BLOCKS) == macs_before + len(macs)
        # Delete every other port: the next round allocates around the holes.
        for pid in list(live)[::2]:
            await api.ports.DeletePort(port_pb2.DeletePortRequest(id=pid))
            del live[pid]
    for pid in list(live):
        await api.ports.DeletePort(port_pb2.DeletePortRequest(id=pid))
    assert await allocated_bits(api, keys.ip_blocks(s.id)) == 0
    assert await allocated_bits(api, keys.MAC_BLOCKS) == macs_before
    again = await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id)))
    assert again.port.fixed_ips[0].ip_address == "10.67.0.2"


async def test_two_callers_chains_do_not_fail_each_other(api):
    """Each caller's reservations chain on its own: one caller holding some
    it has not committed does not break another's."""
    one = [mac_pb2.AllocateMacsRequest(requests=[mac_pb2.MacRequest()])]
    a, b = "a-" + uid(), "b-" + uid()
    ra1 = await api.macs[0].ReserveMacs(mac_pb2.ReserveMacsRequest(calls=one, chain=a))
    rb1 = await api.macs[0].ReserveMacs(mac_pb2.ReserveMacsRequest(calls=one, chain=b))
    ra2 = await api.macs[0].ReserveMacs(mac_pb2.ReserveMacsRequest(calls=one, chain=a))
    await api.store.commit(whole(rb1))
    await api.store.commit(reservation.compose([whole(ra1), whole(ra2)]))
    got = {o.allocated.mac_addresses[0] for r in (ra1, rb1, ra2) for o in r.outcomes}
    assert len(got) == 3
    await api.macs[0].ReleaseMacs(mac_pb2.ReleaseMacsRequest(mac_addresses=sorted(got)))


async def test_asking_fresh_forgets_everything_the_chain_held(api):
    """A caller that drops what it holds asks fresh once, for whatever: its
    next reservations anywhere are decided on etcd, not on what it dropped."""
    n1, n2 = await new_network(api), await new_network(api)
    s1 = await new_subnet(api, n1.id, "10.68.0.0/24")
    s2 = await new_subnet(api, n2.id, "10.69.0.0/24")
    chain = "drop-" + uid()
    await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s1.id, 2), chain=chain))  # dropped
    await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s2.id, 1), chain=chain, fresh=True))
    again = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s1.id, 1), chain=chain))
    assert ips_of(again) == ["10.68.0.2"]
    await api.store.commit(whole(again))


async def test_a_replica_that_missed_a_chains_request_decides_fresh(api):
    """Behind a load balancer a chain's requests may reach either replica:
    one that did not serve the request before knows it is behind, decides
    on etcd as it is, and says so (fresh_keys), so its answer never chains
    on a reservation it does not know about."""
    n = await new_network(api)
    s = await new_subnet(api, n.id, "10.71.0.0/24")
    chain = "lb-" + uid()
    r1 = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1), chain=chain, chain_seq=1))
    r2 = await api.ipam[1].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1), chain=chain, chain_seq=2))
    assert ips_of(r1) == ips_of(r2) == ["10.71.0.2"]  # replica 1 never saw r1
    assert list(r2.fresh_keys) == [keys.resource("subnets", s.id)]  # ... and says so: r1 goes
    await api.store.commit(whole(r2))
    # Replica 0 missed request 2: it does not chain on r1 (dropped) either.
    r3 = await api.ipam[0].ReserveIps(ipam_pb2.ReserveIpsRequest(calls=ip_calls(s.id, 1), chain=chain, chain_seq=3))
    assert ips_of(r3) == ["10.71.0.3"] and r3.fresh_keys
    await api.store.commit(whole(r3))

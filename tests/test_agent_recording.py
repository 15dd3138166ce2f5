"""The recording driver: what it records, how it reconciles, how fast."""
from __future__ import annotations

import gc
import time

from agent.dataplane import Status
from agent.model import EMPTY, Kind, apply_goal_state
from agent.recording import RecordingDataPlane
from tests.agent_helpers import (DELETE, delta, full, neighbor, port, scale_goal_state, subnet,
                                 vpc)

A, B = "vpc-a", "vpc-b"
M1, M2, M7, M8 = ("fa:16:3e:00:00:01", "fa:16:3e:00:00:02", "fa:16:3e:00:00:07",
                  "fa:16:3e:00:00:08")


def host_state(revision: int = 1):
    return apply_goal_state(EMPTY, full(
        revision, vpcs=[vpc(A, 1001), vpc(B, 1002)],
        subnets=[subnet("sa", A, "10.0.0.0/24", "10.0.0.1"), subnet("sb", B, "10.0.0.0/24")],
        ports=[port("p1", A, M1, [("sa", "10.0.0.2")], "ns1"),
               port("p2", B, M2, [("sb", "10.0.0.2")], "ns2")],
        neighbors=[neighbor("n7", A, "10.0.0.7", M7, "192.168.0.2", 1001),
                   neighbor("n8", B, "10.0.0.8", M8, "192.168.0.3", 1002),
                   neighbor("local", A, "10.0.0.9", "fa:16:3e:00:00:09", "192.168.0.1", 1001)]))


async def test_records_what_linux_would_get():
    d = RecordingDataPlane("h1", local_ip="192.168.0.1")
    outcomes = await d.reconcile(host_state())
    assert sorted((o.kind, o.id, o.status) for o in outcomes) == [
        (Kind.PORT, "p1", Status.SUCCESS), (Kind.PORT, "p2", Status.SUCCESS)]
    assert {v: (p.vni, p.bridge[:3], p.vxlan[:3]) for v, p in d.vpcs.items()} == {
        A: (1001, "br-", "vx-"), B: (1002, "br-", "vx-")}
    assert {p: (pp.namespace, pp.mac, pp.addresses) for p, pp in d.ports.items()} == {
        "p1": ("ns1", M1, (("10.0.0.2", 24),)), "p2": ("ns2", M2, (("10.0.0.2", 24),))}
    # The neighbor on this very host gets no forwarding entry.
    assert d.fdb == {(A, M7, "192.168.0.2"), (B, M8, "192.168.0.3")}
    assert d.arp_in("ns1") == {("10.0.0.7", M7), ("10.0.0.9", "fa:16:3e:00:00:09")}
    assert d.arp_in("ns2") == {("10.0.0.8", M8)}


async def test_reconcile_is_idempotent():
    d = RecordingDataPlane()
    state = host_state()
    await d.reconcile(state)
    changes = d.changes
    await d.reconcile(state)
    await d.reconcile(host_state())  # an equal state, built again
    assert d.changes == changes and d.reconciles == 3


async def test_removes_what_is_no_longer_desired():
    d = RecordingDataPlane()
    state = host_state()
    await d.reconcile(state)
    state = apply_goal_state(state, delta(1, 2, vpcs=[vpc(B, 1002, op=DELETE)],
                                          ports=[port("p2", B, M2, op=DELETE)],
                                          neighbors=[neighbor("n8", B, "", "", "", 0, op=DELETE)]))
    outcomes = await d.reconcile(state)
    assert [o.id for o in outcomes] == ["p1"]
    assert set(d.vpcs) == {A} and set(d.ports) == {"p1"}
    assert all(vpc_id == A for vpc_id, _, _ in d.fdb | d.arp)


async def test_drift_is_repaired():
    d = RecordingDataPlane()
    state = host_state()
    await d.reconcile(state)
    want_fdb, want_arp = set(d.fdb), set(d.arp)
    d.vxlan_fdb[A].popitem()  # somebody deleted entries by hand
    d.neighbor_arp.clear()
    del d.ports["p1"]
    await d.reconcile(state)
    assert (d.fdb, d.arp, set(d.ports)) == (want_fdb, want_arp, {"p1", "p2"})


async def test_held_entries_give_the_cyclic_collector_nothing_to_walk():
    """Tables of strings only, however they were made: a tracked object per
    entry, times 500 hosts in a process, is what a collection walks."""
    d = RecordingDataPlane("h1", local_ip="192.168.0.1")
    state = host_state()
    await d.reconcile(state)
    state = apply_goal_state(state, delta(1, 2, neighbors=[
        neighbor("n5", A, "10.0.0.5", "fa:16:3e:00:00:05", "192.168.0.4", 1001)]))
    await d.reconcile(state)  # applied as a change
    assert (A, "fa:16:3e:00:00:05", "192.168.0.4") in d.fdb
    tables = [*d.vxlan_fdb.values(), *(e for per_subnet in d.neighbor_arp.values()
                                       for e in per_subnet.values())]
    assert len(tables) == 4 and not any(gc.is_tracked(t) for t in tables)


async def test_failures_are_reported_and_recover():
    d = RecordingDataPlane()
    d.fail(Kind.PORT, "p1", "veth: no space left")
    d.fail(Kind.VPC, B, "bridge: busy")
    d.fail(Kind.NEIGHBOR, "n7")
    outcomes = {(o.kind, o.id): o for o in await d.reconcile(host_state())}
    assert (outcomes[(Kind.PORT, "p1")].status, outcomes[(Kind.PORT, "p1")].reason) == (
        Status.FAILURE, "veth: no space left")
    assert outcomes[(Kind.PORT, "p2")].reason == f"VPC {B} was not programmed"
    assert outcomes[(Kind.VPC, B)].status == Status.FAILURE
    assert outcomes[(Kind.NEIGHBOR, "n7")].status == Status.FAILURE
    assert not d.ports and set(d.vpcs) == {A} and (A, M7, "192.168.0.2") not in d.fdb

    for key in [(Kind.PORT, "p1"), (Kind.VPC, B), (Kind.NEIGHBOR, "n7")]:
        d.heal(*key)
    outcomes = await d.reconcile(host_state())
    assert {o.status for o in outcomes} == {Status.SUCCESS} and set(d.ports) == {"p1", "p2"}


async def test_invalid_entries_come_back_as_invalid_arg():
    state = apply_goal_state(EMPTY, full(1, vpcs=[vpc(A, 1)], ports=[
        port("ok", A, M1), port("bad", A, "zz"), port("lost", "vpc-x", M2)]))
    outcomes = {o.id: o.status for o in await RecordingDataPlane().reconcile(state)}
    assert outcomes == {"ok": Status.SUCCESS, "bad": Status.INVALID_ARG,
                        "lost": Status.INVALID_ARG}


async def test_a_thousand_ports_and_ten_thousand_neighbors_reconcile_fast():
    msg = scale_goal_state(ports=1000, neighbors=10_000, vpcs=10)
    d = RecordingDataPlane()
    fresh, again, applied = [], [], []
    for _ in range(3):
        t0 = time.perf_counter()
        state = apply_goal_state(EMPTY, msg)
        t1 = time.perf_counter()
        outcomes = await d.reconcile(state)  # a new state: compiles its plan
        t2 = time.perf_counter()
        await d.reconcile(state)  # the periodic resync of the same state
        t3 = time.perf_counter()
        applied.append(t1 - t0)
        fresh.append(t2 - t1)
        again.append(t3 - t2)
    print(f"\n1,000 ports + 10,000 neighbors: apply FULL {min(applied) * 1e3:.1f} ms, "
          f"reconcile {min(fresh) * 1e3:.1f} ms, resync {min(again) * 1e3:.1f} ms (best of 3)")
    assert len(outcomes) == 1000 and {o.status for o in outcomes} == {Status.SUCCESS}
    assert len(d.fdb) == 10_000 and len(d.arp) == 10_000 and len(d.ports) == 1000

"""The agent's desired state, its plan and its device names: pure tables."""
from __future__ import annotations

import pytest

from agent import naming
from agent.dataplane import Status
from agent.model import (EMPTY, InvalidGoalState, Kind, NeighborType, OutOfOrder,
                         apply_goal_state)
from agent.plan import PlanCache, compile_plan
from agent.recording import RecordingDataPlane
from alcor.v1 import goalstate_pb2 as gs
from tests.agent_helpers import (DELETE, UPDATE, delta, full, neighbor, port, subnet, vpc)

A, B = "vpc-a", "vpc-b"
M1, M2, M3 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02", "fa:16:3e:00:00:03"


def base_state():
    """Revision 5: VPC A with one subnet, two ports, two neighbors."""
    return apply_goal_state(EMPTY, full(
        5, vpcs=[vpc(A, 1001)], subnets=[subnet("sa", A, "10.0.0.0/24", "10.0.0.1")],
        ports=[port("p1", A, M1, [("sa", "10.0.0.2")], "ns1"),
               port("p2", A, M2, [("sa", "10.0.0.3")], "ns2")],
        neighbors=[neighbor("n1", A, "10.0.0.7", "fa:16:3e:00:00:07", "192.168.0.2", 1001),
                   neighbor("n2", A, "10.0.0.8", "fa:16:3e:00:00:08", "192.168.0.3", 1001)]))


def summary(state):
    return (state.revision, sorted(state.vpcs), sorted(state.subnets), sorted(state.ports),
            sorted(state.neighbors), sorted((k[0].name, str(k[1])) for k in state.rejected))


# --- FULL replaces, DELTA applies --------------------------------------------

@pytest.mark.parametrize("msg, expected", [
    pytest.param(full(9), (9, [], [], [], [], []), id="empty FULL clears everything"),
    pytest.param(full(9, vpcs=[vpc(B, 2002)], ports=[port("p9", B, M3)]),
                 (9, [B], [], ["p9"], [], []), id="FULL replaces, nothing carried over"),
    pytest.param(full(9, vpcs=[vpc(A, 1001, op=DELETE)]), (9, [], [], [], [], []),
                 id="DELETE entries in a FULL are simply not desired"),
    pytest.param(delta(5, 6, ports=[port("p3", A, M3, [("sa", "10.0.0.4")])]),
                 (6, [A], ["sa"], ["p1", "p2", "p3"], [("n1", "10.0.0.7"), ("n2", "10.0.0.8")],
                  []), id="DELTA CREATE adds"),
    pytest.param(delta(5, 6, ports=[port("p1", A, M1, op=DELETE)]),
                 (6, [A], ["sa"], ["p2"], [("n1", "10.0.0.7"), ("n2", "10.0.0.8")], []),
                 id="DELTA DELETE removes"),
    pytest.param(delta(5, 6, ports=[port("zz", A, M1, op=DELETE)]),
                 (6, [A], ["sa"], ["p1", "p2"], [("n1", "10.0.0.7"), ("n2", "10.0.0.8")], []),
                 id="deleting what is absent is fine"),
    pytest.param(delta(5, 6, neighbors=[neighbor("n1", A, "", "", "", 0, op=DELETE)]),
                 (6, [A], ["sa"], ["p1", "p2"], [("n2", "10.0.0.8")], []),
                 id="neighbor DELETE without address removes all of the port's"),
    pytest.param(delta(5, 6, neighbors=[neighbor("n1", A, "10.0.0.7", "", "", 0, op=DELETE)]),
                 (6, [A], ["sa"], ["p1", "p2"], [("n2", "10.0.0.8")], []),
                 id="neighbor DELETE by port and address"),
    pytest.param(delta(5, 6, vpcs=[vpc(A, 1001, op=gs.OPERATION_INFO)]),
                 (6, [A], ["sa"], ["p1", "p2"], [("n1", "10.0.0.7"), ("n2", "10.0.0.8")], []),
                 id="INFO changes nothing but the revision"),
    pytest.param(delta(5, 6, ports=[port("p1", A, "not-a-mac", op=UPDATE)]),
                 (6, [A], ["sa"], ["p2"], [("n1", "10.0.0.7"), ("n2", "10.0.0.8")],
                  [("PORT", "p1")]), id="an invalid UPDATE replaces the entry with a rejection"),
])
def test_apply(msg, expected):
    assert summary(apply_goal_state(base_state(), msg)) == expected


def test_update_upserts_by_id():
    state = apply_goal_state(base_state(), delta(5, 6, ports=[
        port("p1", A, M1, [("sa", "10.0.0.9")], "ns1", up=False, op=UPDATE)]))
    p1 = state.ports["p1"]
    assert (p1.fixed_ips[0].ip, p1.admin_state_up) == ("10.0.0.9", False)
    assert len(state.ports) == 2


def test_valid_update_clears_a_rejection():
    bad = apply_goal_state(base_state(), delta(5, 6, ports=[port("p1", A, "xx")]))
    good = apply_goal_state(bad, delta(6, 7, ports=[port("p1", A, M1)]))
    assert (Kind.PORT, "p1") in bad.rejected and not good.rejected
    assert "p1" in good.ports


def test_apply_does_not_mutate_the_previous_state():
    before = base_state()
    apply_goal_state(before, delta(5, 6, ports=[port("p1", A, M1, op=DELETE)]))
    assert "p1" in before.ports and before.revision == 5


def test_agents_of_one_process_share_their_neighbor_keys():
    """500 simulated hosts in a process: a key tuple per host per neighbor
    was what the cyclic collector walked most."""
    msg = full(1, vpcs=[vpc("vpc-a", 1)], neighbors=[
        neighbor(f"n{i}", "vpc-a", f"10.0.0.{i}", f"fa:16:3e:00:00:{i:02x}", "192.168.0.2", 1)
        for i in range(1, 30)])
    one, two = apply_goal_state(EMPTY, msg), apply_goal_state(EMPTY, gs.HostGoalState.FromString(
        msg.SerializeToString()))
    assert one.neighbors.keys() == two.neighbors.keys()
    shared = {id(k) for k in one.neighbors} & {id(k) for k in two.neighbors}
    assert len(shared) == len(one.neighbors) == 29


# --- out of order ------------------------------------------------------------

@pytest.mark.parametrize("base", [0, 4, 6, 100])
def test_delta_on_another_revision_is_out_of_order(base):
    with pytest.raises(OutOfOrder) as e:
        apply_goal_state(base_state(), delta(base, base + 1))
    assert (e.value.applied, e.value.base) == (5, base)


def test_delta_on_empty_state_from_revision_zero_applies():
    assert apply_goal_state(EMPTY, delta(0, 3, vpcs=[vpc(A, 1)])).revision == 3


def test_full_applies_whatever_was_applied_before():
    assert apply_goal_state(base_state(), full(2)).revision == 2


def test_message_without_update_type_is_invalid():
    with pytest.raises(InvalidGoalState):
        apply_goal_state(base_state(), gs.HostGoalState(revision=6))


# --- validation -----------------------------------------------------------------

@pytest.mark.parametrize("entry, reason", [
    (vpc(A, 0), "VNI 0 is out of range"),
    (vpc(A, 1 << 24), "out of range"),
    (vpc("", 5), "VPC id is empty"),
    (subnet("s", A, "10.0.0.0/33"), "malformed CIDR"),
    (subnet("s", A, "10.0.0.0/24", "10.0.1.1"), "outside 10.0.0.0/24"),
    (subnet("s", A, "10.0.0.0/24", "fd00::1"), "outside"),
    (port("p", A, "fa:16:3e:00:00"), "malformed MAC"),
    (port("p", A, "01:00:5e:00:00:01"), "multicast"),
    (port("p", A, "00:00:00:00:00:00"), "all zeros"),
    (port("p", A, M1, [("sa", "10.0.0.300")]), "malformed IP address"),
    (port("p", A, M1, namespace="a/b"), "not a valid file name"),
    (port("p", "", M1), "port vpc_id is empty"),
    (neighbor("n", A, "10.0.0.5", M1, "192.168.0.400", 5), "malformed host IP"),
    (neighbor("n", A, "10.0.0.05", M1, "192.168.0.4", 5), "malformed IP address"),
    (neighbor("n", A, "10.0.0.5", M1, "192.168.0.4", 0), "VNI 0"),
])
def test_invalid_entries_are_rejected_with_a_reason(entry, reason):
    field = {gs.VpcState: "vpcs", gs.SubnetState: "subnets", gs.PortState: "ports",
             gs.NeighborState: "neighbors"}[type(entry)]
    state = apply_goal_state(EMPTY, full(1, **{field: [entry]}))
    assert not getattr(state, field)
    (rejected,) = state.rejected.values()
    assert reason in rejected.reason


@pytest.mark.parametrize("raw, stored", [
    ("FA:16:3E:00:00:0A", "fa:16:3e:00:00:0a"),
    ("fa-16-3e-00-00-0a", "fa:16:3e:00:00:0a"),
])
def test_macs_are_normalized(raw, stored):
    state = apply_goal_state(EMPTY, full(1, ports=[port("p", A, raw)]))
    assert state.ports["p"].mac == stored


def test_ipv6_addresses_are_normalized_so_deletes_match():
    state = apply_goal_state(EMPTY, full(1, neighbors=[
        neighbor("n", A, "FD00:0:0::5", M1, "192.168.0.2", 7)]))
    assert list(state.neighbors) == [("n", "fd00::5")]
    after = apply_goal_state(state, delta(1, 2, neighbors=[
        neighbor("n", A, "fd00:0000::5", "", "", 0, op=DELETE)]))
    assert not after.neighbors


def test_port_without_namespace_gets_a_derived_one():
    state = apply_goal_state(EMPTY, full(1, ports=[port("p", A, M1)]))
    assert state.ports["p"].namespace == naming.default_namespace("p")


def test_neighbor_type_defaults_to_l2():
    msg = full(1, neighbors=[neighbor("n", A, "10.0.0.5", M1, "192.168.0.2", 7)])
    msg.neighbors[0].type = gs.NEIGHBOR_TYPE_UNSPECIFIED
    assert apply_goal_state(EMPTY, msg).neighbors[("n", "10.0.0.5")].type is NeighborType.L2


# --- the plan -----------------------------------------------------------------------

def test_plan_of_a_host():
    plan = compile_plan(base_state())
    assert not plan.invalid
    assert plan.vpcs[A].bridge == naming.bridge_name(A)
    assert plan.vpcs[A].vxlan == naming.vxlan_name(A)
    p1 = plan.ports["p1"]
    assert (p1.addresses, p1.gateways, p1.namespace, p1.bridge) == (
        (("10.0.0.2", 24),), ("10.0.0.1",), "ns1", naming.bridge_name(A))
    assert {m: n.host_ip for m, n in plan.fdb[A].items()} == {
        "fa:16:3e:00:00:07": "192.168.0.2", "fa:16:3e:00:00:08": "192.168.0.3"}
    assert {ip: n.mac for ip, n in plan.arp_for(p1).items()} == {
        "10.0.0.7": "fa:16:3e:00:00:07", "10.0.0.8": "fa:16:3e:00:00:08"}


@pytest.mark.parametrize("msg, kind, id_, reason", [
    (full(1, ports=[port("p", A, M1)]), Kind.PORT, "p", "VPC vpc-a is not in the goal state"),
    (full(1, vpcs=[vpc(A, 1)], ports=[port("p", A, M1, [("nope", "10.0.0.2")])]),
     Kind.PORT, "p", "subnet nope of address 10.0.0.2 is not in the goal state"),
    (full(1, vpcs=[vpc(A, 1)], subnets=[subnet("sa", A, "10.0.0.0/24")],
          ports=[port("p", A, M1, [("sa", "10.1.0.2")])]),
     Kind.PORT, "p", "outside subnet sa"),
    (full(1, neighbors=[neighbor("n", A, "10.0.0.5", M1, "192.168.0.2", 7)]),
     Kind.NEIGHBOR, "n", "VPC vpc-a is not in the goal state"),
    (full(1, vpcs=[vpc(A, 1)], neighbors=[neighbor("n", A, "10.0.0.5", M1, "192.168.0.2", 7)]),
     Kind.NEIGHBOR, "n", "VNI 7 is not VPC vpc-a's (1)"),
    (full(1, vpcs=[vpc(A, 1)], ports=[port("p", A, "bad")]), Kind.PORT, "p", "malformed MAC"),
])
def test_plan_reports_what_cannot_be_programmed(msg, kind, id_, reason):
    plan = compile_plan(apply_goal_state(EMPTY, msg))
    (outcome,) = plan.invalid
    assert (outcome.kind, outcome.id, outcome.status) == (kind, id_, Status.INVALID_ARG)
    assert reason in outcome.reason


def test_arp_entries_go_to_the_ports_of_the_neighbors_subnet_l3_or_not():
    # An L3 neighbor (its subnet is on a router) is still on-link for the
    # ports of its own subnet; the ports of another subnet reach it routed.
    plan = compile_plan(apply_goal_state(EMPTY, full(1, vpcs=[vpc(A, 7)], subnets=[
        subnet("s1", A, "10.1.0.0/24", "10.1.0.1"), subnet("s2", A, "10.2.0.0/24", "10.2.0.1")],
        ports=[port("p1", A, M1, [("s1", "10.1.0.2")]), port("p2", A, M2, [("s2", "10.2.0.2")])],
        neighbors=[neighbor("n1", A, "10.1.0.5", "fa:16:3e:00:00:05", "192.168.0.2", 7,
                            subnet_id="s1", l3=True),
                   neighbor("n2", A, "10.2.0.5", "fa:16:3e:00:00:06", "192.168.0.2", 7,
                            subnet_id="s2"),
                   neighbor("n3", A, "10.9.0.5", "fa:16:3e:00:00:09", "192.168.0.3", 7)])))
    assert set(plan.fdb[A]) == {"fa:16:3e:00:00:05", "fa:16:3e:00:00:06", "fa:16:3e:00:00:09"}
    # n3 names no subnet: every port of the VPC gets it, as before subnets were named.
    assert set(plan.arp_for(plan.ports["p1"])) == {"10.1.0.5", "10.9.0.5"}
    assert set(plan.arp_for(plan.ports["p2"])) == {"10.2.0.5", "10.9.0.5"}


def test_gateway_per_family_from_the_first_subnet_that_has_one():
    plan = compile_plan(apply_goal_state(EMPTY, full(1, vpcs=[vpc(A, 7)], subnets=[
        subnet("s4", A, "10.0.0.0/24"), subnet("s4b", A, "10.0.1.0/24", "10.0.1.1"),
        subnet("s6", A, "fd00::/64", "fd00::1")], ports=[
        port("p", A, M1, [("s4", "10.0.0.2"), ("s4b", "10.0.1.2"), ("s6", "fd00::2")])])))
    pp = plan.ports["p"]
    assert pp.gateways == ("10.0.1.1", "fd00::1")
    assert pp.addresses == (("10.0.0.2", 24), ("10.0.1.2", 24), ("fd00::2", 64))


def test_plan_cache_compiles_each_state_once():
    cache, state = PlanCache(), base_state()
    assert cache.get(state) is cache.get(state)
    assert cache.get(apply_goal_state(state, delta(5, 6))) is not cache.get(state)


# --- device names ---------------------------------------------------------------------

@pytest.mark.parametrize("make, prefix, length", [
    (naming.bridge_name, "br-", 11),
    (naming.vxlan_name, "vx-", 11),
    (naming.veth_host_name, "vh-", 13),
    (naming.veth_port_name, "vp-", 13),
])
@pytest.mark.parametrize("resource_id", ["a", "6f1c2a3e-9b7d-4c1e-8f00-123456789abc", "x" * 300])
def test_device_names_are_short_deterministic_and_recognizable(make, prefix, length, resource_id):
    name = make(resource_id)
    assert name == make(resource_id)
    assert name.startswith(prefix) and len(name) == length <= naming.IFNAMSIZ
    assert naming.owned_kind(name) is not None


@pytest.mark.parametrize("ifname, kind", [
    ("br-0123abcd", "bridge"),
    ("vx-0123abcd", "vxlan"),
    ("vh-0123456789", "veth_host"),
    ("vp-0123456789", "veth_port"),
    ("br-0123abcdef01", None),  # docker's bridges: br-<12 hex>
    ("br-0123ABCD", None),
    ("br-lan", None),
    ("eth0", None),
    ("vh-012345678", None),
])
def test_owned_kind_recognizes_only_our_shapes(ifname, kind):
    assert naming.owned_kind(ifname) == kind


def test_different_ids_get_different_names():
    ids = [f"port-{i}" for i in range(20_000)]
    assert len({naming.veth_host_name(i) for i in ids}) == len(ids)


# --- incremental plans ------------------------------------------------------------------

def await_(coro):
    import asyncio
    return asyncio.run(coro)


def _tables(plan):
    fdb = {v: dict(e) for v, e in plan.fdb.items()}
    arp = {v: {s: dict(e) for s, e in per.items()} for v, per in plan.arp.items()}
    return (fdb, arp, sorted((o.kind, o.id, o.reason) for o in plan.invalid), plan.filters,
            plan.routers)


def _router(op=gs.OPERATION_CREATE, subnets=("sa",), revision=0) -> gs.RouterState:
    cidrs = {"sa": "10.0.0.0/24", "sb": "10.0.1.0/24"}
    return gs.RouterState(operation=op, id="r1", vpc_id=A, gateway_mac="fa:16:3f:00:00:01",
                          revision=revision, interfaces=[
                              gs.RouterInterface(subnet_id=s, cidr=cidrs[s], gateway_ip=cidrs[s][:-4] + "1")
                              for s in subnets])


@pytest.mark.parametrize("consume", [False, True], ids=["copied", "in-place"])
@pytest.mark.parametrize("seed", range(12))
def test_a_plan_updated_by_deltas_equals_one_compiled_whole(seed, consume):
    """The cache updates neighbor tables and router plans and keeps filters
    from the previous plan; whatever sequence of DELTAs (adds, moves,
    deletes, a port's second address, an entry of an unknown VPC, VPCs added,
    removed or renumbered, a router on some subnets, changed or removed), the
    outcome is the whole compile's."""
    import random
    rng = random.Random(seed)
    cache, state = PlanCache(), base_state()
    first = delta(5, 6, vpcs=[vpc(B, 1002)])
    routed = seed % 3 != 0  # a third of the runs without a router
    if routed:
        first.routers.append(_router())
    state = apply_goal_state(state, first)
    cache.get(state)
    driver = RecordingDataPlane("h", "192.168.0.3")
    await_(driver.reconcile(state))
    rev = 6
    for _ in range(60):
        ops = []
        for _ in range(rng.randint(1, 4)):
            i = rng.randint(1, 12)
            v, vni = (A, 1001) if rng.random() < 0.5 else (B, 1002)
            if rng.random() < 0.03:
                v, vni = "vpc-x", 9  # not in the state: invalid until deleted
            roll = rng.random()
            if roll < 0.5:
                ops.append(neighbor(f"n{i}", v, f"10.0.{rng.randint(0, 1)}.{i + 10}",
                                    f"fa:16:3e:00:01:{i:02x}", f"192.168.0.{rng.randint(2, 5)}", vni,
                                    subnet_id=rng.choice(["", "sa"])))
            elif roll < 0.85:
                ops.append(neighbor(f"n{i}", v, "", "", "", 0, op=DELETE))
            else:
                ops.append(neighbor(f"n{i}", v, f"10.0.2.{i + 10}", f"fa:16:3e:00:01:{i:02x}",
                                    "192.168.0.9", vni))  # the same MAC, a second address
        vpc_ops = []
        if rng.random() < 0.15:
            # A VPC added (no reason to build whole), or one with neighbors
            # removed or given another VNI (its neighbors turn invalid).
            vpc_ops = [rng.choice([vpc(f"vpc-new{rev}", 3000 + rev), vpc(B, 1002, op=DELETE),
                                   vpc(B, rng.choice([1002, 1003]), op=UPDATE), vpc(B, 1002)])]
        msg = delta(rev, rev + 1, neighbors=ops, vpcs=vpc_ops)
        if routed and rng.random() < 0.1:
            msg.routers.append(rng.choice([_router(subnets=("sa", "sb"), revision=rev),
                                           _router(subnets=("sa",), revision=rev),
                                           _router(op=DELETE)]))
        state = apply_goal_state(state, msg, consume=consume)
        rev += 1
        assert _tables(cache.get(state)) == _tables(compile_plan(state))
        # The recording driver applies the changes to its entries; a fresh
        # one builds them whole: the same entries either way.
        await_(driver.reconcile(state))
        fresh = RecordingDataPlane("h", "192.168.0.3")
        await_(fresh.reconcile(state))
        assert (driver.fdb, driver.arp) == (fresh.fdb, fresh.arp)


def test_a_router_plan_follows_neighbor_changes_without_a_whole_build():
    """With a router on the host, a neighbor update changes the router's
    plan in place of a whole compile; two neighbors of one address (the one
    naming no subnet, found by address) leave it to the whole build, which
    settles which one the router holds."""
    cache, state = PlanCache(), base_state()
    first = delta(5, 6)
    first.routers.append(_router())
    state = apply_goal_state(state, first)
    cache.get(state)
    add = delta(6, 7, neighbors=[neighbor("n5", A, "10.0.0.50", "fa:16:3e:00:00:50", "192.168.0.4", 1001,
                                          subnet_id="sa")])
    state = apply_goal_state(state, add)
    plan = cache.get(state)
    assert plan.previous is not None and [n.port_id for _, n in plan.neighbor_changes] == ["n5"]
    assert plan.routers["r1"].neighbors["10.0.0.50"].port_id == "n5"
    assert _tables(plan) == _tables(compile_plan(state))
    # n6 has n5's address and names no subnet: the router holds one of them.
    state = apply_goal_state(state, delta(7, 8, neighbors=[
        neighbor("n6", A, "10.0.0.50", "fa:16:3e:00:00:51", "192.168.0.5", 1001)]))
    assert _tables(cache.get(state)) == _tables(compile_plan(state))
    for gone in ("n5", "n6"):  # whichever goes, the other is what a whole build gives
        s2 = apply_goal_state(state, delta(8, 9, neighbors=[neighbor(gone, A, "", "", "", 0, op=DELETE)]))
        fresh = PlanCache()
        fresh.get(state)
        assert _tables(fresh.get(s2)) == _tables(compile_plan(s2))


def test_a_vpc_added_keeps_the_neighbor_tables_incremental():
    """A host's first port in another VPC brings the VPC with it: its other
    VPCs' tables are updated, not built again (a host that joins VPCs one by
    one rebuilt every neighbor it held each time)."""
    cache, state = PlanCache(), base_state()
    first = cache.get(state)
    after = apply_goal_state(state, delta(5, 6, vpcs=[vpc(B, 1002)], neighbors=[
        neighbor("n9", B, "10.1.0.9", "fa:16:3e:00:00:09", "192.168.0.4", 1002)]))
    plan = cache.get(after)
    assert plan.previous is not None and plan.previous() is first
    assert plan.fdb[A] is first.fdb[A]  # untouched VPC: the very same table
    assert [(o is None, n.port_id) for o, n in plan.neighbor_changes] == [(True, "n9")]
    assert _tables(plan) == _tables(compile_plan(after))


def test_a_delta_shares_the_sections_it_does_not_touch():
    state = base_state()
    after = apply_goal_state(state, delta(5, 6, neighbors=[
        neighbor("n9", A, "10.0.0.9", "fa:16:3e:00:00:09", "192.168.0.4", 1001)]))
    assert after.ports is state.ports and after.vpcs is state.vpcs
    assert after.neighbors is not state.neighbors and after.based_on(state)
    before_plan = compile_plan(state)
    plan = compile_plan(after, (state, before_plan))
    assert plan.ports["p1"] is before_plan.ports["p1"]
    assert "10.0.0.9" not in before_plan.arp[A][""]  # the previous plan is left as it was
    assert plan.arp[A][""]["10.0.0.9"].port_id == "n9"


def test_the_plan_cache_updates_the_plan_it_drops_in_place():
    """No copy of a VPC's tables per DELTA: the cache never uses the
    previous plan again."""
    state = base_state()
    after = apply_goal_state(state, delta(5, 6, neighbors=[
        neighbor("n9", A, "10.0.0.9", "fa:16:3e:00:00:09", "192.168.0.4", 1001)]))
    cache = PlanCache()
    table = cache.get(state).arp[A][""]
    plan = cache.get(after)
    assert plan.arp[A][""] is table and table["10.0.0.9"].port_id == "n9"
    assert plan.previous is not None and [n.port_id for _, n in plan.neighbor_changes] == ["n9"]
    assert _tables(plan) == _tables(compile_plan(after))


def test_a_consumed_state_is_left_whole_by_a_delta_that_does_not_apply():
    """In place, neighbors go last: a member update of a group the host does
    not hold is refused before any neighbor of the state changes."""
    state = base_state()
    held = dict(state.neighbors)
    msg = delta(5, 6, neighbors=[neighbor("n9", A, "10.0.0.9", "fa:16:3e:00:00:09", "192.168.0.4",
                                          1001), neighbor("n1", A, "", "", "", 0, op=DELETE)])
    msg.security_group_members.append(gs.SecurityGroupMembers(
        operation=gs.OPERATION_UPDATE, group_id="nowhere", incremental=True,
        added_ip_addresses=["10.0.0.5"]))
    with pytest.raises(OutOfOrder):
        apply_goal_state(state, msg, consume=True)
    assert state.neighbors == held
    del msg.security_group_members[:]
    after = apply_goal_state(state, msg, consume=True)
    assert after.neighbors is state.neighbors and set(after.touched_neighbors) == {
        ("n9", "10.0.0.9"), ("n1", "10.0.0.7")}
    assert after.touched_neighbors[("n1", "10.0.0.7")] is held[("n1", "10.0.0.7")]


def test_member_list_updates_apply_to_the_list_held():
    state = apply_goal_state(EMPTY, gs.HostGoalState(
        host_name="h", update_type=gs.UPDATE_TYPE_FULL, revision=1,
        security_group_members=[gs.SecurityGroupMembers(
            group_id="g", ip_addresses=["10.0.0.1", "10.0.0.2", "fd00::1"])]))
    after = apply_goal_state(state, gs.HostGoalState(
        host_name="h", update_type=gs.UPDATE_TYPE_DELTA, base_revision=1, revision=2,
        security_group_members=[gs.SecurityGroupMembers(
            operation=gs.OPERATION_UPDATE, group_id="g", incremental=True,
            added_ip_addresses=["10.0.0.3", "fd00::2"], removed_ip_addresses=["10.0.0.1"])]))
    m = after.security_group_members["g"]
    assert (m.ipv4, m.ipv6) == ({"10.0.0.2", "10.0.0.3"}, {"fd00::1", "fd00::2"})
    assert state.security_group_members["g"].ipv4 == {"10.0.0.1", "10.0.0.2"}  # untouched


def test_a_member_update_for_a_list_not_held_asks_for_a_full_state():
    with pytest.raises(OutOfOrder):
        apply_goal_state(EMPTY, gs.HostGoalState(
            host_name="h", update_type=gs.UPDATE_TYPE_DELTA, base_revision=0, revision=2,
            security_group_members=[gs.SecurityGroupMembers(
                operation=gs.OPERATION_UPDATE, group_id="g", incremental=True,
                added_ip_addresses=["10.0.0.3"])]))


def test_filters_follow_member_and_group_updates_like_a_whole_compile():
    def group(rules):
        return gs.SecurityGroupState(id="g", rules=[gs.SecurityGroupRuleState(
            id=f"r{i}", direction="ingress", ethertype="IPv4", protocol=proto,
            remote_group_id="g") for i, proto in enumerate(rules)])

    def ported(p, groups):
        p.security_group_ids[:] = groups
        p.port_security_enabled = True
        return p

    state = apply_goal_state(EMPTY, gs.HostGoalState(
        host_name="h", update_type=gs.UPDATE_TYPE_FULL, revision=1, vpcs=[vpc(A, 1001)],
        subnets=[subnet("sa", A, "10.0.0.0/24", "10.0.0.1")],
        ports=[ported(port("p1", A, M1, [("sa", "10.0.0.2")], "ns1"), ["g"]),
               ported(port("p2", A, M2, [("sa", "10.0.0.3")], "ns2"), ["g"])],
        security_groups=[group(["tcp"])],
        security_group_members=[gs.SecurityGroupMembers(group_id="g", ip_addresses=["10.0.0.2"])]))
    cache = PlanCache()
    first = cache.get(state)
    steps = [
        dict(security_group_members=[gs.SecurityGroupMembers(
            operation=UPDATE, group_id="g", incremental=True, added_ip_addresses=["10.0.0.3"])]),
        dict(security_groups=[group(["tcp", "udp"])]),
        dict(ports=[ported(port("p2", A, M2, [("sa", "10.0.0.3")], "ns2", op=UPDATE), [])]),
        dict(neighbors=[neighbor("n5", A, "10.0.0.5", "fa:16:3e:00:00:05", "192.168.0.2", 1001)]),
    ]
    for rev, step in enumerate(steps, start=1):
        state = apply_goal_state(state, gs.HostGoalState(
            host_name="h", update_type=gs.UPDATE_TYPE_DELTA, base_revision=rev, revision=rev + 1,
            **step))
        assert cache.get(state).filters == compile_plan(state).filters
    plan = cache.get(state)
    assert plan.filters["ns1"].sets[0][2] == {"10.0.0.2", "10.0.0.3"}
    # No group left, port security still on: p2 allows nothing.
    assert plan.filters["ns2"].ports[0].enforced and not plan.filters["ns2"].ports[0].ingress
    assert first.filters["ns1"].sets[0][2] == {"10.0.0.2"}  # the first plan is untouched

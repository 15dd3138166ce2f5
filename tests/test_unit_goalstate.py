"""Goal-state compilation as pure tables: ports, VPCs, subnets and neighbors
in, the expected per-host state out; and deltas between states."""
import pytest

from alcor.v1 import common_pb2, goalstate_pb2 as gs, network_pb2, node_pb2, port_pb2, subnet_pb2
from runtime import keys
from runtime.store import KV
from runtime.watch import Change
from svc_dpm.goalstate import compile_host, delta_message, full_message, namespace_of
from svc_dpm.snapshot import NETWORKS, NODES, PORTS, SUBNETS, Snapshot


def kv(prefix, rid, msg, rev=1):
    return KV(prefix + rid.encode(), msg.SerializeToString(), rev, 1)


def world(ports):
    """ports: (id, network, host, ip) tuples; two VPCs, three hosts."""
    nets = [network_pb2.Network(id=n, provider_segmentation_id=v) for n, v in (("vpc1", 1001), ("vpc2", 1002))]
    subs = [subnet_pb2.Subnet(id=f"s-{n.id}", network_id=n.id, cidr="10.0.0.0/24", ip_version=4) for n in nets]
    for s in subs:
        s.gateway_ip.string_value = "10.0.0.1"
    nodes = [node_pb2.Node(id=f"id-{h}", name=h, local_ip=f"192.168.0.{i}") for i, h in enumerate(("h1", "h2", "h3"), 1)]
    listed = {
        NETWORKS: [kv(NETWORKS, n.id, n) for n in nets],
        SUBNETS: [kv(SUBNETS, s.id, s) for s in subs],
        NODES: [kv(NODES, n.id, n) for n in nodes],
        PORTS: [kv(PORTS, pid, port_pb2.Port(
            id=pid, network_id=net, binding_host_id=host, mac_address=f"fa:16:3e:00:00:{i:02x}",
            device_id=f"vm-{pid}", admin_state_up=True, port_security_enabled=True,
            fixed_ips=[common_pb2.FixedIp(subnet_id=f"s-{net}", ip_address=ip)]))
            for i, (pid, net, host, ip) in enumerate(ports)],
    }
    return Snapshot.from_kvs(listed, 10)


PORTS_3 = [("a", "vpc1", "h1", "10.0.0.2"), ("b", "vpc1", "h2", "10.0.0.3"),
           ("c", "vpc2", "h2", "10.0.0.2"), ("d", "vpc2", "h3", "10.0.0.3"), ("e", "vpc1", "", "10.0.0.4")]


@pytest.mark.parametrize("host,ports,vpcs,neighbors", [
    ("h1", {"a"}, {"vpc1"}, {("b", "192.168.0.2")}),
    ("h2", {"b", "c"}, {"vpc1", "vpc2"}, {("a", "192.168.0.1"), ("d", "192.168.0.3")}),
    ("h3", {"d"}, {"vpc2"}, {("c", "192.168.0.2")}),
    ("h9", set(), set(), set()),
])
def test_compile_host(host, ports, vpcs, neighbors):
    st = compile_host(world(PORTS_3), host)
    assert set(st.ports) == ports
    assert set(st.vpcs) == vpcs
    assert {(n.port_id, n.host_ip) for n in st.neighbors.values()} == neighbors
    # Same-host ports are never neighbors; unbound ports (e) reach no host.
    assert all(n.port_id not in ports and n.port_id != "e" for n in st.neighbors.values())


def test_vni_and_gateway_travel():
    st = compile_host(world(PORTS_3), "h2")
    assert {v.id: v.vni for v in st.vpcs.values()} == {"vpc1": 1001, "vpc2": 1002}
    assert {s.gateway_ip for s in st.subnets.values()} == {"10.0.0.1"}
    assert {n.vni for n in st.neighbors.values()} == {1001, 1002}


def test_full_message():
    msg = full_message("h2", compile_host(world(PORTS_3), "h2"), 10)
    assert msg.update_type == gs.UPDATE_TYPE_FULL and msg.revision == 10
    assert len(msg.ports) == 2 and len(msg.neighbors) == 2


def test_delta_after_a_new_port_and_a_delete():
    snap = world(PORTS_3)
    before = compile_host(snap, "h1")
    new_port = port_pb2.Port(id="f", network_id="vpc1", binding_host_id="h3", mac_address="fa:16:3e:00:00:99",
                             fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address="10.0.0.9")])
    hosts, nets, deleted = snap.apply([
        Change(keys.resource("ports", "f"), new_port.SerializeToString(), 11),
        Change(keys.resource("ports", "b"), None, 11)], 11)
    assert {"h3", "h2"} <= hosts and nets == {"vpc1"} and deleted == ["b"]
    after = compile_host(snap, "h1")
    msg = delta_message("h1", before, after, 10, 11)
    ops = {(n.port_id, n.operation) for n in msg.neighbors}
    assert ops == {("f", gs.OPERATION_CREATE), ("b", gs.OPERATION_DELETE)}
    assert msg.base_revision == 10 and msg.revision == 11 and not msg.ports
    assert delta_message("h1", after, after, 11, 11) is None


@pytest.mark.parametrize("device_id,pid,want", [
    ("vm-1", "p", "vm-1"), ("", "abc", None), ("a/b", "p", None), ("x" * 80, "p", None),
])
def test_namespace_of(device_id, pid, want):
    ns = namespace_of(port_pb2.Port(id=pid, device_id=device_id))
    if want:
        assert ns == want
    else:
        assert ns.startswith("alcor-") and len(ns) <= 18


def test_rebinding_a_port_moves_its_neighbor_entry():
    snap = world(PORTS_3)
    before = {h: compile_host(snap, h) for h in ("h1", "h2", "h3")}
    moved = port_pb2.Port(id="b", network_id="vpc1", binding_host_id="h1", mac_address="fa:16:3e:00:00:01",
                          fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address="10.0.0.3")])
    snap.apply([Change(keys.resource("ports", "b"), moved.SerializeToString(), 11)], 11)
    after = {h: compile_host(snap, h) for h in ("h1", "h2", "h3")}
    for h in ("h1", "h2"):
        msg = delta_message(h, before[h], after[h], 10, 11)
        want = {n.port_id for n in after[h].neighbors.values()}
        have = {n.port_id for n in before[h].neighbors.values()}
        for n in msg.neighbors:
            if n.operation == gs.OPERATION_DELETE:
                have.discard(n.port_id)
            else:
                have.add(n.port_id)
        assert have == want, h
    # h1 now holds b locally and must not keep it as a neighbor.
    assert "b" not in {n.port_id for n in after["h1"].neighbors.values()}


def test_security_groups_and_members_reach_the_hosts_that_need_them():
    from alcor.v1 import security_group_pb2 as sgp
    snap = world(PORTS_3)
    web = sgp.SecurityGroup(id="web", security_group_rules=[
        sgp.SecurityGroupRule(id="r1", direction="ingress", ethertype="IPv4", protocol="tcp",
                              port_range_min=8080, port_range_max=8080, remote_group_id="db")])
    db = sgp.SecurityGroup(id="db", security_group_rules=[
        sgp.SecurityGroupRule(id="r2", direction="egress", ethertype="IPv4")])
    changes = [Change(keys.resource("security_groups", g.id), g.SerializeToString(), 11) for g in (web, db)]
    for pid, groups in (("a", ["web"]), ("b", ["db"]), ("d", ["db"])):
        p = snap.ports[pid]
        p.security_groups[:] = groups
        changes.append(Change(keys.resource("ports", pid), p.SerializeToString(), 11))
    hosts, _, _ = snap.apply(changes, 11)
    assert {"h1", "h2", "h3"} <= hosts
    h1 = compile_host(snap, "h1")
    assert set(h1.security_groups) == {"web"}
    rule = h1.security_groups["web"].rules[0]
    assert (rule.protocol, rule.port_range_min, rule.remote_group_id) == ("tcp", 8080, "db")
    # The members of "db" anywhere in the region: b (h2) and d (h3, another VPC).
    assert list(h1.security_group_members["db"].ip_addresses) == ["10.0.0.3"]
    assert set(compile_host(snap, "h3").security_groups) == {"db"}
    # A port joining "db" changes web's hosts' member sets: h1 must hear of it.
    c = snap.ports["c"]
    c.security_groups[:] = ["db"]
    hosts, _, _ = snap.apply([Change(keys.resource("ports", "c"), c.SerializeToString(), 12)], 12)
    assert "h1" in hosts
    msg = delta_message("h1", h1, compile_host(snap, "h1"), 11, 12)
    assert [m.group_id for m in msg.security_group_members] == ["db"]
    # Only the change goes out, not the whole list again.
    m = msg.security_group_members[0]
    assert (m.operation, m.incremental) == (gs.OPERATION_UPDATE, True)
    assert (list(m.added_ip_addresses), list(m.removed_ip_addresses), list(m.ip_addresses)) == (
        ["10.0.0.2"], [], [])
    # On the host that makes the whole list.
    from agent.model import EMPTY, apply_goal_state
    held = apply_goal_state(EMPTY, full_message("h1", h1, 11))
    after = apply_goal_state(held, msg)
    assert after.security_group_members["db"].ipv4 == {"10.0.0.2", "10.0.0.3"}


def test_router_reaches_hosts_of_its_vpc_and_marks_l3_neighbors():
    from alcor.v1 import router_pb2
    snap = world(PORTS_3)
    r = router_pb2.Router(id="r1", network_id="vpc1", subnet_ids=["s-vpc1"], admin_state_up=True)
    hosts, nets, _ = snap.apply([Change(keys.resource("routers", "r1"), r.SerializeToString(), 11)], 11)
    assert nets == {"vpc1"}
    h1 = compile_host(snap, "h1")
    assert list(h1.routers) == ["r1"]
    iface = h1.routers["r1"].interfaces[0]
    assert (iface.cidr, iface.gateway_ip) == ("10.0.0.0/24", "10.0.0.1")
    assert h1.routers["r1"].gateway_mac.startswith("fa:16:3f:")
    assert {n.type for n in h1.neighbors.values()} == {gs.NEIGHBOR_TYPE_L3}
    assert not compile_host(snap, "h3").routers  # h3 has no port in vpc1


def test_neighbor_entries_are_reused_until_what_they_were_built_from_changes():
    """A VPC's table is rebuilt on each change of one of its ports; the other
    ports' entries are the same objects (deltas compare them by identity),
    and are rebuilt when their host's address, the VPC's VNI or a router on
    their subnet changes."""
    from alcor.v1 import router_pb2

    snap = world(PORTS_3)
    entry = lambda st, pid: next(n for n in st.neighbors.values() if n.port_id == pid)
    before = entry(compile_host(snap, "h1"), "b")
    snap.apply([Change(keys.resource("ports", "f"), port_pb2.Port(
        id="f", network_id="vpc1", binding_host_id="h3", mac_address="fa:16:3e:00:00:0f",
        fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address="10.0.0.9")]).SerializeToString(), 11)], 11)
    st = compile_host(snap, "h1")
    assert {n.port_id for n in st.neighbors.values()} == {"b", "f"}
    assert entry(st, "b") is before
    node = node_pb2.Node(id="id-h2", name="h2", local_ip="192.168.9.2")
    snap.apply([Change(NODES + b"id-h2", node.SerializeToString(), 12)], 12)
    assert entry(compile_host(snap, "h1"), "b").host_ip == "192.168.9.2"
    net = network_pb2.Network(id="vpc1", provider_segmentation_id=4242)
    snap.apply([Change(NETWORKS + b"vpc1", net.SerializeToString(), 13)], 13)
    assert entry(compile_host(snap, "h1"), "b").vni == 4242
    r = router_pb2.Router(id="r1", network_id="vpc1", subnet_ids=["s-vpc1"], admin_state_up=True)
    snap.apply([Change(keys.resource("routers", "r1"), r.SerializeToString(), 14)], 14)
    assert entry(compile_host(snap, "h1"), "b").type == gs.NEIGHBOR_TYPE_L3


@pytest.mark.parametrize("seed", range(6))
def test_member_updates_from_any_kept_version_equal_comparing_the_lists(seed):
    """A host a few member-list versions behind gets the changes between its
    version and the current one (goalstate.member_changes); applied to what
    it holds, they give the current list exactly. One too far behind is
    answered by comparing the lists."""
    import random

    from svc_dpm.goalstate import MEMBER_VERSIONS, TableDeltas, _members, member_changes
    from svc_dpm.snapshot import GROUPS
    from alcor.v1 import security_group_pb2

    rng = random.Random(seed)
    snap = world([])
    snap.apply([Change(GROUPS + b"g1", security_group_pb2.SecurityGroup(id="g1").SerializeToString(), 11)], 11)
    versions, rev, live = [], 12, set()
    for _ in range(40):
        changes = []
        for _ in range(rng.randint(1, 5)):
            pid = f"p{rng.randint(0, 30)}"
            if pid in live and rng.random() < 0.4:
                changes.append(Change(PORTS + pid.encode(), None, rev))
                live.discard(pid)
            else:
                changes.append(Change(PORTS + pid.encode(), port_pb2.Port(
                    id=pid, network_id="vpc1", security_groups=["g1"],
                    fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address=f"10.0.{rng.randint(0, 3)}.{rng.randint(2, 9)}")]
                ).SerializeToString(), rev))
                live.add(pid)
        snap.apply(changes, rev)
        rev += 1
        m = _members(snap, "g1")
        if not versions or m is not versions[-1]:  # the same addresses: the same list
            versions.append(m)
    deltas = TableDeltas(snap.members_log)
    new = versions[-1]
    for back in range(1, len(versions)):
        old = versions[-1 - back]
        update = deltas.members(old, new)
        held = set(old.ip_addresses)
        if update is not None:
            assert update.incremental and not set(update.added_ip_addresses) & set(update.removed_ip_addresses)
            held = (held - set(update.removed_ip_addresses)) | set(update.added_ip_addresses)
        assert held == set(new.ip_addresses), back
        chained = member_changes(snap.members_log["g1"], old, new)
        assert (chained is not None) == (back < MEMBER_VERSIONS)
        if back >= MEMBER_VERSIONS:  # not kept: compared whole, still exact
            assert not any(v.members is old for v in snap.members_log["g1"])
    snap.apply([Change(GROUPS + b"g1", None, rev)], rev)  # the history goes with the group
    assert "g1" not in snap.members_log and "g1" not in snap.members_cache


def test_encoded_deltas_are_the_messages_and_share_their_entries():
    """delta_response (what the stream sends) decodes to delta_message, and
    an entry that goes to several hosts is encoded once for all of them."""
    from svc_dpm.goalstate import TableDeltas, delta_response

    snap = world(PORTS_3)
    hosts = ("h1", "h2", "h3")
    before = {h: compile_host(snap, h) for h in hosts}
    snap.apply([Change(keys.resource("ports", p.id), p.SerializeToString(), 11) for p in (
        port_pb2.Port(id="f", network_id="vpc1", binding_host_id="h3", mac_address="fa:16:3e:00:00:0f",
                      fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address="10.0.0.9")]),
        port_pb2.Port(id="b", network_id="vpc1", binding_host_id="h1", mac_address="fa:16:3e:00:00:01",
                      fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address="10.0.0.3")]))], 11)
    snap.apply([Change(keys.resource("ports", "d"), None, 12)], 12)
    after = {h: compile_host(snap, h) for h in hosts}
    deltas = TableDeltas()
    for h in hosts:
        data = delta_response(h, before[h], after[h], 10, 12, deltas)
        want = delta_message(h, before[h], after[h], 10, 12)
        assert want is not None and data is not None
        assert gs.StreamGoalStatesResponse.FromString(data).goal_state == want, h
    assert delta_response("h1", after["h1"], after["h1"], 12, 12, deltas) is None
    # f's neighbor entry went to h1 and h2: encoded once.
    shared = [e for e, _, _ in deltas._encoded.entries()
              if isinstance(e, gs.NeighborState) and e.port_id == "f"]
    assert len(shared) == 1


def test_a_vpc_table_change_is_encoded_once_for_the_hosts_it_does_not_live_on():
    """Every host of the VPC but the one the new port lives on gets the very
    same bytes for the change (no per-host work per entry); the port's own
    host gets none of it."""
    from svc_dpm.goalstate import TableDeltas, delta_response

    snap = world(PORTS_3)
    old = compile_host(snap, "h1").tables["vpc1"]
    before = {h: compile_host(snap, h) for h in ("h1", "h2", "h3")}
    snap.apply([Change(keys.resource("ports", "f"), port_pb2.Port(
        id="f", network_id="vpc1", binding_host_id="h3", mac_address="fa:16:3e:00:00:0f",
        fixed_ips=[common_pb2.FixedIp(subnet_id="s-vpc1", ip_address="10.0.0.9")]).SerializeToString(), 11)], 11)
    new = compile_host(snap, "h1").tables["vpc1"]
    deltas = TableDeltas()
    on_h1, on_h2 = deltas.table_bytes(old, new, "h1"), deltas.table_bytes(old, new, "h2")
    assert on_h1 is on_h2 and on_h1
    assert gs.HostGoalState.FromString(on_h1).neighbors[0].port_id == "f"
    assert deltas.table_bytes(old, new, "h3") == b""
    for h in ("h1", "h2", "h3"):
        after = compile_host(snap, h)
        data = delta_response(h, before[h], after, 10, 11, deltas)
        assert gs.StreamGoalStatesResponse.FromString(data).goal_state == \
            delta_message(h, before[h], after, 10, 11), h


@pytest.mark.parametrize("seed", range(12))
def test_each_host_gets_exactly_the_table_changes_meant_for_it(seed):
    """Random changes to a VPC's table over five hosts (ports added, changed,
    removed and moved between hosts): each host's bytes hold what
    between() says goes to it, no more, no fewer, whether it got the string
    shared by all or that string without its own span."""
    import random

    from svc_dpm.goalstate import TableDeltas, _goes_to

    rnd = random.Random(seed)
    hosts = [f"h{i}" for i in range(5)]

    def entry(pid, host, rev):
        return gs.NeighborState(operation=gs.OPERATION_CREATE, port_id=pid, vpc_id="vpc1",
                                ip_address=f"10.0.{int(pid[1:]) // 250}.{int(pid[1:]) % 250 + 2}",
                                host_ip=f"192.168.0.{hosts.index(host) + 1}", revision=rev)

    old_ports = {f"p{i}": rnd.choice(hosts) for i in range(rnd.randrange(0, 40))}
    new_ports = {}
    for pid, host in old_ports.items():
        fate = rnd.random()
        if fate < 0.6:
            new_ports[pid] = (host, 1)  # unchanged
        elif fate < 0.75:
            new_ports[pid] = (host, 2)  # changed in place
        elif fate < 0.9:
            new_ports[pid] = (rnd.choice(hosts), 2)  # moved (or not)
    for i in range(40, 40 + rnd.randrange(0, 40)):
        new_ports[f"p{i}"] = (rnd.choice(hosts), 1)
    built = {pid: entry(pid, host, 1) for pid, host in old_ports.items()}
    old = [(pid, host, built[pid]) for pid, host in old_ports.items()]
    new = [(pid, host, built[pid] if rev == 1 and old_ports.get(pid) == host else entry(pid, host, rev))
           for pid, (host, rev) in new_ports.items()]
    rnd.shuffle(new)
    deltas = TableDeltas()
    changes = deltas.between(old, new)
    shared = deltas.table_bytes(old, new, "nobody")
    for h in hosts:
        want = [e for skip, only, e in changes if _goes_to(h, skip, only)]
        got = list(gs.HostGoalState.FromString(deltas.table_bytes(old, new, h)).neighbors)
        assert got == want, h
        if not any(h in (skip, only) for skip, only, _ in changes):
            assert deltas.table_bytes(old, new, h) is shared

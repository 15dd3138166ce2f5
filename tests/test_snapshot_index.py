"""svc_dpm's snapshot indexes: which hosts a change concerns, and the shared
member lists of security groups, kept right as ports come, move and go, and
without walking every port of a group per change (the default group, whose
rule names itself as remote group, holds nearly every port: a walk per changed
port made applying a bulk create quadratic and left svc_dpm's watch minutes
behind etcd)."""
from alcor.v1 import common_pb2, network_pb2, port_pb2, security_group_pb2 as sgp
from runtime import keys
from runtime.watch import Change
from svc_dpm.goalstate import compile_host
from svc_dpm.snapshot import Snapshot

DEFAULT = sgp.SecurityGroup(id="default", security_group_rules=[
    sgp.SecurityGroupRule(id="r1", direction="ingress", ethertype="IPv4", remote_group_id="default")])


def port(pid, host, net="vpc1", ip="", groups=("default",)):
    return port_pb2.Port(id=pid, network_id=net, binding_host_id=host, port_security_enabled=True,
                         security_groups=list(groups),
                         fixed_ips=[common_pb2.FixedIp(subnet_id="s", ip_address=ip)] if ip else [])


def put(p, rev):
    return Change(keys.resource("ports", p.id), p.SerializeToString(), rev)


def delete(pid, rev):
    return Change(keys.resource("ports", pid), None, rev)


def brute_hosts(snap, ports_of):
    return {snap.ports[p].binding_host_id for p in ports_of if snap.ports[p].binding_host_id}


def check_indexes(snap):
    for g, pids in snap.ports_by_group.items():
        assert snap.hosts_of_groups({g}) == brute_hosts(snap, pids), g
    for n, pids in snap.ports_by_network.items():
        assert snap.hosts_of_network(n) == brute_hosts(snap, pids), n


def test_indexes_follow_creates_moves_and_deletes():
    snap = Snapshot()
    snap.apply([Change(keys.resource("security_groups", "default"), DEFAULT.SerializeToString(), 1)], 1)
    snap.apply([put(port("a", "h1"), 2), put(port("b", "h1"), 2), put(port("c", "h2", net="vpc2"), 2),
                put(port("u", ""), 2)], 2)
    check_indexes(snap)
    assert snap.hosts_of_groups({"default"}) == {"h1", "h2"}
    assert snap.hosts_of_network("vpc1") == {"h1"}
    # b moves to h3 and another VPC; a leaves the group: h1 keeps one port.
    hosts, _, _ = snap.apply([put(port("b", "h3", net="vpc2"), 3), put(port("a", "h1", groups=()), 3)], 3)
    check_indexes(snap)
    assert snap.hosts_of_groups({"default"}) == {"h2", "h3"}
    assert snap.hosts_of_network("vpc1") == {"h1"} and snap.hosts_of_network("vpc2") == {"h2", "h3"}
    # Every host with a port in the group hears that its members changed.
    assert {"h1", "h2", "h3"} <= hosts
    snap.apply([delete("c", 4), delete("a", 4)], 4)
    check_indexes(snap)
    assert snap.hosts_of_groups({"default"}) == {"h3"}
    assert snap.hosts_of_network("vpc1") == set()


def test_member_lists_are_shared_and_follow_port_changes():
    snap = Snapshot()
    snap.apply([Change(keys.resource("security_groups", "default"), DEFAULT.SerializeToString(), 1)], 1)
    snap.apply([Change(keys.resource("networks", "vpc1"),
                       network_pb2.Network(id="vpc1").SerializeToString(), 1)], 1)
    snap.apply([put(port("a", "h1", ip="10.0.0.2"), 2), put(port("b", "h2", ip="10.0.0.3"), 2)], 2)
    h1, h2 = compile_host(snap, "h1"), compile_host(snap, "h2")
    assert h1.security_group_members["default"] is h2.security_group_members["default"]
    assert list(h1.security_group_members["default"].ip_addresses) == ["10.0.0.2", "10.0.0.3"]
    snap.apply([put(port("b", "h2", ip="10.0.0.9"), 3), put(port("c", "", ip="10.0.0.4"), 3)], 3)
    assert list(compile_host(snap, "h1").security_group_members["default"].ip_addresses) == [
        "10.0.0.2", "10.0.0.4", "10.0.0.9"]
    snap.apply([delete("c", 4)], 4)
    assert list(compile_host(snap, "h2").security_group_members["default"].ip_addresses) == [
        "10.0.0.2", "10.0.0.9"]


class _CountingPorts(dict):
    lookups = 0

    def __getitem__(self, key):
        _CountingPorts.lookups += 1
        return super().__getitem__(key)


def test_applying_a_bulk_create_does_not_walk_the_group_per_port():
    snap = Snapshot()
    snap.ports = _CountingPorts()
    snap.apply([Change(keys.resource("security_groups", "default"), DEFAULT.SerializeToString(), 1)], 1)
    n, per_txn = 4_000, 25
    for rev, i in enumerate(range(0, n, per_txn), start=2):
        snap.apply([put(port(f"p{j:05d}", f"h{j % 100}", ip=f"10.{j // 250}.{j % 250}.1"), rev)
                    for j in range(i, i + per_txn)], rev)
    # Walking the group for each new port would be ~n*n/2 = 8,000,000 lookups.
    assert _CountingPorts.lookups < 10 * n
    check_indexes(snap)


def test_member_lists_are_kept_not_rebuilt_per_round():
    """Each round of pushes takes the default group's list once; taking it
    reads no port (it is kept as ports change), and a change that leaves the
    addresses alone (a port moving host) gives hosts the same list object,
    so nothing is sent for it."""
    from svc_dpm.goalstate import _members

    snap = Snapshot()
    snap.apply([Change(keys.resource("security_groups", "default"), DEFAULT.SerializeToString(), 1)], 1)
    snap.apply([put(port(f"p{j:04d}", f"h{j % 10}", ip=f"10.0.{j // 250}.{j % 250 + 2}"), 2)
                for j in range(1_000)], 2)
    first = _members(snap, "default")
    assert len(first.ip_addresses) == 1_000
    snap.ports = _CountingPorts(snap.ports)
    _CountingPorts.lookups = 0
    for rev in range(3, 103):
        snap.apply([put(port(f"n{rev}", "h1", ip=f"10.1.0.{rev}"), rev)], rev)
        _members(snap, "default")
    # A walk per round would be ~100 * 1,000 lookups.
    assert _CountingPorts.lookups < 1_000
    now = _members(snap, "default")
    assert len(now.ip_addresses) == 1_100 and list(now.ip_addresses) == sorted(now.ip_addresses)
    snap.apply([put(port("p0001", "h7", ip="10.0.0.3"), 200)], 200)  # moved, same address
    assert _members(snap, "default") is now


def test_member_lists_equal_the_addresses_of_the_group_ports():
    """Random creates, address changes, group changes and deletes: the kept
    list is always exactly the addresses of the group's ports, and each
    version's recorded changes lead from the version before to it."""
    import random

    from svc_dpm.goalstate import _members

    rng = random.Random(7)
    snap = Snapshot()
    snap.apply([Change(keys.resource("security_groups", "default"), DEFAULT.SerializeToString(), 1)], 1)
    live: set[str] = set()
    before: set[str] = set()
    last = None
    for rev in range(2, 200):
        changes = []
        for _ in range(rng.randint(1, 6)):
            pid = f"p{rng.randint(0, 40)}"
            if pid in live and rng.random() < 0.3:
                changes.append(delete(pid, rev))
                live.discard(pid)
            else:
                # Few addresses: two ports often share one (as in two VPCs).
                groups = ("default",) if rng.random() < 0.8 else ()
                changes.append(put(port(pid, f"h{rng.randint(0, 3)}", ip=f"10.0.0.{rng.randint(2, 12)}",
                                        groups=groups), rev))
                live.add(pid)
        snap.apply(changes, rev)
        m = _members(snap, "default")
        expect = {f.ip_address for p in snap.ports.values() if "default" in p.security_groups
                  for f in p.fixed_ips}
        assert list(m.ip_addresses) == sorted(expect), rev
        if m is not last:  # a new version: its changes lead to it from the last
            v = snap.members_log["default"][-1]
            assert v.members is m and not v.added & v.removed
            assert (before | v.added) - v.removed == expect, rev
        else:  # the same list only while the addresses are the same
            assert expect == before
        before, last = expect, m


def test_a_deleted_group_without_ports_leaves_no_member_index():
    from svc_dpm.goalstate import _members

    snap = Snapshot()
    g = sgp.SecurityGroup(id="web")
    snap.apply([Change(keys.resource("security_groups", "web"), g.SerializeToString(), 1)], 1)
    snap.apply([put(port("a", "h1", ip="10.0.0.2", groups=("web",)), 2)], 2)
    assert list(_members(snap, "web").ip_addresses) == ["10.0.0.2"]
    snap.apply([delete("a", 3)], 3)
    snap.apply([Change(keys.resource("security_groups", "web"), None, 4)], 4)
    assert "web" not in snap.members and "web" not in snap.members_log

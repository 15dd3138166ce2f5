"""Scale: 200 simulated hosts (real agents with the recording data plane, all
in this test's event loop, each with its own stream to a real svc_dpm) and
5,000 ports in ONE bulk CreatePorts spread over them.

Every host must end with exactly the ports bound to it and exactly the
neighbors it should have, as computed here from the CreatePorts response
alone (not from anything svc_dpm or the agent computes): a host's neighbors
are every other port of the VPCs it has a port in, bound to another host.
Each host must get the bulk in a bounded number of messages (batching, not
one message per port), and every port must reach ACTIVE.

The control plane is a LocalCluster of its own (free ports, a temp etcd), so
its 5,000 ports burden no other test and vanish with it.
"""
from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import time
import uuid
from collections import Counter, defaultdict

import pytest

from alcor.v1 import (goalstate_pb2, network_pb2, network_pb2_grpc, node_pb2, node_pb2_grpc,
                      port_pb2, port_pb2_grpc, subnet_pb2, subnet_pb2_grpc)
from cluster.hosts import host_names, start_hosts, underlay_ip
from cluster.local import LocalCluster, etcd_binary
from runtime import keys
from runtime.clients import channel
from runtime.store import Store
from tests.conftest import eventually

pytestmark = pytest.mark.slow

HOSTS = 200
PORTS = 5_000
VPCS = 50
ZONE = 30  # each VPC's ports land on a window of 30 consecutive hosts
# Batching, not a message per port: a host gets 10-40 ports and about 700
# neighbor changes from the bulk, unbatched that is hundreds of messages. How
# many rounds the bulk spans depends on the machine's load (4-6 per host when
# quiet, up to 11 seen under the full suite), so the bound leaves room.
MAX_MESSAGES_PER_HOST = 20


@pytest.fixture(scope="module")
def control_plane(tmp_path_factory):
    if etcd_binary() is None:
        pytest.skip("etcd is not installed (Debian etcd-server); `make test` installs it")
    base = tmp_path_factory.mktemp("scale")
    c = LocalCluster.on_free_ports(base, with_gateway=False)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        shutil.rmtree(base / "etcd", ignore_errors=True)


def layout(seed: int) -> list[tuple[int, int]]:
    """(VPC index, host index) per port: a VPC's ports on its own window of
    hosts, windows overlapping, so hosts share VPCs unevenly."""
    rng = random.Random(seed)
    out = []
    for _ in range(PORTS):
        v = rng.randrange(VPCS)
        start = v * HOSTS // VPCS
        out.append((v, (start + rng.randrange(ZONE)) % HOSTS))
    return out


def expected_state(ports: list[port_pb2.Port], hosts: list[str]):
    """host -> (port ids, {(neighbor port id, IP)}, fdb, arp), from the
    CreatePorts response alone. fdb is {(VPC, MAC, VTEP)} and arp
    {(VPC, IP, MAC)}, what a Linux host would hold."""
    vtep = {h: underlay_ip(i) for i, h in enumerate(hosts)}
    by_host: dict[str, list[port_pb2.Port]] = defaultdict(list)
    by_vpc: dict[str, list[port_pb2.Port]] = defaultdict(list)
    for p in ports:
        by_host[p.binding_host_id].append(p)
        by_vpc[p.network_id].append(p)
    want = {}
    for h in hosts:
        mine = by_host.get(h, [])
        remote = [q for v in {p.network_id for p in mine} for q in by_vpc[v]
                  if q.binding_host_id != h]
        want[h] = (
            {p.id for p in mine},
            {(q.id, f.ip_address) for q in remote for f in q.fixed_ips},
            {(q.network_id, q.mac_address, vtep[q.binding_host_id]) for q in remote},
            {(q.network_id, f.ip_address, q.mac_address) for q in remote for f in q.fixed_ips},
        )
    return want


def have_state(h):
    return (set(h.driver.ports), {(n.port_id, n.ip) for n in h.agent.state.neighbors.values()},
            set(h.driver.fdb), set(h.driver.arp))


async def test_5000_ports_over_200_hosts_in_one_bulk(control_plane):
    c = control_plane
    vpc_ch, port_ch, dpm_ch = (channel(c.address(s), default_timeout=120)
                               for s in ("svc_vpc", "svc_port", "svc_dpm"))
    store = Store(c.etcd_endpoint)
    stop = asyncio.Event()
    hosts = []
    try:
        networks = network_pb2_grpc.NetworkServiceStub(vpc_ch)
        subnets = subnet_pb2_grpc.SubnetServiceStub(vpc_ch)
        ports_api = port_pb2_grpc.PortServiceStub(port_ch)
        nodes = node_pb2_grpc.NodeServiceStub(dpm_ch)

        names = host_names("sc" + uuid.uuid4().hex[:6], HOSTS)
        await nodes.CreateNodes(node_pb2.CreateNodesRequest(nodes=[
            node_pb2.Node(name=n, local_ip=underlay_ip(i)) for i, n in enumerate(names)]))
        hosts = start_hosts(names, c.address("svc_dpm"), stop)
        # Every agent is connected and holds its (empty) FULL state.
        await eventually(lambda: all(h.agent.has_goal_state for h in hosts), timeout=60,
                         interval=0.1)
        before = {h.name: h.messages for h in hosts}

        nets = (await networks.CreateNetworks(network_pb2.CreateNetworksRequest(networks=[
            network_pb2.Network(name=f"scale-{v}") for v in range(VPCS)]))).networks
        for i in range(0, VPCS, 25):  # svc_vpc takes at most 25 subnets per call
            await subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(subnets=[
                subnet_pb2.Subnet(network_id=n.id, cidr="10.0.0.0/22", ip_version=4)
                for n in nets[i:i + 25]]))

        spec = [port_pb2.Port(network_id=nets[v].id, binding_host_id=names[h])
                for v, h in layout(seed=4)]
        started = time.perf_counter()
        created = (await ports_api.CreatePorts(port_pb2.CreatePortsRequest(ports=spec))).ports
        create_s = time.perf_counter() - started
        assert len(created) == PORTS
        assert [(p.network_id, p.binding_host_id) for p in created] == [
            (p.network_id, p.binding_host_id) for p in spec]
        assert len({p.id for p in created}) == PORTS
        assert len({(p.network_id, p.fixed_ips[0].ip_address) for p in created}) == PORTS

        # ACTIVE is what svc_port reads from svc_dpm's status records: wait on
        # the records in etcd (cheap), then confirm every port through the API.
        status_keys = [keys.port_status(p.id) for p in created]

        async def recorded():
            got = await store.get_many(status_keys)
            records = [goalstate_pb2.PortStatusRecord.FromString(kv.value)
                       for kv in got.values()]
            counts = Counter(r.status for r in records)
            assert counts == {"ACTIVE": PORTS}, f"status records: {dict(counts)} of {PORTS}"
            return True

        await eventually(recorded, timeout=120, interval=0.1)
        active_s = time.perf_counter() - started
        listed = (await ports_api.ListPorts(port_pb2.ListPortsRequest(
            network_id=[n.id for n in nets]))).ports
        assert len(listed) == PORTS
        assert Counter(p.status for p in listed) == {"ACTIVE": PORTS}
        assert {p.id: p.binding_host_id for p in listed} == {
            p.id: p.binding_host_id for p in created}

        # Every host holds exactly what the response says it should.
        want = expected_state(list(created), names)

        def all_converged():
            wrong = [h.name for h in hosts if have_state(h) != want[h.name]]
            assert not wrong, f"{len(wrong)} hosts differ, e.g. {_diff(hosts, want, wrong[0])}"
            return True

        await eventually(all_converged, timeout=60, interval=0.2)
        converged_s = time.perf_counter() - started
        for h in hosts:  # the agent reported exactly its own ports, all programmed
            outcomes = [o for o in h.agent.last_outcomes if o.kind == goalstate_pb2.RESOURCE_TYPE_PORT]
            assert {o.id for o in outcomes} == want[h.name][0]
            assert {o.status for o in outcomes} == {goalstate_pb2.PROGRAMMING_STATUS_SUCCESS}

        # Security groups: every port is in its project's default group
        # (ingress from the group's members), so every namespace's filter
        # holds the group's rules and a member set of every created address.
        members = {f.ip_address for p in created for f in p.fixed_ips}
        for h in hosts:
            assert set(h.driver.filters) == {h.driver.ports[p].namespace for p in want[h.name][0]}
            for nf in h.driver.filters.values():
                assert nf.rule_count > 0 and [ips for _, v6, ips in nf.sets if not v6] == [members]
        rules = [h.driver.rule_count for h in hosts]
        print(f"\nnftables rules per host min/mean/max {min(rules)}/{statistics.mean(rules):.0f}/"
              f"{max(rules)}, each namespace matching a member set of {len(members)} addresses")

        msgs = [h.messages - before[h.name] for h in hosts]
        port_counts = [len(want[n][0]) for n in names]
        neighbor_counts = [len(want[n][1]) for n in names]
        print(f"\n{PORTS} ports, {VPCS} VPCs, {HOSTS} hosts: CreatePorts {create_s:.2f}s, "
              f"all ACTIVE {active_s:.2f}s, every host converged {converged_s:.2f}s after "
              f"the call started")
        print(f"ports per host min/mean/max {min(port_counts)}/{statistics.mean(port_counts):.1f}/"
              f"{max(port_counts)}, neighbors per host min/mean/max {min(neighbor_counts)}/"
              f"{statistics.mean(neighbor_counts):.0f}/{max(neighbor_counts)}")
        print(f"goal-state messages per host for the bulk: min {min(msgs)}, mean "
              f"{statistics.mean(msgs):.2f}, max {max(msgs)}, total {sum(msgs)}; "
              f"histogram {dict(sorted(Counter(msgs).items()))}")
        assert min(port_counts) > 0  # every host took part in the bulk
        assert max(msgs) <= MAX_MESSAGES_PER_HOST, sorted(msgs)[-10:]
    finally:
        stop.set()
        await asyncio.gather(*(h.task for h in hosts), return_exceptions=True)
        for ch in (vpc_ch, port_ch, dpm_ch):
            await ch.close()
        await store.close()


def _diff(hosts, want, name) -> str:
    h = next(h for h in hosts if h.name == name)
    parts = []
    for label, have, should in zip(("ports", "neighbors", "fdb", "arp"), have_state(h),
                                   want[name]):
        if have != should:
            parts.append(f"{label}: {len(have - should)} extra, {len(should - have)} missing")
    return f"{name}: " + "; ".join(parts)

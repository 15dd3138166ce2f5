"""The whole system end to end on a real data plane: a control plane of its
own (etcd and every service as processes on free ports), three simulated
hosts as network namespaces on a fabric bridge (cluster.fabric), each with a
real `python -m agent --driver linux --host-netns ...` process fed by the
real svc_dpm, and real pings between the ports' namespaces.

Two VPCs share 10.0.0.0/24. Every port is in its project's default security
group (whose rule admits the group's own members, by IP), so a ping that
fails here fails for want of a path, not for a filter. Every namespace created
here (the fabric, the hosts, the ports' namespaces the agents create from
device_id) starts with a per-run prefix and is deleted at the end, whatever
happened.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import signal
import time
import uuid
from dataclasses import dataclass, field

import grpc
import pytest

from agent import naming
from alcor.v1 import common_pb2, network_pb2, network_pb2_grpc, node_pb2, node_pb2_grpc
from alcor.v1 import port_pb2, port_pb2_grpc, subnet_pb2, subnet_pb2_grpc
from cluster.fabric import Fabric, can_make_namespaces
from cluster.local import LocalCluster, Process, etcd_binary, wait_serving
from tests.conftest import eventually
from tests.test_agent_linux import ip_json, run

pytestmark = pytest.mark.root

HOSTS = 3
CIDR = "10.0.0.0/24"


def netns_names() -> set[str]:
    return {line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines() if line}


@dataclass
class Env:
    cluster: LocalCluster
    prefix: str
    hosts: list[str]  # node names, index i lives in namespace fabric.host_ns(i)

    def host_ns(self, host: str) -> str:
        return self.cluster.fabric.host_ns(self.hosts.index(host))

    def agent(self, host: str) -> Process:
        return next(p for p in self.cluster.processes if p.name == f"agent-{host}")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    why = can_make_namespaces()
    if why is not None:
        pytest.skip(f"the data plane needs network namespaces: {why}")
    if etcd_binary() is None:
        pytest.skip("etcd is not installed (Debian etcd-server); `make test` installs it")
    prefix = "e2e" + uuid.uuid4().hex[:4]
    base = tmp_path_factory.mktemp("dataplane")
    c = LocalCluster.on_free_ports(base, with_gateway=False, host_driver="linux",
                                   host_prefix=prefix)
    try:
        c.start()
        # Register the hosts ourselves, through NodeService, with the underlay
        # addresses the fabric will give them; start_hosts then only builds the
        # fabric and starts one agent process per host.
        names = [f"{prefix}-{i:04d}" for i in range(HOSTS)]
        plan = Fabric(prefix, HOSTS)
        with grpc.insecure_channel(c.address("svc_dpm")) as ch:
            stub = node_pb2_grpc.NodeServiceStub(ch)
            stub.CreateNodes(node_pb2.CreateNodesRequest(nodes=[
                node_pb2.Node(name=n, local_ip=plan.underlay_ip(i)) for i, n in enumerate(names)]))
            got = stub.ListNodes(node_pb2.ListNodesRequest(name=names)).nodes
            assert {(n.name, n.local_ip) for n in got} == {
                (n, plan.underlay_ip(i)) for i, n in enumerate(names)}
        c.hosts = HOSTS
        c.start_hosts()
        assert c.host_names() == names
        yield Env(c, prefix, names)
    finally:
        c.stop()
        for ns in netns_names():
            if ns.startswith(prefix):
                run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(base / "etcd", ignore_errors=True)
    assert not [ns for ns in netns_names() if ns.startswith(prefix)]


@dataclass
class Api:
    env: Env
    channels: list = field(default_factory=list)

    def __post_init__(self):
        c = self.env.cluster
        vpc = grpc.aio.insecure_channel(c.address("svc_vpc"))
        port = grpc.aio.insecure_channel(c.address("svc_port"))
        self.channels = [vpc, port]
        self.networks = network_pb2_grpc.NetworkServiceStub(vpc)
        self.subnets = subnet_pb2_grpc.SubnetServiceStub(vpc)
        self.ports = port_pb2_grpc.PortServiceStub(port)
        self.tag = uuid.uuid4().hex[:4]

    async def close(self):
        for ch in self.channels:
            await ch.close()

    async def vpcs(self, n: int) -> list[tuple[network_pb2.Network, subnet_pb2.Subnet]]:
        """n VPCs, each with a subnet on the same CIDR."""
        nets = (await self.networks.CreateNetworks(network_pb2.CreateNetworksRequest(
            networks=[network_pb2.Network(name=f"{self.env.prefix}-{self.tag}-{i}")
                      for i in range(n)]))).networks
        subs = (await self.subnets.CreateSubnets(subnet_pb2.CreateSubnetsRequest(
            subnets=[subnet_pb2.Subnet(network_id=net.id, cidr=CIDR, ip_version=4)
                     for net in nets]))).subnets
        return list(zip(nets, subs))

    def namespace(self, name: str) -> str:
        return f"{self.env.prefix}-{self.tag}-{name}"

    def port(self, name: str, vpc, host: int, ip: str = "") -> port_pb2.Port:
        net, sub = vpc
        p = port_pb2.Port(network_id=net.id, binding_host_id=self.env.hosts[host],
                          device_id=self.namespace(name), name=name)
        if ip:
            p.fixed_ips.append(common_pb2.FixedIp(subnet_id=sub.id, ip_address=ip))
        return p

    async def create(self, *ports: port_pb2.Port) -> dict[str, port_pb2.Port]:
        got = (await self.ports.CreatePorts(port_pb2.CreatePortsRequest(ports=ports))).ports
        return {p.name: p for p in got}

    async def delete(self, p: port_pb2.Port) -> None:
        await self.ports.DeletePort(port_pb2.DeletePortRequest(id=p.id))

    async def statuses(self, ports) -> dict[str, str]:
        ids = [p.id for p in ports]
        got = (await self.ports.ListPorts(port_pb2.ListPortsRequest(id=ids))).ports
        return {p.id: p.status for p in got}

    async def all_active(self, ports) -> bool:
        st = await self.statuses(ports)
        assert set(st.values()) == {"ACTIVE"} and len(st) == len(ports), st
        return True

    async def bound_to(self, host: str) -> list[port_pb2.Port]:
        return list((await self.ports.ListPorts(port_pb2.ListPortsRequest(
            binding_host_id=[host]))).ports)


@pytest.fixture
async def api(env):
    a = Api(env)
    yield a
    await a.close()


# --- what a host holds ----------------------------------------------------------

OWNED = (naming.BRIDGE_PREFIX, naming.VXLAN_PREFIX, naming.VETH_HOST_PREFIX)


def devices(host_ns: str) -> set[str]:
    """The agent's devices in a host namespace (bridges, VXLANs, host veths)."""
    return {link["ifname"] for link in ip_json("-n", host_ns, "link", "show")
            if link["ifname"].startswith(OWNED)}


def wanted_devices(ports) -> set[str]:
    return ({naming.veth_host_name(p.id) for p in ports}
            | {naming.bridge_name(p.network_id) for p in ports}
            | {naming.vxlan_name(p.network_id) for p in ports})


def port_address(p: port_pb2.Port) -> tuple[str, str] | None:
    """(MAC, IPv4) of the port's device inside its namespace, None if absent."""
    r = run("ip", "-j", "-n", p.device_id, "addr", "show", "dev", naming.veth_port_name(p.id),
            check=False)
    if r.returncode != 0 or not r.stdout.strip():
        return None
    (link,) = json.loads(r.stdout)
    ips = [a["local"] for a in link["addr_info"] if a["family"] == "inet"]
    return link["address"], ips[0] if ips else ""


async def converged(api: Api, host: str) -> bool:
    """The host's namespace holds exactly the devices of the ports bound to it
    (per svc_port), and each of those ports has its namespace with its MAC
    and IP."""
    ports = await api.bound_to(host)
    have = devices(api.env.host_ns(host))
    assert have == wanted_devices(ports), (host, have ^ wanted_devices(ports))
    for p in ports:
        assert port_address(p) == (p.mac_address, p.fixed_ips[0].ip_address), p.name
    return True


def port_namespaces(api: Api) -> set[str]:
    """The port namespaces of this test that exist."""
    return {ns for ns in netns_names() if ns.startswith(api.namespace(""))}


async def ping(ns: str, ip: str) -> bool:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", ns, "ping", "-c1", "-W1", ip,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait() == 0


async def pings(pairs: list[tuple[port_pb2.Port, str]]) -> dict[tuple[str, str], bool]:
    """(from port name, to IP) -> answered; all at once (a lost ping costs 1 s)."""
    got = await asyncio.gather(*(ping(p.device_id, ip) for p, ip in pairs))
    return {(p.name, ip): ok for (p, ip), ok in zip(pairs, got)}


def expect_pings(pairs_and_results):
    """A check for eventually(): every ping gives the expected answer."""
    pairs = [(p, ip) for p, ip, _ in pairs_and_results]
    want = {(p.name, ip): ok for p, ip, ok in pairs_and_results}

    async def check():
        got = await pings(pairs)
        assert got == want, {k: v for k, v in got.items() if want[k] != v}
        return True
    return check


def arp_of(p: port_pb2.Port) -> dict[str, str]:
    return {n["dst"]: n.get("lladdr", "") for n in ip_json("-n", p.device_id, "neigh", "show")
            if "PERMANENT" in n.get("state", [])}


# --- the tests ------------------------------------------------------------------


async def test_same_vpc_answers_across_hosts_other_vpc_and_deleted_ports_do_not(api, env):
    A, B = await api.vpcs(2)
    ps = await api.create(
        api.port("a0", A, 0, "10.0.0.10"),
        api.port("a1", A, 1, "10.0.0.11"),
        api.port("b1", B, 1, "10.0.0.10"),  # a0's IP, in the other VPC, on a1's host
        api.port("b2", B, 2, "10.0.0.11"),  # a1's IP, in the other VPC
        api.port("b3", B, 2, "10.0.0.12"),  # an IP only VPC B has
    )
    a0, a1, b1, b2, b3 = (ps[n] for n in ("a0", "a1", "b1", "b2", "b3"))
    assert {p.status for p in ps.values()} == {"DOWN"}
    await eventually(lambda: api.all_active(ps.values()), timeout=30, interval=0.1)
    for h in env.hosts:
        await eventually(lambda: converged(api, h), timeout=20, interval=0.1)
    assert port_namespaces(api) == {p.device_id for p in ps.values()}

    await eventually(expect_pings([
        (a0, "10.0.0.11", True),   # A: host 0 -> host 1
        (a1, "10.0.0.10", True),   # A: host 1 -> host 0
        (b2, "10.0.0.10", True),   # B: host 2 -> host 1, the IP a0 has in A
        (b1, "10.0.0.11", True),   # B: host 1 -> host 2, the IP a1 has in A
        (b1, "10.0.0.12", True),
        (a0, "10.0.0.12", False),  # A -> an IP only B has, on another host
        (a1, "10.0.0.12", False),
    ]), timeout=30, interval=0.2)
    # 10.0.0.11 answered a0 from a1, not from b2: a0 only knows a1's MAC.
    assert arp_of(a0) == {"10.0.0.11": a1.mac_address}
    assert arp_of(b1) == {"10.0.0.11": b2.mac_address, "10.0.0.12": b3.mac_address}

    # Even a frame sent straight to b3's MAC from VPC A goes nowhere.
    run("ip", "-n", a0.device_id, "neigh", "replace", "10.0.0.12", "lladdr", b3.mac_address,
        "dev", naming.veth_port_name(a0.id))
    assert not await ping(a0.device_id, "10.0.0.12")

    # Deleting a1: nothing answers 10.0.0.11 in A any more, though b2 still
    # holds that IP in B; its devices and namespace are gone from host 1.
    await api.delete(a1)
    await eventually(expect_pings([
        (a0, "10.0.0.11", False),
        (b1, "10.0.0.11", True),
    ]), timeout=30, interval=0.2)
    await eventually(lambda: converged(api, env.hosts[1]), timeout=20, interval=0.1)
    assert naming.veth_host_name(a1.id) not in devices(env.host_ns(env.hosts[1]))
    await eventually(lambda: a1.device_id not in netns_names(), timeout=20, interval=0.1)
    await eventually(lambda: "10.0.0.11" not in arp_of(a0), timeout=20, interval=0.1)

    for p in (a0, b1, b2, b3):
        await api.delete(p)
    await eventually(lambda: not port_namespaces(api), timeout=30, interval=0.1)


async def test_agent_killed_converges_after_restart(api, env):
    (A,) = await api.vpcs(1)
    h0, h1 = env.hosts[0], env.hosts[1]
    ps = await api.create(api.port("x0", A, 0), api.port("x1", A, 1), api.port("y1", A, 1))
    await eventually(lambda: api.all_active(ps.values()), timeout=30, interval=0.1)

    agent = env.agent(h1)
    argv = agent.popen.args
    env.cluster.stop_process(agent, signal.SIGKILL)
    assert agent.popen.returncode == -signal.SIGKILL

    # While host 1 has no agent: a port more on it, one less, and one more on host 0.
    ps.update(await api.create(api.port("z1", A, 1), api.port("z0", A, 0)))
    y1 = ps.pop("y1")
    await api.delete(y1)
    await eventually(lambda: api.all_active([ps["z0"]]), timeout=30, interval=0.1)
    assert (await api.statuses([ps["z1"]])) == {ps["z1"].id: "DOWN"}
    # Host 1 still holds what the dead agent left: y1, and no z1.
    have = devices(env.host_ns(h1))
    assert naming.veth_host_name(y1.id) in have and naming.veth_host_name(ps["z1"].id) not in have
    assert y1.device_id in netns_names()
    await eventually(lambda: converged(api, h0), timeout=20, interval=0.1)

    restarted = env.cluster._spawn(agent.name, argv, "", env.cluster.service_env())
    await eventually(lambda: api.all_active(ps.values()), timeout=40, interval=0.1)
    await eventually(lambda: converged(api, h1), timeout=20, interval=0.1)
    assert restarted.popen.poll() is None
    assert port_namespaces(api) == {p.device_id for p in ps.values()}
    x0, x1, z0, z1 = (ps[n] for n in ("x0", "x1", "z0", "z1"))
    ip = {n: p.fixed_ips[0].ip_address for n, p in ps.items()}
    await eventually(expect_pings([
        (x0, ip["z1"], True), (z1, ip["x0"], True), (z1, ip["z0"], True), (x1, ip["z0"], True),
    ]), timeout=30, interval=0.2)

    for p in ps.values():
        await api.delete(p)
    await eventually(lambda: not port_namespaces(api), timeout=30, interval=0.1)


async def test_svc_dpm_restart_during_a_bulk_create_loses_nothing(api, env):
    vpcs = await api.vpcs(2)
    n = 30
    started = time.monotonic()
    created = await api.create(*(api.port(f"bulk{i}", vpcs[i % 2], i % HOSTS)
                                 for i in range(n)))
    # Kill svc_dpm in the middle of delivering the bulk: as soon as an agent
    # has started programming it (its first port namespace exists), while
    # goal states and reports are still in flight.
    wanted = {p.device_id for p in created.values()}
    await eventually(lambda: wanted & netns_names(), timeout=30, interval=0.01)
    dpm = env.cluster.replicas_of("svc_dpm")[0]
    env.cluster.stop_process(dpm, signal.SIGKILL)
    programmed = len(wanted & netns_names())
    active = list((await api.statuses(created.values())).values()).count("ACTIVE")
    print(f"\nsvc_dpm killed {time.monotonic() - started:.2f}s after the bulk started, "
          f"{programmed}/{n} port namespaces created, {active}/{n} ports ACTIVE")
    fresh = env.cluster.start_service("svc_dpm")
    wait_serving(fresh, 30)

    await eventually(lambda: api.all_active(created.values()), timeout=60, interval=0.2)
    print(f"all {n} ACTIVE {time.monotonic() - started:.2f}s after the bulk started")
    for h in env.hosts:
        await eventually(lambda: converged(api, h), timeout=20, interval=0.1)
        mine = {p.id for p in created.values() if p.binding_host_id == h}
        assert mine <= {p.id for p in await api.bound_to(h)}
    assert port_namespaces(api) == {p.device_id for p in created.values()}
    # The same IP in both VPCs, on different hosts: each reaches its own VPC's.
    first = {p.fixed_ips[0].ip_address: p for p in created.values() if p.network_id == vpcs[0][0].id}
    other = [p for p in created.values() if p.network_id == vpcs[1][0].id]
    src = other[0]  # host 1
    dst = next(p for p in other if p.binding_host_id != src.binding_host_id)
    assert dst.fixed_ips[0].ip_address in first  # that IP exists in the first VPC too
    await eventually(expect_pings([(src, dst.fixed_ips[0].ip_address, True)]), timeout=30,
                     interval=0.2)
    assert arp_of(src)[dst.fixed_ips[0].ip_address] == dst.mac_address

    for p in created.values():
        await api.delete(p)
    await eventually(lambda: not port_namespaces(api), timeout=30, interval=0.1)

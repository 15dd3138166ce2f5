"""Security groups and distributed routers on real namespaces, with real
traffic, through the Linux driver fed hand-built goal states.

Two hosts on a fabric (cluster.fabric); one VPC (VNI 3001) with three subnets:

    s1 10.1.0.0/24: d1 on h0 .2 (default), d2 on h1 .3 (default),
                    w on h1 .4 (web: TCP 8080 in, nothing out)
    s2 10.2.0.0/24: r2 on h0 .2 (default)
    s3 10.3.0.0/24: r3 on h1 .2 (default)

`default` is Neutron's: ingress from its own members, egress anywhere.
Listeners and held-open connections are sockets of this process created
inside the port namespaces (a socket stays in the namespace it was made in).
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
from dataclasses import dataclass, field, replace

import pytest

from agent import naming, netns, nft
from agent.dataplane import Status
from agent.linux import LinuxDataPlane
from agent.model import EMPTY, apply_goal_state
from alcor.v1 import goalstate_pb2 as gs
from alcor.v1.common_pb2 import FixedIp
from cluster.fabric import Fabric, can_make_namespaces
from svc_dpm.goalstate import gateway_mac
from tests.agent_helpers import unique, vpc
from tests.conftest import eventually

pytestmark = pytest.mark.root

VPC, VNI = "vpc-p", 3001
SUBNETS = {"s1": "10.1.0.0/24", "s2": "10.2.0.0/24", "s3": "10.3.0.0/24"}


@dataclass(frozen=True)
class P:
    name: str
    host: int
    subnet: str
    ip: str
    mac: str
    groups: tuple[str, ...] = ("default",)


def rule(rid, direction, protocol="", pmin=0, pmax=0, prefix="", remote=""):
    return gs.SecurityGroupRuleState(id=rid, direction=direction, ethertype="IPv4",
                                     protocol=protocol, port_range_min=pmin,
                                     port_range_max=pmax, remote_ip_prefix=prefix,
                                     remote_group_id=remote)


DEFAULT_RULES = [rule("d-in", "ingress", remote="default"), rule("d-out", "egress")]


@dataclass
class World:
    """What the control plane would know; compiles each host's goal state
    the way svc_dpm does."""

    fabric: Fabric
    ports: dict[str, P] = field(default_factory=dict)
    groups: dict[str, list] = field(default_factory=dict)
    # router id -> attached subnet ids
    routers: dict[str, list[str]] = field(default_factory=dict)
    drivers: dict[int, LinuxDataPlane] = field(default_factory=dict)
    revision: int = 0

    @property
    def prefix(self) -> str:
        return self.fabric.prefix

    def host_ns(self, host: int) -> str:
        return self.fabric.host_ns(host)

    def port_ns(self, name: str) -> str:
        return f"{self.prefix}-p-{name}"

    def goal_state(self, host: int) -> gs.HostGoalState:
        local = [p for p in self.ports.values() if p.host == host]
        routed = {s for subnets in self.routers.values() for s in subnets}
        msg = gs.HostGoalState(host_name=self.host_ns(host), update_type=gs.UPDATE_TYPE_FULL,
                               revision=self.revision)
        if not local:
            return msg
        msg.vpcs.append(vpc(VPC, VNI))
        for sid, cidr in SUBNETS.items():
            msg.subnets.append(gs.SubnetState(id=sid, vpc_id=VPC, cidr=cidr, ip_version=4,
                                              gateway_ip=cidr.replace("0/24", "1")))
        used: set[str] = set()
        for p in local:
            msg.ports.append(gs.PortState(
                id=p.name, vpc_id=VPC, mac_address=p.mac, namespace=self.port_ns(p.name),
                fixed_ips=[FixedIp(subnet_id=p.subnet, ip_address=p.ip)], admin_state_up=True,
                security_group_ids=p.groups, port_security_enabled=True))
            used.update(p.groups)
        remote = set()
        for gid in sorted(used):
            msg.security_groups.append(gs.SecurityGroupState(id=gid, rules=self.groups[gid]))
            remote |= {r.remote_group_id for r in self.groups[gid] if r.remote_group_id}
        for gid in sorted(remote):
            msg.security_group_members.append(gs.SecurityGroupMembers(
                group_id=gid, ip_addresses=[p.ip for p in self.ports.values() if gid in p.groups]))
        for p in self.ports.values():
            if p.host != host:
                msg.neighbors.append(gs.NeighborState(
                    port_id=p.name, vpc_id=VPC, subnet_id=p.subnet, ip_address=p.ip,
                    mac_address=p.mac, host_ip=self.fabric.underlay_ip(p.host), vni=VNI,
                    type=gs.NEIGHBOR_TYPE_L3 if p.subnet in routed else gs.NEIGHBOR_TYPE_L2))
        for rid, subnets in self.routers.items():
            if subnets:
                msg.routers.append(gs.RouterState(
                    id=rid, vpc_id=VPC, gateway_mac=gateway_mac(rid), interfaces=[
                        gs.RouterInterface(subnet_id=s, cidr=SUBNETS[s],
                                           gateway_ip=SUBNETS[s].replace("0/24", "1"))
                        for s in subnets]))
        return msg

    async def program(self) -> None:
        self.revision += 1
        for host, driver in self.drivers.items():
            outcomes = await driver.reconcile(apply_goal_state(EMPTY, self.goal_state(host)))
            bad = [o for o in outcomes if o.status != Status.SUCCESS]
            assert not bad, bad


def run(*argv: str) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stderr.strip()}"
    return r


@pytest.fixture
async def world():
    if why := can_make_namespaces() or nft.available():
        pytest.skip(why)
    prefix = unique("sg")
    w = World(Fabric(prefix, 2, subnet="192.168.110"), groups={"default": DEFAULT_RULES,
                              "web": [rule("w-8080", "ingress", "tcp", 8080, 8080,
                                           "0.0.0.0/0")]})
    w.ports = {p.name: p for p in [
        P("d1", 0, "s1", "10.1.0.2", "fa:16:3e:01:00:02"),
        P("d2", 1, "s1", "10.1.0.3", "fa:16:3e:01:00:03"),
        P("w", 1, "s1", "10.1.0.4", "fa:16:3e:01:00:04", ("web",)),
        P("r2", 0, "s2", "10.2.0.2", "fa:16:3e:02:00:02"),
        P("r3", 1, "s3", "10.3.0.2", "fa:16:3e:03:00:02"),
    ]}
    try:
        w.fabric.create()
        for host in (0, 1):
            w.drivers[host] = LinuxDataPlane(w.host_ns(host), w.fabric.underlay_ip(host))
        await w.program()
        yield w
        w.ports, w.routers = {}, {}
        await w.program()  # deletes remove everything they created
        leftovers = [ns for ns in netns_names()
                     if ns.startswith(prefix + "-") and ns not in w.fabric.namespaces]
        assert not leftovers, leftovers
    finally:
        for d in w.drivers.values():
            await d.close()
        for ns in netns_names():
            if ns.startswith(prefix + "-") and ns not in w.fabric.namespaces:
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        w.fabric.destroy()


def netns_names() -> list[str]:
    return [line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines() if line]


async def ping(ns: str, ip: str) -> bool:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", ns, "ping", "-c1", "-W1", ip,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait() == 0


async def pings(world: World, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    got = await asyncio.gather(*(ping(world.port_ns(src), world.ports[dst].ip)
                                 for src, dst in pairs))
    return dict(zip(pairs, got))


def socket_in(ns: str, kind=socket.SOCK_STREAM) -> socket.socket:
    with netns.entered(ns):
        return socket.socket(socket.AF_INET, kind)


async def listen(ns: str, ip: str, port: int) -> asyncio.AbstractServer:
    """An echo server on ip:port inside the namespace."""
    sock = socket_in(ns)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((ip, port))
    sock.listen()
    sock.setblocking(False)

    async def echo(reader, writer):
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()
    return await asyncio.start_server(echo, sock=sock)


async def connect(ns: str, ip: str, port: int, timeout: float = 1.0):
    """(reader, writer) of a TCP connection from the namespace, or None."""
    sock = socket_in(ns)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (ip, port)),
                               timeout)
    except (OSError, asyncio.TimeoutError):
        sock.close()
        return None
    return await asyncio.open_connection(sock=sock)


async def echoes(conn, payload: bytes = b"ping\n", timeout: float = 1.0) -> bool:
    reader, writer = conn
    writer.write(payload)
    try:
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), timeout) == payload
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        return False


async def test_default_group_lets_members_in_and_keeps_others_out(world):
    got = await pings(world, [("d1", "d2"), ("d2", "d1"), ("w", "d1")])
    # w is not in default: d1 does not let it in (and w's group lets nothing out).
    assert got == {("d1", "d2"): True, ("d2", "d1"): True, ("w", "d1"): False}


async def test_a_tcp_only_group_is_stateful(world):
    w_ns, w_ip, d1_ns = world.port_ns("w"), world.ports["w"].ip, world.port_ns("d1")
    servers = [await listen(w_ns, w_ip, 8080), await listen(w_ns, w_ip, 22)]
    try:
        conn = await connect(d1_ns, w_ip, 8080)
        # The reply direction passes although w's group allows no egress at all.
        assert conn is not None and await echoes(conn)
        conn[1].close()
        assert await connect(d1_ns, w_ip, 22) is None
        assert await pings(world, [("d1", "w")]) == {("d1", "w"): False}
    finally:
        for s in servers:
            s.close()


async def test_a_new_rule_opens_traffic_and_keeps_connections(world):
    w_ip = world.ports["w"].ip
    server = await listen(world.port_ns("w"), w_ip, 8080)
    try:
        held = await connect(world.port_ns("d1"), w_ip, 8080)
        assert held is not None and await echoes(held)
        assert await pings(world, [("d1", "w")]) == {("d1", "w"): False}

        world.groups["web"] = world.groups["web"] + [rule("w-icmp", "ingress", "icmp")]
        loop = asyncio.get_running_loop()
        started = loop.time()
        await world.program()
        await eventually(lambda: ping(world.port_ns("d1"), world.ports["w"].ip), timeout=5)
        print(f"\nrule added to ping answered: {(loop.time() - started) * 1e3:.0f} ms")
        assert await echoes(held, b"still there\n")  # the update dropped nothing
        held[1].close()
    finally:
        server.close()


async def test_leaving_a_remote_group_cuts_a_port_off(world):
    world.groups["other"] = [rule("o-out", "egress")]
    assert (await pings(world, [("d1", "d2")]))[("d1", "d2")]
    world.ports["d1"] = replace(world.ports["d1"], groups=("other",))
    await world.program()
    got = await pings(world, [("d1", "d2"), ("r2", "d2")])
    assert got == {("d1", "d2"): False, ("r2", "d2"): False}  # r2: no router yet
    world.ports["d1"] = replace(world.ports["d1"], groups=("default",))
    await world.program()
    assert (await pings(world, [("d1", "d2")]))[("d1", "d2")]


async def test_a_router_joins_its_subnets_across_hosts_and_only_those(world):
    before = await pings(world, [("r2", "d2"), ("d2", "r2")])
    assert before == {("r2", "d2"): False, ("d2", "r2"): False}

    world.routers["rt"] = ["s1", "s2"]
    await world.program()
    got = await pings(world, [("r2", "d2"), ("d2", "r2"), ("r2", "d1"), ("d1", "r2"),
                              ("r3", "d1"), ("d2", "r3"), ("r2", "r3")])
    assert got == {("r2", "d2"): True, ("d2", "r2"): True,  # routed, across hosts
                   ("r2", "d1"): True, ("d1", "r2"): True,  # routed, on one host
                   ("r3", "d1"): False, ("d2", "r3"): False,  # s3 is not on the router
                   ("r2", "r3"): False}
    # Each host answers the gateway itself: the router's namespace is on both.
    for host in (0, 1):
        assert naming.router_namespace("rt", world.host_ns(host)) in netns_names()
        links = run("ip", "-n", world.host_ns(host), "-o", "link", "show",
                    naming.router_host_name("rt")).stdout
        assert "master " + naming.bridge_name(VPC) in links

    world.routers["rt"] = ["s1"]  # remove_router_interface s2
    await world.program()
    got = await pings(world, [("r2", "d2"), ("d2", "r2")])
    assert got == {("r2", "d2"): False, ("d2", "r2"): False}


async def test_a_filter_changed_by_hand_is_restored_on_the_next_reconcile(world):
    ns = world.port_ns("d2")
    run("ip", "netns", "exec", ns, "nft", "flush", "table", "inet", "alcor")
    assert "jump in_" not in run("ip", "netns", "exec", ns, "nft", "list", "table", "inet",
                                 "alcor").stdout
    await world.program()
    listing = run("ip", "netns", "exec", ns, "nft", "list", "table", "inet", "alcor").stdout
    assert "jump in_" in listing and "@m_" in listing
    assert (await pings(world, [("d1", "d2"), ("w", "d2")])) == {("d1", "d2"): True,
                                                                ("w", "d2"): False}

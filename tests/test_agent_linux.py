"""The Linux driver end to end, without the controller: real namespaces,
bridges, VXLAN and pings.

A "fabric" namespace holds the underlay bridge; three "host" namespaces hang
off it with 192.168.100.1-3/24. Each host gets its own LinuxDataPlane, fed
goal states built here by hand. Two VPCs share 10.0.0.0/24:

    VPC A (VNI 1001): a1 on h1 10.0.0.2, a2 on h2 10.0.0.3
    VPC B (VNI 1002): b2 on h2 10.0.0.2, b1 on h3 10.0.0.3, b3 on h1 10.0.0.9

Every name starts with a per-test prefix; the fixture deletes every
namespace with that prefix, so nothing outlives a test.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agent import naming
from agent.dataplane import Status
from agent.linux import LinuxDataPlane
from agent.model import EMPTY, Kind, apply_goal_state
from alcor.v1 import goalstate_pb2 as gs
from tests.agent_helpers import (FakeController, full, neighbor, port, serve_fake_controller,
                                 subnet, unique, vpc)
from tests.conftest import eventually

pytestmark = pytest.mark.root

ROOT = Path(__file__).resolve().parent.parent
VNI = {"A": 1001, "B": 1002}


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


def ip_json(*argv: str) -> list:
    out = run("ip", "-j", *argv).stdout
    return json.loads(out) if out.strip() else []


@dataclass(frozen=True)
class Port:
    name: str
    vpc: str
    host: int  # 1..3
    ip: str
    mac: str
    ip6: str = ""  # in fd00::/64 when set


PORTS = [
    Port("a1", "A", 1, "10.0.0.2", "fa:16:3e:0a:00:01"),
    Port("a2", "A", 2, "10.0.0.3", "fa:16:3e:0a:00:02"),
    Port("b2", "B", 2, "10.0.0.2", "fa:16:3e:0b:00:02"),
    Port("b1", "B", 3, "10.0.0.3", "fa:16:3e:0b:00:01"),
    Port("b3", "B", 1, "10.0.0.9", "fa:16:3e:0b:00:03"),
]


def underlay_ip(host: int) -> str:
    return f"192.168.100.{host}"


@dataclass
class Cloud:
    prefix: str
    drivers: dict[int, LinuxDataPlane] = field(default_factory=dict)
    states: dict[int, object] = field(default_factory=dict)
    revision: int = 0

    def host_ns(self, host: int) -> str:
        return f"{self.prefix}-h{host}"

    def port_ns(self, name: str) -> str:
        return f"{self.prefix}-p-{name}"

    def goal_state(self, host: int, ports: list[Port]) -> gs.HostGoalState:
        """What svc_dpm would send `host`: its ports, their VPCs and subnets,
        and every port of those VPCs on other hosts as a neighbor."""
        local = [p for p in ports if p.host == host]
        vpcs = sorted({p.vpc for p in local})

        def ips(p: Port) -> list[tuple[str, str]]:
            return [(f"s{p.vpc}", p.ip)] + ([(f"s{p.vpc}6", p.ip6)] if p.ip6 else [])

        return full(
            self.revision, self.host_ns(host),
            vpcs=[vpc(v, VNI[v]) for v in vpcs],
            subnets=[subnet(f"s{v}", v, "10.0.0.0/24", "10.0.0.1") for v in vpcs] + [
                subnet(f"s{v}6", v, "fd00::/64", "fd00::1") for v in vpcs],
            ports=[port(p.name, p.vpc, p.mac, ips(p), self.port_ns(p.name)) for p in local],
            neighbors=[neighbor(p.name, p.vpc, ip, p.mac, underlay_ip(p.host), VNI[p.vpc])
                       for p in ports if p.vpc in vpcs and p.host != host
                       for _, ip in ips(p)])

    async def program(self, ports: list[Port]) -> dict[int, dict]:
        """Reconciles every host to `ports`; returns host -> port -> outcome."""
        self.revision += 1
        result = {}
        for host, driver in self.drivers.items():
            self.states[host] = apply_goal_state(EMPTY, self.goal_state(host, ports))
            outcomes = await driver.reconcile(self.states[host])
            result[host] = {o.id: o for o in outcomes}
        return result

    async def reconcile(self, host: int):
        return {o.id: o for o in await self.drivers[host].reconcile(self.states[host])}


def _netns_names() -> list[str]:
    return [line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines() if line]


@pytest.fixture
async def cloud():
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces, veth, bridges, VXLAN")
    prefix = unique("al")
    probe = subprocess.run(["ip", "netns", "add", f"{prefix}-fab"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        pytest.skip(f"`ip netns add` failed: {probe.stderr.strip()}")
    c = Cloud(prefix)
    try:
        fab = f"{prefix}-fab"
        run("ip", "-n", fab, "link", "add", "fabric", "type", "bridge")
        run("ip", "-n", fab, "link", "set", "fabric", "up")
        for host in (1, 2, 3):
            ns = c.host_ns(host)
            run("ip", "netns", "add", ns)
            run("ip", "-n", fab, "link", "add", f"u{host}", "type", "veth", "peer", "name",
                "uplink", "netns", ns)
            run("ip", "-n", fab, "link", "set", f"u{host}", "master", "fabric", "up")
            run("ip", "-n", ns, "addr", "add", f"{underlay_ip(host)}/24", "dev", "uplink")
            run("ip", "-n", ns, "link", "set", "uplink", "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")
            c.drivers[host] = LinuxDataPlane(ns, underlay_ip(host))
        yield c
    finally:
        for d in c.drivers.values():
            await d.close()
        for ns in _netns_names():
            if ns.startswith(prefix + "-"):
                run("ip", "netns", "del", ns, check=False)


async def ping(ns: str, ip: str) -> bool:
    proc = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", ns, "ping", "-6" if ":" in ip else "-4", "-c1", "-W1", ip,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await proc.wait() == 0


async def pings(cloud: Cloud, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """(from port, to IP) -> answered, all at once (a lost ping costs 1 s)."""
    results = await asyncio.gather(*(ping(cloud.port_ns(src), dst) for src, dst in pairs))
    return dict(zip(pairs, results))


def link_names(ns: str) -> set[str]:
    return {link["ifname"] for link in ip_json("-n", ns, "link", "show")}


def fdb_entries(ns: str, dev: str) -> set[tuple[str, str]]:
    out = run("bridge", "-j", "-n", ns, "fdb", "show", "dev", dev).stdout
    return {(e["mac"], e["dst"]) for e in json.loads(out or "[]") if "dst" in e}


def permanent_neighbors(ns: str) -> dict[str, str]:
    return {n["dst"]: n.get("lladdr", "") for n in ip_json("-n", ns, "neigh", "show")
            if "PERMANENT" in n.get("state", [])}


def all_succeeded(result: dict[int, dict]) -> bool:
    return all(o.status == Status.SUCCESS for per_host in result.values()
               for o in per_host.values())


async def test_same_vpc_across_hosts_answers_and_vpcs_are_isolated(cloud):
    assert all_succeeded(await cloud.program(PORTS))

    got = await pings(cloud, [
        ("a1", "10.0.0.3"),  # A: h1 -> h2
        ("a2", "10.0.0.2"),  # A: h2 -> h1
        ("b2", "10.0.0.3"),  # B: h2 -> h3, the same IP a2 has in A
        ("b2", "10.0.0.9"),  # B: h2 -> h1
        ("b1", "10.0.0.9"),  # B: h3 -> h1
        ("a1", "10.0.0.9"),  # A -> an IP only B has, on the same host
        ("a2", "10.0.0.9"),  # A -> an IP only B has, on another host
    ])
    assert got == {
        ("a1", "10.0.0.3"): True, ("a2", "10.0.0.2"): True, ("b2", "10.0.0.3"): True,
        ("b2", "10.0.0.9"): True, ("b1", "10.0.0.9"): True,
        ("a1", "10.0.0.9"): False, ("a2", "10.0.0.9"): False,
    }
    # 10.0.0.3 answered a1 from a2, not from b1: the static ARP entry is a2's.
    assert permanent_neighbors(cloud.port_ns("a1")) == {"10.0.0.3": "fa:16:3e:0a:00:02"}

    # Even a frame sent straight to b3's MAC from VPC A goes nowhere.
    run("ip", "-n", cloud.port_ns("a1"), "neigh", "replace", "10.0.0.9", "lladdr",
        "fa:16:3e:0b:00:03", "dev", naming.veth_port_name("a1"))
    assert not await ping(cloud.port_ns("a1"), "10.0.0.9")


async def test_devices_are_configured_as_designed(cloud):
    await cloud.program(PORTS)
    h1 = cloud.host_ns(1)
    details = {link["ifname"]: link for link in ip_json("-d", "-n", h1, "link", "show")}
    vx = details[naming.vxlan_name("A")]
    info = vx["linkinfo"]["info_data"]
    assert (info["id"], info["local"], info["port"], info["learning"]) == (
        1001, "192.168.100.1", 4789, False)
    assert vx["master"] == naming.bridge_name("A") and vx["ifalias"] == "alcor:vpc:A"
    vh = details[naming.veth_host_name("a1")]
    assert vh["master"] == naming.bridge_name("A") and "UP" in vh["flags"]
    assert vh["ifalias"] == f"alcor:port:a1 ns={cloud.port_ns('a1')}"

    inside = cloud.port_ns("a1")
    (vp,) = [a for a in ip_json("-n", inside, "addr", "show")
             if a["ifname"] == naming.veth_port_name("a1")]
    assert vp["address"] == "fa:16:3e:0a:00:01" and vp["mtu"] == 1450
    assert [(a["local"], a["prefixlen"]) for a in vp["addr_info"] if a["family"] == "inet"] == [
        ("10.0.0.2", 24)]
    (default,) = [r for r in ip_json("-n", inside, "route", "show") if r["dst"] == "default"]
    assert default["gateway"] == "10.0.0.1"
    assert "UP" in next(a for a in ip_json("-n", inside, "link", "show")
                        if a["ifname"] == "lo")["flags"]
    assert fdb_entries(h1, naming.vxlan_name("A")) == {("fa:16:3e:0a:00:02", "192.168.100.2")}
    assert fdb_entries(h1, naming.vxlan_name("B")) == {
        ("fa:16:3e:0b:00:02", "192.168.100.2"), ("fa:16:3e:0b:00:01", "192.168.100.3")}


async def test_dual_stack_ports_reach_each_other_over_ipv6(cloud):
    a1 = Port("a1", "A", 1, "10.0.0.2", "fa:16:3e:0a:00:01", "fd00::2")
    a2 = Port("a2", "A", 2, "10.0.0.3", "fa:16:3e:0a:00:02", "fd00::3")
    assert all_succeeded(await cloud.program([a1, a2]))
    assert permanent_neighbors(cloud.port_ns("a1")) == {
        "10.0.0.3": "fa:16:3e:0a:00:02", "fd00::3": "fa:16:3e:0a:00:02"}
    routes = ip_json("-6", "-n", cloud.port_ns("a1"), "route", "show", "default")
    assert [r["gateway"] for r in routes] == ["fd00::1"]
    assert await pings(cloud, [("a1", "fd00::3"), ("a2", "fd00::2"), ("a1", "10.0.0.3")]) == {
        ("a1", "fd00::3"): True, ("a2", "fd00::2"): True, ("a1", "10.0.0.3"): True}


async def test_deleting_a_port_removes_its_devices_and_namespace(cloud):
    await cloud.program(PORTS)
    assert await ping(cloud.port_ns("a1"), "10.0.0.3")

    result = await cloud.program([p for p in PORTS if p.name != "a2"])
    assert set(result[2]) == {"b2"} and all_succeeded(result)
    h2 = cloud.host_ns(2)
    assert naming.veth_host_name("a2") not in link_names(h2)
    assert {naming.bridge_name("A"), naming.vxlan_name("A")}.isdisjoint(link_names(h2))
    assert cloud.port_ns("a2") not in _netns_names()
    assert fdb_entries(cloud.host_ns(1), naming.vxlan_name("A")) == set()
    # b1 still has 10.0.0.3, but in the other VPC.
    got = await pings(cloud, [("a1", "10.0.0.3"), ("b2", "10.0.0.3")])
    assert got == {("a1", "10.0.0.3"): False, ("b2", "10.0.0.3"): True}


async def test_entries_deleted_by_hand_come_back_on_the_next_reconcile(cloud):
    await cloud.program(PORTS)
    h1, a1 = cloud.host_ns(1), cloud.port_ns("a1")
    vx = naming.vxlan_name("A")
    run("bridge", "-n", h1, "fdb", "del", "fa:16:3e:0a:00:02", "dev", vx, "dst",
        "192.168.100.2", "self")
    run("ip", "-n", a1, "neigh", "del", "10.0.0.3", "dev", naming.veth_port_name("a1"))
    assert fdb_entries(h1, vx) == set() and permanent_neighbors(a1) == {}
    assert not await ping(a1, "10.0.0.3")

    assert (await cloud.reconcile(1))["a1"].status == Status.SUCCESS
    assert fdb_entries(h1, vx) == {("fa:16:3e:0a:00:02", "192.168.100.2")}
    assert permanent_neighbors(a1) == {"10.0.0.3": "fa:16:3e:0a:00:02"}
    assert await ping(a1, "10.0.0.3")

    # Bigger drift: the port's namespace, then the VXLAN device, removed by hand.
    run("ip", "netns", "del", cloud.port_ns("a2"))
    run("ip", "-n", h1, "link", "del", vx)
    run("bridge", "-n", h1, "fdb", "add", "00:00:00:00:00:00", "dev", naming.vxlan_name("B"),
        "dst", "192.168.100.3", "self", "permanent")  # flooding that nobody asked for
    assert (await cloud.reconcile(1))["a1"].status == Status.SUCCESS
    assert (await cloud.reconcile(2))["a2"].status == Status.SUCCESS
    assert await ping(a1, "10.0.0.3")
    assert ("00:00:00:00:00:00", "192.168.100.3") not in fdb_entries(h1, naming.vxlan_name("B"))


async def test_reconcile_is_idempotent_and_leaves_other_devices_alone(cloud):
    await cloud.program(PORTS)
    h1 = cloud.host_ns(1)
    # Not ours: a foreign bridge, and one that has our name shape but no alias.
    run("ip", "-n", h1, "link", "add", "br-lan", "type", "bridge")
    run("ip", "-n", h1, "link", "add", "br-0123abcd", "type", "bridge")
    before = {link["ifname"]: link["ifindex"] for link in ip_json("-n", h1, "link", "show")}
    for _ in range(2):
        assert {o.status for o in (await cloud.reconcile(1)).values()} == {Status.SUCCESS}
    after = {link["ifname"]: link["ifindex"] for link in ip_json("-n", h1, "link", "show")}
    assert after == before

    # A VPC leaving the host takes its bridge and VXLAN device with it, nothing else.
    cloud.states[1] = apply_goal_state(EMPTY, cloud.goal_state(1, [
        p for p in PORTS if p.vpc == "A"]))
    await cloud.reconcile(1)
    names = link_names(h1)
    assert {naming.bridge_name("B"), naming.vxlan_name("B"),
            naming.veth_host_name("b3")}.isdisjoint(names)
    assert {"br-lan", "br-0123abcd", naming.bridge_name("A")} <= names


async def test_unprogrammable_port_fails_with_a_reason_and_others_proceed(cloud):
    h1 = cloud.host_ns(1)
    # Somebody else's device already holds the name a1's host end needs.
    run("ip", "-n", h1, "link", "add", naming.veth_host_name("a1"), "type", "bridge")
    run("ip", "-n", h1, "link", "set", naming.veth_host_name("a1"), "alias", "theirs")
    result = await cloud.program(PORTS)
    assert result[1]["a1"].status == Status.FAILURE
    assert "not created by the agent" in result[1]["a1"].reason
    assert result[1]["b3"].status == Status.SUCCESS
    assert await ping(cloud.port_ns("b2"), "10.0.0.9")


async def test_agent_process_programs_its_host_and_repairs_drift(cloud, tmp_path):
    """`python -m agent --driver linux` against a stand-in controller."""
    host = 1
    controller = FakeController(on_hello=lambda name, applied: [
        cloud.goal_state(host, PORTS)])
    cloud.revision = 7
    server, addr = await serve_fake_controller(controller)
    log = tmp_path / "agent.log"
    with open(log, "wb") as out:  # a file, not a pipe: a full pipe would block the agent
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "agent", "--host-name", cloud.host_ns(host), "--dpm", addr,
            "--driver", "linux", "--host-netns", cloud.host_ns(host),
            "--local-ip", underlay_ip(host), "--resync-seconds", "0.3", "--log-level", "DEBUG",
            cwd=ROOT, stdout=out, stderr=asyncio.subprocess.STDOUT)
    try:
        report = await eventually(lambda: controller.last_report(cloud.host_ns(host)),
                                  timeout=20)
        assert report.revision == 7
        assert {(s.id, s.status) for s in report.statuses if s.type == Kind.PORT} == {
            ("a1", gs.PROGRAMMING_STATUS_SUCCESS), ("b3", gs.PROGRAMMING_STATUS_SUCCESS)}
        assert controller.hellos == [(cloud.host_ns(host), 0)]

        vx = naming.vxlan_name("A")
        run("bridge", "-n", cloud.host_ns(host), "fdb", "del", "fa:16:3e:0a:00:02", "dev", vx,
            "dst", "192.168.100.2", "self")
        await eventually(lambda: fdb_entries(cloud.host_ns(host), vx) == {
            ("fa:16:3e:0a:00:02", "192.168.100.2")}, timeout=10)
    finally:
        proc.terminate()
        await proc.wait()
        await server.stop(0)
    assert proc.returncode == 0, log.read_text()[-3000:]
    # Stopping the agent leaves the host as programmed.
    assert naming.veth_host_name("a1") in link_names(cloud.host_ns(host))

"""Security groups and routers end to end: the Neutron REST API of the
session's control plane, two simulated hosts (namespaces on a fabric), a
real agent process per host with the Linux driver, and real traffic between
port namespaces.

    s1 10.1.0.0/24: d1 on h0 (default), d2 on h1 (default),
                    w on h1 (web: only TCP 8080 in, its egress rules deleted)
    s2 10.2.0.0/24: r2 on h0 (default)
    s3 10.3.0.0/24: r3 on h1 (default)
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx
import pytest

from cluster.fabric import Fabric, can_make_namespaces
from tests.conftest import eventually
from tests.conftest_gateway import client, unique
from tests.test_agent_policy_linux import connect, echoes, listen, netns_names, ping

pytestmark = pytest.mark.root

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Site:
    prefix: str
    fabric: Fabric
    admin: httpx.Client
    api: httpx.Client  # the tenant's
    agents: list[subprocess.Popen] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    subnets: dict[str, str] = field(default_factory=dict)  # name -> id
    groups: dict[str, str] = field(default_factory=dict)  # name -> id
    ports: dict[str, dict] = field(default_factory=dict)  # name -> port
    addresses: dict[str, str] = field(default_factory=dict)  # name -> its IPv4 address

    def port_ns(self, name: str) -> str:
        return f"{self.prefix}-vm-{name}"


def post(c: httpx.Client, path: str, body: dict, status: int = 201) -> dict:
    r = c.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture(scope="module")
def site(cluster):
    if why := can_make_namespaces():
        pytest.skip(why)
    prefix = unique("pe")[:11]
    fabric = Fabric(prefix, 2, subnet="192.168.210").create()
    admin = client(cluster.gateway_url)
    s = Site(prefix, fabric, admin, client(cluster.gateway_url, project=unique("proj")))
    try:
        for i in range(2):
            name = f"{prefix}-node{i}"
            post(admin, "/v2.0/nodes", {"node": {"name": name,
                                                 "local_ip": fabric.underlay_ip(i)}})
            s.hosts.append(name)
            log = open(os.path.join(str(cluster.base_dir), "logs", f"agent-{name}.log"), "ab")
            s.agents.append(subprocess.Popen(
                [sys.executable, "-m", "agent", "--host-name", name,
                 "--dpm", cluster.address("svc_dpm"), "--driver", "linux",
                 "--host-netns", fabric.host_ns(i), "--local-ip", fabric.underlay_ip(i),
                 "--resync-seconds", "3"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))
        net = post(s.api, "/v2.0/networks", {"network": {"name": unique("pnet")}})["network"]
        for name, cidr in (("s1", "10.1.0.0/24"), ("s2", "10.2.0.0/24"), ("s3", "10.3.0.0/24")):
            s.subnets[name] = post(s.api, "/v2.0/subnets", {"subnet": {
                "network_id": net["id"], "cidr": cidr, "ip_version": 4}})["subnet"]["id"]
        web = post(s.api, "/v2.0/security-groups",
                   {"security_group": {"name": "web"}})["security_group"]
        s.groups["web"] = web["id"]
        # Neutron gives a new group egress rules; web must prove replies pass
        # by state alone, so it loses them.
        for rule in web["security_group_rules"]:
            assert s.api.delete(f"/v2.0/security-group-rules/{rule['id']}").status_code == 204
        post(s.api, "/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": web["id"], "direction": "ingress", "ethertype": "IPv4",
            "protocol": "tcp", "port_range_min": 8080, "port_range_max": 8080,
            "remote_ip_prefix": "0.0.0.0/0"}})
        plan = [("d1", 0, "s1", None), ("d2", 1, "s1", None), ("w", 1, "s1", "web"),
                ("r2", 0, "s2", None), ("r3", 1, "s3", None)]
        body = {"ports": [dict({"network_id": net["id"], "device_id": s.port_ns(name),
                                "binding:host_id": s.hosts[host],
                                "fixed_ips": [{"subnet_id": s.subnets[sub]}]},
                               **({"security_groups": [s.groups[g]]} if g else {}))
                          for name, host, sub, g in plan]}
        for (name, *_), p in zip(plan, post(s.api, "/v2.0/ports", body)["ports"]):
            s.ports[name] = p
            s.addresses[name] = p["fixed_ips"][0]["ip_address"]
        s.groups["default"] = s.ports["d1"]["security_groups"][0]

        def all_active():
            got = s.api.get("/v2.0/ports", params={"network_id": net["id"]}).json()["ports"]
            return len(got) == 5 and all(p["status"] == "ACTIVE" for p in got)
        asyncio.run(eventually(all_active, timeout=60))
        yield s
    finally:
        for a in s.agents:
            a.send_signal(signal.SIGTERM)
        for a in s.agents:
            try:
                a.wait(10)
            except subprocess.TimeoutExpired:
                a.kill()
        for ns in netns_names():
            if ns.startswith(prefix + "-"):
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        fabric.destroy()
        admin.close()
        s.api.close()


async def reach(site: Site, pairs) -> dict[tuple[str, str], bool]:
    got = await asyncio.gather(*(ping(site.port_ns(a), site.addresses[b]) for a, b in pairs))
    return dict(zip(pairs, got))


def nft_listing(ns: str) -> str:
    return subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "table", "inet", "alcor"],
                          capture_output=True, text=True).stdout


async def test_default_and_tcp_only_groups(site):
    got = await reach(site, [("d1", "d2"), ("d2", "d1"), ("d1", "w"), ("w", "d1")])
    assert got == {("d1", "d2"): True, ("d2", "d1"): True, ("d1", "w"): False,
                   ("w", "d1"): False}
    w_ns, w_ip, d1_ns = site.port_ns("w"), site.addresses["w"], site.port_ns("d1")
    servers = [await listen(w_ns, w_ip, 8080), await listen(w_ns, w_ip, 22)]
    try:
        conn = await connect(d1_ns, w_ip, 8080)
        assert conn is not None and await echoes(conn)  # replies pass: w has no egress rule
        conn[1].close()
        assert await connect(d1_ns, w_ip, 22) is None
    finally:
        for s in servers:
            s.close()


async def test_a_new_rule_is_enforced_at_once_and_keeps_connections(site):
    ns, w_ip = site.port_ns("w"), site.addresses["w"]
    server = await listen(ns, w_ip, 8080)
    try:
        held = await connect(site.port_ns("d1"), w_ip, 8080)
        assert held is not None and await echoes(held)
        started = time.perf_counter()
        rule = post(site.api, "/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": site.groups["web"], "direction": "ingress",
            "protocol": "icmp"}})["security_group_rule"]
        await eventually(lambda: "meta l4proto icmp" in nft_listing(ns), timeout=10,
                         interval=0.005)
        enforced = time.perf_counter() - started
        await eventually(lambda: ping(site.port_ns("d1"), w_ip), timeout=10)
        answered = time.perf_counter() - started
        print(f"\nrule create -> in the host's nftables: {enforced * 1e3:.0f} ms; "
              f"-> ping answered: {answered * 1e3:.0f} ms")
        assert await echoes(held, b"still there\n")
        held[1].close()
        assert site.api.delete(f"/v2.0/security-group-rules/{rule['id']}").status_code == 204
        await eventually(lambda: "meta l4proto icmp" not in nft_listing(ns), timeout=10)
        assert (await reach(site, [("d1", "w")])) == {("d1", "w"): False}
    finally:
        server.close()


async def test_leaving_the_default_group_cuts_a_port_off(site):
    other = post(site.api, "/v2.0/security-groups",
                 {"security_group": {"name": "other"}})["security_group"]
    d1 = site.ports["d1"]["id"]
    try:
        r = site.api.put(f"/v2.0/ports/{d1}", json={"port": {"security_groups": [other["id"]]}})
        assert r.status_code == 200, r.text

        async def cut():
            return (await reach(site, [("d1", "d2")])) == {("d1", "d2"): False}
        await eventually(cut, timeout=10)
    finally:
        r = site.api.put(f"/v2.0/ports/{d1}",
                         json={"port": {"security_groups": [site.groups["default"]]}})
        assert r.status_code == 200, r.text

    async def back():
        return (await reach(site, [("d1", "d2")])) == {("d1", "d2"): True}
    await eventually(back, timeout=10)
    assert site.api.delete(f"/v2.0/security-groups/{other['id']}").status_code == 204


async def test_a_router_joins_its_subnets_across_hosts(site):
    router = post(site.api, "/v2.0/routers", {"router": {"name": unique("rt")}})["router"]
    assert (await reach(site, [("r2", "d2")])) == {("r2", "d2"): False}
    for s in ("s1", "s2"):
        r = site.api.put(f"/v2.0/routers/{router['id']}/add_router_interface",
                         json={"subnet_id": site.subnets[s]})
        assert r.status_code == 200, r.text

    async def routed():
        got = await reach(site, [("r2", "d2"), ("d2", "r2"), ("d1", "r2")])
        return all(got.values())
    await eventually(routed, timeout=15)
    assert await reach(site, [("r3", "d1"), ("d2", "r3")]) == {("r3", "d1"): False,
                                                              ("d2", "r3"): False}

    r = site.api.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                     json={"subnet_id": site.subnets["s2"]})
    assert r.status_code == 200, r.text

    async def apart():
        return (await reach(site, [("r2", "d2"), ("d2", "r2")])) == {("r2", "d2"): False,
                                                                    ("d2", "r2"): False}
    await eventually(apart, timeout=15)
    r = site.api.put(f"/v2.0/routers/{router['id']}/remove_router_interface",
                     json={"subnet_id": site.subnets["s1"]})
    assert r.status_code == 200, r.text
    assert site.api.delete(f"/v2.0/routers/{router['id']}").status_code == 204
    # The last interface gone, no host keeps the router's namespace.
    await eventually(lambda: not [ns for ns in netns_names()
                                  if ns.startswith(site.prefix) and "alcor-r-" in ns],
                     timeout=15)

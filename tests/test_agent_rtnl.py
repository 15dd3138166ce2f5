"""The raw rtnetlink codec: message layout (pure), and batches against a
real namespace (root)."""
from __future__ import annotations

import errno
import os
import socket
import subprocess

import pytest

from agent import netns
from agent.rtnl import (AF_BRIDGE, BATCH, NLMSG_HDR, NeighbourWrite, Rtnl, neighbour_message,
                        parse_neighbour)
from tests.agent_helpers import unique

NUD_PERMANENT = 0x80


@pytest.mark.parametrize("write", [
    NeighbourWrite(False, socket.AF_INET, 7, "10.0.0.9", "fa:16:3e:00:00:09", NUD_PERMANENT),
    NeighbourWrite(False, socket.AF_INET6, 7, "fd00::9", "fa:16:3e:00:00:09", NUD_PERMANENT),
    NeighbourWrite(False, AF_BRIDGE, 3, "192.168.0.2", "fa:16:3e:00:00:01", 0xC0, 0x02),
    NeighbourWrite(True, socket.AF_INET, 7, "10.0.0.9"),
])
def test_neighbour_messages_round_trip(write):
    msg = neighbour_message(write, seq=42, ack=True)
    length, kind, flags, seq, _ = NLMSG_HDR.unpack_from(msg)
    assert (length, seq, flags & 0x4) == (len(msg), 42, 0x4) and length % 4 == 0
    assert kind == (29 if write.delete else 28)
    n = parse_neighbour(msg[NLMSG_HDR.size:])
    assert (n.family, n.ifindex, n.state, n.flags, n.dst, n.lladdr) == (
        write.family, write.ifindex, write.state, write.flags, write.dst, write.lladdr)


@pytest.fixture
def namespace():
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces")
    name = unique("rt")
    probe = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"`ip netns add` failed: {probe.stderr.strip()}")
    subprocess.run(["ip", "-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
                   check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "v0", "up"], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name])


@pytest.mark.root
async def test_batches_apply_in_order_and_blame_only_the_failing_entries(namespace):
    rtnl = Rtnl.open(namespace)
    try:
        v0 = (await rtnl.link("v0")).index
        assert await rtnl.link("nope") is None
        count = BATCH * 2 + 10  # three datagrams
        writes = [NeighbourWrite(False, socket.AF_INET, v0, f"10.1.{i >> 8}.{i & 255}",
                                 f"fa:16:3e:00:{i >> 8:02x}:{i & 255:02x}", NUD_PERMANENT)
                  for i in range(count)]
        writes[5] = NeighbourWrite(False, socket.AF_INET, 99999, "10.9.9.9", "fa:16:3e:09:09:09",
                                   NUD_PERMANENT)  # no such device
        writes.append(NeighbourWrite(True, socket.AF_INET, v0, "10.9.9.8"))  # nothing to delete
        failed = await rtnl.write_neighbours(writes)
        assert failed == {5: errno.ENODEV, count: errno.ENOENT}

        have = {n.dst: n.lladdr for n in await rtnl.neighbours(socket.AF_INET)
                if n.ifindex == v0 and n.state & NUD_PERMANENT}
        assert len(have) == count - 1 and have["10.1.2.9"] == "fa:16:3e:00:02:09"

        assert await rtnl.write_neighbours(
            [NeighbourWrite(True, socket.AF_INET, v0, ip) for ip in have]) == {}
        assert not [n for n in await rtnl.neighbours() if n.state & NUD_PERMANENT]
    finally:
        rtnl.close()


@pytest.mark.root
async def test_dumps_decode_what_the_driver_compares(namespace):
    subprocess.run(["ip", "-n", namespace, "addr", "add", "10.0.0.2/24", "dev", "v0"], check=True)
    subprocess.run(["ip", "-n", namespace, "link", "set", "v1", "up", "alias", "alcor:x",
                    "mtu", "1400"], check=True)
    subprocess.run(["ip", "-n", namespace, "route", "add", "default", "via", "10.0.0.1"],
                   check=True)
    rtnl = Rtnl.open(namespace)
    try:
        links = {link.name: link for link in await rtnl.links()}
        assert (links["v1"].kind, links["v1"].alias, links["v1"].mtu, links["v1"].up) == (
            "veth", "alcor:x", 1400, True)
        assert [(a.address, a.prefixlen) for a in await rtnl.addresses()
                if a.index == links["v0"].index and a.family == socket.AF_INET] == [
            ("10.0.0.2", 24)]
        (default,) = [r for r in await rtnl.routes() if r.dst_len == 0 and r.table == 254]
        assert (default.gateway, default.oif) == ("10.0.0.1", links["v0"].index)
    finally:
        rtnl.close()
    assert netns.exists(namespace)

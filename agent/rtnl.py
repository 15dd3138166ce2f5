"""A small raw rtnetlink codec for the Linux driver's hot paths: dumps of
links, addresses, routes and neighbours, and batched neighbour writes (ARP/NDP
entries and VXLAN forwarding entries).

Why not pyroute2 here: it spends ~0.3-1.5 ms of Python per request and
~80 us per dumped message (it decodes every attribute, statistics included),
and a host programs ports x neighbors ARP entries. This module decodes only
the attributes the driver compares, asks the kernel to skip link statistics,
and sends up to BATCH neighbour requests in one datagram, asking for an
acknowledgement of the last one only (rtnetlink handles a datagram's
requests in order, and reports each failure with its sequence number).
Creating and changing links, addresses and routes (rare, and rich in nested
attributes) stays with pyroute2.
"""
from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
from dataclasses import dataclass

from agent import netns

NLMSG_HDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, proto, scope, type, flags
NDMSG = struct.Struct("=BxxxiHBB")  # family, ifindex, state, flags, type
RTA = struct.Struct("=HH")  # len, type

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_REPLACE, NLM_F_CREATE = 0x100, 0x400

RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30

IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_MASTER = 1, 3, 4, 10
IFLA_LINKINFO, IFLA_IFALIAS, IFLA_EXT_MASK = 18, 20, 29
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFLA_VXLAN_ID, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LEARNING = 1, 4, 7
IFLA_VXLAN_PORT, IFLA_VXLAN_LOCAL6 = 15, 17
RTEXT_FILTER_SKIP_STATS = 1 << 3
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_TABLE = 1, 4, 5, 15
NDA_DST, NDA_LLADDR = 1, 2

IFF_UP = 0x1
AF_BRIDGE = 7
NLA_TYPE_MASK = 0x3FFF
BATCH = 256
RECV_SIZE = 1 << 17  # larger than any dump datagram the kernel sends


@dataclass(slots=True)
class Link:
    index: int
    name: str
    kind: str
    alias: str
    master: int
    up: bool
    mtu: int
    address: str
    # (vni, local address, UDP port, learning) of a VXLAN device, else ().
    vxlan: tuple = ()


@dataclass(frozen=True, slots=True)
class Address:
    index: int
    family: int
    address: str
    prefixlen: int


@dataclass(frozen=True, slots=True)
class Route:
    family: int
    table: int
    dst_len: int
    gateway: str
    oif: int


@dataclass(frozen=True, slots=True)
class Neighbour:
    family: int
    ifindex: int
    state: int
    flags: int
    dst: str
    lladdr: str


@dataclass(frozen=True, slots=True)
class NeighbourWrite:
    """One RTM_NEWNEIGH (replace) or RTM_DELNEIGH."""

    delete: bool
    family: int  # AF_INET/AF_INET6 for ARP/NDP, AF_BRIDGE for forwarding entries
    ifindex: int
    dst: str
    lladdr: str = ""
    state: int = 0
    flags: int = 0


class RtnlError(OSError):
    pass


def _attrs(buf: bytes, offset: int, end: int) -> dict[int, bytes]:
    out = {}
    while offset + 4 <= end:
        length, kind = RTA.unpack_from(buf, offset)
        if length < 4:
            break
        out[kind & NLA_TYPE_MASK] = buf[offset + 4:offset + length]
        offset += (length + 3) & ~3
    return out


def _rta(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return RTA.pack(length, kind) + payload + b"\0" * (-length % 4)


def _ip_text(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6 if len(raw) == 16 else socket.AF_INET, raw)


def _ip_bytes(ip: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)


def _mac_text(raw: bytes) -> str:
    return raw.hex(":")


def _text(raw: bytes | None) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace") if raw else ""


def parse_link(payload: bytes) -> Link:
    _, _, index, flags, _ = IFINFOMSG.unpack_from(payload)
    a = _attrs(payload, IFINFOMSG.size, len(payload))
    kind, vxlan = "", ()
    info = a.get(IFLA_LINKINFO)
    if info:
        li = _attrs(info, 0, len(info))
        kind = _text(li.get(IFLA_INFO_KIND))
        data = li.get(IFLA_INFO_DATA)
        if kind == "vxlan" and data:
            v = _attrs(data, 0, len(data))
            local = v.get(IFLA_VXLAN_LOCAL) or v.get(IFLA_VXLAN_LOCAL6)
            vxlan = (struct.unpack("=I", v[IFLA_VXLAN_ID])[0] if IFLA_VXLAN_ID in v else 0,
                     _ip_text(local) if local else "",
                     struct.unpack("!H", v[IFLA_VXLAN_PORT])[0] if IFLA_VXLAN_PORT in v else 0,
                     v[IFLA_VXLAN_LEARNING][0] if IFLA_VXLAN_LEARNING in v else 0)
    mtu = a.get(IFLA_MTU)
    master = a.get(IFLA_MASTER)
    address = a.get(IFLA_ADDRESS)
    return Link(index, _text(a.get(IFLA_IFNAME)), kind, _text(a.get(IFLA_IFALIAS)),
                struct.unpack("=I", master)[0] if master else 0, bool(flags & IFF_UP),
                struct.unpack("=I", mtu)[0] if mtu else 0,
                _mac_text(address) if address else "", vxlan)


def parse_address(payload: bytes) -> Address:
    family, prefixlen, _, _, index = IFADDRMSG.unpack_from(payload)
    a = _attrs(payload, IFADDRMSG.size, len(payload))
    raw = a.get(IFA_LOCAL) or a.get(IFA_ADDRESS)
    return Address(index, family, _ip_text(raw) if raw else "", prefixlen)


def parse_route(payload: bytes) -> Route:
    family, dst_len, _, _, table, _, _, _, _ = RTMSG.unpack_from(payload)
    a = _attrs(payload, RTMSG.size, len(payload))
    if RTA_TABLE in a:
        table = struct.unpack("=I", a[RTA_TABLE])[0]
    gw = a.get(RTA_GATEWAY)
    oif = a.get(RTA_OIF)
    return Route(family, table, dst_len, _ip_text(gw) if gw else "",
                 struct.unpack("=i", oif)[0] if oif else 0)


def parse_neighbour(payload: bytes) -> Neighbour:
    family, ifindex, state, flags, _ = NDMSG.unpack_from(payload)
    a = _attrs(payload, NDMSG.size, len(payload))
    dst = a.get(NDA_DST)
    ll = a.get(NDA_LLADDR)
    return Neighbour(family, ifindex, state, flags, _ip_text(dst) if dst else "",
                     _mac_text(ll) if ll else "")


def neighbour_message(w: NeighbourWrite, seq: int, ack: bool) -> bytes:
    body = NDMSG.pack(w.family, w.ifindex, w.state, w.flags, 0)
    if w.dst:  # a bridge's own forwarding entry has none
        body += _rta(NDA_DST, _ip_bytes(w.dst))
    if w.lladdr:
        body += _rta(NDA_LLADDR, bytes.fromhex(w.lladdr.replace(":", "")))
    if w.delete:
        kind, flags = RTM_DELNEIGH, NLM_F_REQUEST
    else:
        kind, flags = RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE
    if ack:
        flags |= NLM_F_ACK
    return NLMSG_HDR.pack(NLMSG_HDR.size + len(body), kind, flags, seq, 0) + body


class Rtnl:
    """A NETLINK_ROUTE socket in one namespace, used from the event loop."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((0, 0))
        self._seq = 0
        self._buf = bytearray(RECV_SIZE)

    @classmethod
    def open(cls, netns_name: str) -> "Rtnl":
        return cls(netns.netlink_socket(netns_name))

    def close(self) -> None:
        self.sock.close()

    def _next_seq(self, count: int = 1) -> int:
        """The first of `count` consecutive sequence numbers."""
        if self._seq + count > 0x7FFFFFFF:
            self._seq = 0
        self._seq += count
        return self._seq - count + 1

    async def _recv(self) -> list[tuple[int, int, int, bytes]]:
        """(type, flags, seq, payload) of every message in the next datagram."""
        n = await asyncio.get_running_loop().sock_recv_into(self.sock, self._buf)
        data = bytes(self._buf[:n])
        out, offset = [], 0
        while offset + NLMSG_HDR.size <= n:
            length, kind, flags, seq, _ = NLMSG_HDR.unpack_from(data, offset)
            if length < NLMSG_HDR.size:
                break
            out.append((kind, flags, seq, data[offset + NLMSG_HDR.size:offset + length]))
            offset += (length + 3) & ~3
        return out

    async def _dump(self, kind: int, body: bytes) -> list[bytes]:
        loop = asyncio.get_running_loop()
        for _ in range(5):  # a dump interrupted by a concurrent change is retried
            seq = self._next_seq()
            await loop.sock_sendall(self.sock, NLMSG_HDR.pack(
                NLMSG_HDR.size + len(body), kind, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body)
            out: list[bytes] = []
            interrupted = done = False
            while not done:
                for mkind, flags, mseq, payload in await self._recv():
                    if mseq != seq:
                        continue  # a late answer to an earlier request
                    interrupted |= bool(flags & NLM_F_DUMP_INTR)
                    if mkind == NLMSG_DONE:
                        done = True
                        break
                    if mkind == NLMSG_ERROR:
                        err = -struct.unpack_from("=i", payload)[0]
                        if err:
                            raise RtnlError(err, f"rtnetlink dump: {os.strerror(err)}")
                        done = True
                        break
                    out.append(payload)
            if not interrupted:
                return out
        raise RtnlError(11, "rtnetlink dump kept being interrupted")

    async def links(self) -> list[Link]:
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + _rta(
            IFLA_EXT_MASK, struct.pack("=I", RTEXT_FILTER_SKIP_STATS))
        return [parse_link(p) for p in await self._dump(RTM_GETLINK, body)]

    async def link(self, name: str) -> Link | None:
        """One link by name, None when there is none."""
        seq = self._next_seq()
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + _rta(
            IFLA_EXT_MASK, struct.pack("=I", RTEXT_FILTER_SKIP_STATS)) + _rta(
            IFLA_IFNAME, name.encode() + b"\0")
        await asyncio.get_running_loop().sock_sendall(self.sock, NLMSG_HDR.pack(
            NLMSG_HDR.size + len(body), RTM_GETLINK, NLM_F_REQUEST, seq, 0) + body)
        while True:
            for kind, _, mseq, payload in await self._recv():
                if mseq != seq:
                    continue
                if kind == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", payload)[0]
                    if err == errno.ENODEV:
                        return None
                    raise RtnlError(err, f"get link {name}: {os.strerror(err)}")
                return parse_link(payload)

    async def addresses(self) -> list[Address]:
        body = IFADDRMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        return [parse_address(p) for p in await self._dump(RTM_GETADDR, body)]

    async def routes(self, family: int = socket.AF_UNSPEC) -> list[Route]:
        body = RTMSG.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
        return [parse_route(p) for p in await self._dump(RTM_GETROUTE, body)]

    async def neighbours(self, family: int = socket.AF_UNSPEC) -> list[Neighbour]:
        """ARP/NDP entries; with AF_BRIDGE, forwarding-database entries."""
        body = NDMSG.pack(family, 0, 0, 0, 0)
        return [parse_neighbour(p) for p in await self._dump(RTM_GETNEIGH, body)]

    async def write_neighbours(self, writes: list[NeighbourWrite]) -> dict[int, int]:
        """Applies `writes` in order; returns {position: errno} of those that
        failed (the others succeeded)."""
        loop = asyncio.get_running_loop()
        failed: dict[int, int] = {}
        for start in range(0, len(writes), BATCH):
            chunk = writes[start:start + BATCH]
            first = self._next_seq(len(chunk))
            last = first + len(chunk) - 1
            await loop.sock_sendall(self.sock, b"".join(
                neighbour_message(w, first + i, ack=(i == len(chunk) - 1))
                for i, w in enumerate(chunk)))
            acked = False
            while not acked:
                for kind, _, seq, payload in await self._recv():
                    if kind != NLMSG_ERROR or not first <= seq <= last:
                        continue
                    err = -struct.unpack_from("=i", payload)[0]
                    if err:
                        failed[start + seq - first] = err
                    acked |= seq == last
        return failed

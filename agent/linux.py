"""The Linux driver: programs a host through rtnetlink (pyroute2), no shell.

Per VPC: a bridge and a VXLAN device (the VPC's VNI, learning off, the host's
underlay address as local, UDP 4789) enslaved to it. Per port: a veth pair,
the host end on the VPC's bridge, the other end in the port's namespace
(created when absent) with the port's MAC and addresses, lo up, a default
route via the subnet's gateway. Per remote neighbor: a permanent forwarding
entry on the VXLAN device (MAC -> the neighbor's VTEP) and, for an L2
neighbor, a permanent ARP/NDP entry (IP -> MAC) in the namespace of every
local port of the VPC. Nothing floods: there is no all-zeros forwarding
entry, so broadcast never leaves the host, and ARP never has to.

The host is a network namespace (`host_netns`, "" = the agent's own): tests
run several simulated hosts in one kernel.

Ownership. Every device gets a deterministic name (agent.naming) and an
IFLA_IFALIAS marker ("alcor:vpc:<id>", "alcor:port:<id> ns=<namespace>"); a
namespace the agent created has "alcor:netns" as its lo alias. Reconcile
deletes only marked devices and namespaces, never anything else. A device
with a wanted name but no alias at all (the agent died between creating it
and marking it: the kernel ignores IFLA_IFALIAS on creation) is adopted.

Reads are batched: one dump of links and one of forwarding entries in the
host namespace per reconcile, and per port namespace one dump each of links,
addresses, routes and neighbours.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass

from pyroute2 import AsyncIPRoute

from agent import naming, netns
from agent.dataplane import Outcome, Status
from agent.model import HostState, Kind, Neighbor
from agent.plan import HostPlan, PlanCache, PortPlan, VpcPlan

log = logging.getLogger("alcor.agent.linux")

OWNED = "alcor:"
NETNS_MARK = "alcor:netns"
VXLAN_PORT = 4789

IFF_UP = 0x1
NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NTF_SELF = 0x02
IFA_F_NODAD = 0x02
RT_TABLE_MAIN = 254
DEFAULT_DST = {socket.AF_INET: "0.0.0.0/0", socket.AF_INET6: "::/0"}


def vpc_alias(vpc_id: str) -> str:
    return f"{OWNED}vpc:{vpc_id}"


def port_alias(port_id: str, namespace: str) -> str:
    return f"{OWNED}port:{port_id} ns={namespace}"


def alias_namespace(alias: str) -> str:
    """The namespace a port alias names, "" if none."""
    return alias.partition(" ns=")[2]


def _family(ip: str) -> int:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def _why(e: BaseException) -> str:
    code = getattr(e, "code", None)
    if code is not None:  # pyroute2's NetlinkError
        return f"netlink error {code}: {os.strerror(code) if code > 0 else e}"
    return f"{type(e).__name__}: {e}"


@dataclass(slots=True)
class _Link:
    index: int
    name: str
    kind: str
    alias: str
    master: int
    up: bool
    mtu: int
    address: str
    # (vni, local, port, learning) of a VXLAN device, () otherwise.
    vxlan: tuple = ()


def _link(msg) -> _Link:
    kind = msg.get(("linkinfo", "kind")) or ""
    vxlan = ()
    if kind == "vxlan":
        vxlan = (msg.get(("linkinfo", "data", "vxlan_id")),
                 msg.get(("linkinfo", "data", "vxlan_local")) or "",
                 msg.get(("linkinfo", "data", "vxlan_port")),
                 msg.get(("linkinfo", "data", "vxlan_learning")))
    return _Link(msg["index"], msg.get("ifname") or "", kind, msg.get("ifalias") or "",
                 msg.get("master") or 0, bool(msg["flags"] & IFF_UP), msg.get("mtu") or 0,
                 msg.get("address") or "", vxlan)


async def _links(ipr: AsyncIPRoute) -> dict[str, _Link]:
    return {link.name: link for link in map(_link, [m async for m in await ipr.link("dump")])}


async def _get_link(ipr: AsyncIPRoute, name: str) -> _Link:
    return _link((await ipr.link("get", ifname=name))[0])


class NotOwned(Exception):
    pass


def _claim(link: _Link, alias: str, kind: str) -> bool:
    """Whether `link` may be used as ours; True when it still needs marking."""
    if link.alias == alias:
        return False
    if link.alias.startswith(OWNED) or (not link.alias and link.kind == kind):
        return True
    raise NotOwned(f"device {link.name} exists and was not created by the agent "
                   f"(kind {link.kind or '?'}, alias {link.alias!r})")


class _Result:
    """Outcomes of one reconcile, one per resource."""

    def __init__(self, plan: HostPlan):
        self.outcomes = list(plan.invalid)
        self._failed_neighbors: set[str] = set()

    def add(self, kind: Kind, id_: str, status: Status, reason: str = "", started: float = 0.0,
            revision: int = 0) -> None:
        elapsed = int((time.perf_counter() - started) * 1e6) if started else 0
        self.outcomes.append(Outcome(kind, id_, status, reason, elapsed, revision))

    def neighbor_failed(self, n: Neighbor, reason: str) -> None:
        if n.port_id not in self._failed_neighbors:
            self._failed_neighbors.add(n.port_id)
            self.add(Kind.NEIGHBOR, n.port_id, Status.FAILURE, reason, revision=n.revision)


class LinuxDataPlane:
    def __init__(self, host_netns: str = "", local_ip: str = "", mtu: int = 1450,
                 vxlan_port: int = VXLAN_PORT):
        self.host_netns = host_netns
        self.local_ip = local_ip
        self.mtu = mtu
        self.vxlan_port = vxlan_port
        self._plans = PlanCache()
        self._host: AsyncIPRoute | None = None
        self._host_inode = 0

    # --- the host namespace ------------------------------------------------

    def _host_ipr(self) -> AsyncIPRoute:
        """The host namespace's client, reopened when the namespace was
        replaced (a socket would otherwise keep programming the old one)."""
        ino = netns.inode(self.host_netns)
        if self._host is None or ino != self._host_inode:
            self._close_host()
            self._host = netns.iproute(self.host_netns)
            self._host_inode = ino
        return self._host

    def _close_host(self) -> None:
        if self._host is not None:
            self._host.close()
            self._host = None

    async def close(self) -> None:
        self._close_host()

    # --- reconcile -----------------------------------------------------------

    async def reconcile(self, state: HostState) -> list[Outcome]:
        plan = self._plans.get(state)
        result = _Result(plan)
        try:
            host = self._host_ipr()
            links = await _links(host)
            fdb = await self._dump_fdb(host, links)
        except Exception as e:  # the host itself is unreachable: nothing can be programmed
            self._close_host()
            reason = f"host namespace {self.host_netns or '(root)'}: {_why(e)}"
            log.warning("reconcile failed: %s", reason)
            for vp in plan.vpcs.values():
                result.add(Kind.VPC, vp.vpc_id, Status.FAILURE, reason, revision=vp.revision)
            for pp in plan.ports.values():
                result.add(Kind.PORT, pp.port_id, Status.FAILURE, reason, revision=pp.revision)
            return result.outcomes

        await self._remove_stale_ports(host, links, plan)
        bridges: dict[str, int] = {}
        vxlans: dict[str, int] = {}
        vpc_errors: dict[str, str] = {}
        for vp in plan.vpcs.values():
            started = time.perf_counter()
            try:
                bridges[vp.vpc_id], vxlans[vp.vpc_id] = await self._ensure_vpc(host, links, vp,
                                                                               fdb)
            except Exception as e:
                vpc_errors[vp.vpc_id] = _why(e)
                result.add(Kind.VPC, vp.vpc_id, Status.FAILURE, _why(e), started, vp.revision)

        for pp in plan.ports.values():
            started = time.perf_counter()
            if pp.vpc_id in vpc_errors:
                result.add(Kind.PORT, pp.port_id, Status.FAILURE,
                           f"VPC {pp.vpc_id}: {vpc_errors[pp.vpc_id]}", started, pp.revision)
                continue
            try:
                await self._ensure_port(host, links, pp, bridges[pp.vpc_id],
                                        plan.arp.get(pp.vpc_id, {}), result)
                result.add(Kind.PORT, pp.port_id, Status.SUCCESS, "", started, pp.revision)
            except Exception as e:
                log.warning("port %s: %s", pp.port_id, _why(e))
                result.add(Kind.PORT, pp.port_id, Status.FAILURE, _why(e), started, pp.revision)

        for vpc_id, vx_index in vxlans.items():
            await self._sync_fdb(host, vx_index, plan.fdb.get(vpc_id, {}), fdb.get(vx_index, {}),
                                 result)
        await self._remove_stale_vpcs(host, links, plan)
        return result.outcomes

    # --- VPCs: bridge + VXLAN -------------------------------------------------

    async def _ensure_vpc(self, host: AsyncIPRoute, links: dict[str, _Link], vp: VpcPlan,
                          fdb: dict[int, dict[str, set[str]]]) -> tuple[int, int]:
        alias = vpc_alias(vp.vpc_id)
        br = links.get(vp.bridge)
        if br is None:
            await host.link("add", ifname=vp.bridge, kind="bridge")
            br = await _get_link(host, vp.bridge)
            br.alias = ""
        if _claim(br, alias, "bridge") or not br.up:
            await host.link("set", index=br.index, ifalias=alias, state="up")

        want = (vp.vni, self.local_ip, self.vxlan_port, 0)
        vx = links.get(vp.vxlan)
        if vx is not None:
            _claim(vx, alias, "vxlan")
            if vx.vxlan != want:
                # The VNI, local address or port of a VXLAN device cannot be
                # changed in place; its forwarding entries go with it.
                log.info("recreating %s: %s != %s", vp.vxlan, vx.vxlan, want)
                await host.link("del", index=vx.index)
                fdb.pop(vx.index, None)
                vx = None
        if vx is None:
            attrs = dict(vxlan_id=vp.vni, vxlan_port=self.vxlan_port, vxlan_learning=0)
            if self.local_ip:
                attrs["vxlan_local"] = self.local_ip
            await host.link("add", ifname=vp.vxlan, kind="vxlan", mtu=self.mtu, **attrs)
            vx = await _get_link(host, vp.vxlan)
            vx.alias = ""
        if vx.alias != alias or vx.master != br.index or not vx.up or vx.mtu != self.mtu:
            await host.link("set", index=vx.index, ifalias=alias, master=br.index, mtu=self.mtu,
                            state="up")
        return br.index, vx.index

    async def _remove_stale_vpcs(self, host: AsyncIPRoute, links: dict[str, _Link],
                                 plan: HostPlan) -> None:
        wanted = {name for vp in plan.vpcs.values() for name in (vp.bridge, vp.vxlan)}
        for link in links.values():
            if (naming.owned_kind(link.name) in ("bridge", "vxlan")
                    and link.alias.startswith(OWNED) and link.name not in wanted):
                log.info("removing %s (%s)", link.name, link.alias)
                try:
                    await host.link("del", index=link.index)
                except Exception as e:
                    log.warning("removing %s: %s", link.name, _why(e))

    # --- forwarding entries -------------------------------------------------

    async def _dump_fdb(self, host: AsyncIPRoute,
                        links: dict[str, _Link]) -> dict[int, dict[str, set[str]]]:
        """VXLAN device index -> MAC -> remote VTEPs, for our VXLAN devices."""
        ours = {link.index for link in links.values()
                if link.kind == "vxlan" and naming.owned_kind(link.name) == "vxlan"}
        out: dict[int, dict[str, set[str]]] = {}
        async for m in await host.fdb("dump"):
            index = m["ifindex"]
            if index in ours and m["flags"] & NTF_SELF:
                dst = m.get("dst")
                if dst:
                    out.setdefault(index, {}).setdefault(m.get("lladdr"), set()).add(dst)
        return out

    async def _sync_fdb(self, host: AsyncIPRoute, vx_index: int, wanted: dict[str, Neighbor],
                        actual: dict[str, set[str]], result: _Result) -> None:
        local = self.local_ip
        for mac, n in wanted.items():
            if n.host_ip == local:
                continue  # a port of this very host: the bridge reaches it
            have = actual.get(mac)
            if have == {n.host_ip}:
                continue
            try:
                for stale in (have or set()) - {n.host_ip}:
                    await self._fdb_del(host, vx_index, mac, stale)
                await host.fdb("replace", ifindex=vx_index, lladdr=mac, dst=n.host_ip,
                               state=NUD_PERMANENT | NUD_NOARP, flags=NTF_SELF)
            except Exception as e:
                result.neighbor_failed(n, f"forwarding entry {mac} -> {n.host_ip}: {_why(e)}")
        for mac, dsts in actual.items():
            n = wanted.get(mac)
            if n is None or n.host_ip == local:
                for dst in dsts:
                    await self._fdb_del(host, vx_index, mac, dst)

    @staticmethod
    async def _fdb_del(host: AsyncIPRoute, vx_index: int, mac: str, dst: str) -> None:
        try:
            await host.fdb("del", ifindex=vx_index, lladdr=mac, dst=dst,
                           state=NUD_PERMANENT | NUD_NOARP, flags=NTF_SELF)
        except Exception as e:
            log.warning("removing forwarding entry %s -> %s: %s", mac, dst, _why(e))

    # --- ports ----------------------------------------------------------------

    async def _ensure_port(self, host: AsyncIPRoute, links: dict[str, _Link], pp: PortPlan,
                           bridge_index: int, arp: dict[str, Neighbor], result: _Result) -> None:
        alias = port_alias(pp.port_id, pp.namespace)
        vh = links.get(pp.veth_host)
        if vh is not None:
            _claim(vh, alias, "veth")
            if vh.alias.startswith(OWNED) and alias_namespace(vh.alias) != pp.namespace:
                # The port moved to another namespace: start over.
                await self._remove_port(host, vh, keep_namespaces={pp.namespace})
                vh = None
        created_ns = False
        if not netns.exists(pp.namespace):
            netns.create(pp.namespace)
            created_ns = True
        for attempt in (1, 2):
            if vh is None:
                vh = await self._create_veth(host, pp)
            if (vh.alias != alias or vh.master != bridge_index or vh.up != pp.up
                    or vh.mtu != self.mtu):
                await host.link("set", index=vh.index, ifalias=alias, master=bridge_index,
                                mtu=self.mtu, state="up" if pp.up else "down")
            ns = netns.iproute(pp.namespace)
            try:
                if await self._ensure_inside(ns, pp, created_ns, arp, result):
                    return
            finally:
                ns.close()
            # The host end exists but its peer is not in the namespace (the
            # namespace was replaced, or the peer moved): recreate the pair.
            log.info("port %s: peer %s missing in %s, recreating", pp.port_id, pp.veth_port,
                     pp.namespace)
            await host.link("del", index=vh.index)
            vh = None
        raise RuntimeError(f"{pp.veth_port} did not appear in namespace {pp.namespace}")

    async def _create_veth(self, host: AsyncIPRoute, pp: PortPlan) -> _Link:
        await host.link("add", ifname=pp.veth_host, kind="veth", mtu=self.mtu,
                        peer={"ifname": pp.veth_port, "address": pp.mac, "mtu": self.mtu,
                              "net_ns_fd": netns.path(pp.namespace)})
        vh = await _get_link(host, pp.veth_host)
        vh.alias = ""
        return vh

    async def _ensure_inside(self, ns: AsyncIPRoute, pp: PortPlan, created_ns: bool,
                             arp: dict[str, Neighbor], result: _Result) -> bool:
        """Programs the port's end inside its namespace; False when that end
        is missing."""
        links = await _links(ns)
        vp = links.get(pp.veth_port)
        if vp is None or vp.kind != "veth":
            return False
        lo = links.get("lo")
        if lo is not None and (not lo.up or (created_ns and lo.alias != NETNS_MARK)):
            await ns.link("set", index=lo.index, state="up",
                          **({"ifalias": NETNS_MARK} if created_ns else {}))
        if vp.address != pp.mac or vp.mtu != self.mtu or not vp.up:
            await ns.link("set", index=vp.index, address=pp.mac, mtu=self.mtu, state="up")

        have = {(m.get("address"), m["prefixlen"]) async for m in await ns.addr("dump")
                if m["index"] == vp.index}
        have = {a for a in have if a[0] and not a[0].startswith("fe80:")}
        want = set(pp.addresses)
        for ip, plen in want - have:
            extra = {"flags": IFA_F_NODAD} if _family(ip) == socket.AF_INET6 else {}
            await ns.addr("add", index=vp.index, address=ip, prefixlen=plen, **extra)
        for ip, plen in have - want:
            await ns.addr("del", index=vp.index, address=ip, prefixlen=plen)

        await self._sync_default_routes(ns, vp.index, pp.gateways)
        await self._sync_arp(ns, vp.index, arp, result)
        return True

    async def _sync_default_routes(self, ns: AsyncIPRoute, index: int,
                                   gateways: tuple[str, ...]) -> None:
        want = {_family(gw): gw for gw in gateways}
        for family in (socket.AF_INET, socket.AF_INET6):
            have = [(m.get("gateway"), m.get("oif")) async for m in await ns.route("dump",
                                                                                   family=family)
                    if m["dst_len"] == 0 and m.get("table") == RT_TABLE_MAIN]
            gw = want.get(family)
            if gw is not None:
                if have != [(gw, index)]:
                    await ns.route("replace", dst=DEFAULT_DST[family], gateway=gw, oif=index)
            else:
                for old_gw, oif in have:
                    if oif == index:
                        await ns.route("del", dst=DEFAULT_DST[family], gateway=old_gw, oif=oif)

    async def _sync_arp(self, ns: AsyncIPRoute, index: int, arp: dict[str, Neighbor],
                        result: _Result) -> None:
        have = {m.get("dst"): m.get("lladdr") async for m in await ns.neigh("dump")
                if m["ifindex"] == index and m["state"] & NUD_PERMANENT}
        for ip, n in arp.items():
            if have.get(ip) != n.mac:
                try:
                    await ns.neigh("replace", ifindex=index, dst=ip, lladdr=n.mac,
                                   state=NUD_PERMANENT)
                except Exception as e:
                    result.neighbor_failed(n, f"ARP entry {ip} -> {n.mac}: {_why(e)}")
        for ip in have.keys() - arp.keys():
            try:
                await ns.neigh("del", ifindex=index, dst=ip)
            except Exception as e:
                log.warning("removing ARP entry %s: %s", ip, _why(e))

    # --- removing ports ---------------------------------------------------------

    async def _remove_stale_ports(self, host: AsyncIPRoute, links: dict[str, _Link],
                                  plan: HostPlan) -> None:
        wanted = {pp.veth_host for pp in plan.ports.values()}
        in_use = {pp.namespace for pp in plan.ports.values()}
        for link in list(links.values()):
            if (naming.owned_kind(link.name) == "veth_host" and link.alias.startswith(OWNED)
                    and link.name not in wanted):
                try:
                    await self._remove_port(host, link, keep_namespaces=in_use)
                except Exception as e:
                    log.warning("removing %s: %s", link.name, _why(e))
                del links[link.name]

    async def _remove_port(self, host: AsyncIPRoute, vh: _Link,
                           keep_namespaces: set[str]) -> None:
        """Deletes a port's veth pair, and its namespace when the agent
        created it and no wanted port uses it."""
        log.info("removing %s (%s)", vh.name, vh.alias)
        await host.link("del", index=vh.index)
        name = alias_namespace(vh.alias)
        if name and name not in keep_namespaces and netns.exists(name):
            ns = netns.iproute(name)
            try:
                lo = (await ns.link("get", ifname="lo"))[0]
                mine = lo.get("ifalias") == NETNS_MARK
            finally:
                ns.close()
            if mine:
                log.info("removing namespace %s", name)
                netns.remove(name)

"""The Linux driver: programs a host through rtnetlink, no shell.

Per VPC: a bridge and a VXLAN device (the VPC's VNI, learning off, the host's
underlay address as local, UDP 4789) enslaved to it. Per port: a veth pair,
the host end on the VPC's bridge, the other end in the port's namespace
(created when absent) with the port's MAC and addresses, lo up, a default
route via the subnet's gateway. Per remote neighbor: a permanent forwarding
entry on the VXLAN device (MAC -> the neighbor's VTEP) and, for an L2
neighbor, a permanent ARP/NDP entry (IP -> MAC) in the namespace of every
local port of the VPC. Nothing floods: there is no all-zeros forwarding
entry, so broadcast never leaves the host, and ARP never has to.

Security groups: per port namespace one nftables table (agent.firewall),
replaced in one transaction whenever it changes and whenever the kernel's
copy drifted from what was applied; connections that lost their permission
are forgotten from conntrack.

Routers, distributed: per router of a local VPC a namespace with forwarding
on, joined to the VPC's bridge by a veth whose inside end carries the
router's gateway MAC and every attached subnet's gateway address, so the
local ports' gateway is answered on their own host. Remote ports of the
attached subnets get static neighbour entries there; the gateway MAC gets a
sticky forwarding entry on the bridge, so frames routed by other hosts (the
same MAC as source) arriving over VXLAN never move it off the local router.

The host is a network namespace (`host_netns`, "" = the agent's own): tests
run several simulated hosts in one kernel.

Ownership. Every device gets a deterministic name (agent.naming) and an
IFLA_IFALIAS marker ("alcor:vpc:<id>", "alcor:port:<id> ns=<namespace>"); a
namespace the agent created has "alcor:netns" as its lo alias. Reconcile
deletes only marked devices, entries on marked devices, and marked
namespaces. A device with a wanted name but no alias at all (the agent died
between creating and marking it: the kernel ignores IFLA_IFALIAS on
creation) is adopted.

Reads are batched: per reconcile one dump of links and one of forwarding
entries in the host namespace, and per port namespace one dump each of
links, addresses, routes and neighbours, decoded by agent.rtnl; ARP and
forwarding entries are written in batches of up to 256 per datagram.
Creating and changing links, addresses and routes goes through pyroute2.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import time

from pyroute2 import AsyncIPRoute

from agent import firewall, naming, netns, nft
from agent.dataplane import Outcome, Status
from agent.firewall import NamespaceFilter
from agent.model import HostState, Kind, Neighbor
from agent.plan import HostPlan, PlanCache, PortPlan, RouterPlan, VpcPlan
from agent.rtnl import AF_BRIDGE, Link, NeighbourWrite, Rtnl

log = logging.getLogger("alcor.agent.linux")

OWNED = "alcor:"
NETNS_MARK = "alcor:netns"
VXLAN_PORT = 4789

NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NTF_SELF = 0x02
NTF_MASTER = 0x04
NTF_STICKY = 0x40
IFA_F_NODAD = 0x02
RT_TABLE_MAIN = 254
DEFAULT_DST = {socket.AF_INET: "0.0.0.0/0", socket.AF_INET6: "::/0"}
FDB_STATE = NUD_PERMANENT | NUD_NOARP


def vpc_alias(vpc_id: str) -> str:
    return f"{OWNED}vpc:{vpc_id}"


def port_alias(port_id: str, namespace: str) -> str:
    return f"{OWNED}port:{port_id} ns={namespace}"


def router_alias(router_id: str, namespace: str) -> str:
    return f"{OWNED}router:{router_id} ns={namespace}"


def alias_namespace(alias: str) -> str:
    """The namespace a port alias names, "" if none."""
    return alias.partition(" ns=")[2]


def _family(ip: str) -> int:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def _why(e: BaseException) -> str:
    code = getattr(e, "code", None)  # pyroute2's NetlinkError
    if isinstance(code, int) and code > 0:
        return f"netlink error {code}: {os.strerror(code)}"
    if isinstance(e, OSError) and e.errno:
        return f"{os.strerror(e.errno)} ({e.strerror})" if e.strerror else os.strerror(e.errno)
    return f"{type(e).__name__}: {e}"


class NotOwned(Exception):
    pass


def _claim(link: Link, alias: str, kind: str) -> bool:
    """Whether `link` may be used as ours; True when it still needs marking."""
    if link.alias == alias:
        return False
    if link.alias.startswith(OWNED) or (not link.alias and link.kind == kind):
        return True
    raise NotOwned(f"device {link.name} exists and was not created by the agent "
                   f"(kind {link.kind or '?'}, alias {link.alias!r})")


class _Result:
    """Outcomes of one reconcile."""

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


class _Namespace:
    """One namespace's sockets: rtnl for reads and neighbour writes, pyroute2
    opened only when a link, address or route has to change."""

    def __init__(self, name: str):
        self.name = name
        self.rtnl = Rtnl.open(name)
        self._ipr: AsyncIPRoute | None = None

    @property
    def ipr(self) -> AsyncIPRoute:
        if self._ipr is None:
            self._ipr = netns.iproute(self.name)
        return self._ipr

    def close(self) -> None:
        self.rtnl.close()
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None


class LinuxDataPlane:
    def __init__(self, host_netns: str = "", local_ip: str = "", mtu: int = 1450,
                 vxlan_port: int = VXLAN_PORT):
        self.host_netns = host_netns
        self.local_ip = local_ip
        self.mtu = mtu
        self.vxlan_port = vxlan_port
        self._plans = PlanCache()
        self._host: _Namespace | None = None
        self._host_inode = 0
        # namespace -> (the filter last applied there, None for "no table";
        # the table as the kernel listed it right after). Only saves work:
        # a restarted agent applies every filter once more.
        self._filters: dict[str, tuple[NamespaceFilter | None, str | None]] = {}

    def _host_ns(self) -> _Namespace:
        """The host namespace's sockets, reopened when the namespace was
        replaced (a socket would otherwise keep programming the old one)."""
        ino = netns.inode(self.host_netns)
        if self._host is None or ino != self._host_inode:
            self._close_host()
            self._host = _Namespace(self.host_netns)
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
            host = self._host_ns()
            links = {link.name: link for link in await host.rtnl.links()}
            fdb, sticky = await self._dump_fdb(host, links)
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

        filtered: dict[str, str] = {}  # namespace -> "" or why its filter failed
        for pp in plan.ports.values():
            started = time.perf_counter()
            if pp.vpc_id in vpc_errors:
                result.add(Kind.PORT, pp.port_id, Status.FAILURE,
                           f"VPC {pp.vpc_id}: {vpc_errors[pp.vpc_id]}", started, pp.revision)
                continue
            try:
                await self._ensure_port(host, links, pp, bridges[pp.vpc_id], plan.arp_for(pp),
                                        result)
                if pp.namespace not in filtered:
                    filtered[pp.namespace] = await self._sync_filter(
                        pp.namespace, plan.filters.get(pp.namespace))
                if filtered[pp.namespace]:
                    raise RuntimeError(filtered[pp.namespace])
                result.add(Kind.PORT, pp.port_id, Status.SUCCESS, "", started, pp.revision)
            except Exception as e:
                log.warning("port %s: %s", pp.port_id, _why(e))
                result.add(Kind.PORT, pp.port_id, Status.FAILURE, _why(e), started, pp.revision)
        for namespace in [ns for ns in self._filters if ns not in filtered]:
            del self._filters[namespace]  # its ports are gone, and the namespace with them

        await self._sync_routers(host, links, plan, bridges, sticky, result)
        await self._sync_fdb(host, vxlans, plan, fdb, result)
        await self._remove_stale_vpcs(host, links, plan)
        return result.outcomes

    # --- VPCs: bridge + VXLAN -------------------------------------------------

    async def _ensure_vpc(self, host: _Namespace, links: dict[str, Link], vp: VpcPlan,
                          fdb: dict[int, dict[str, set[str]]]) -> tuple[int, int]:
        alias = vpc_alias(vp.vpc_id)
        br = links.get(vp.bridge)
        if br is None:
            await host.ipr.link("add", ifname=vp.bridge, kind="bridge")
            br = await host.rtnl.link(vp.bridge)
        if _claim(br, alias, "bridge") or not br.up:
            await host.ipr.link("set", index=br.index, ifalias=alias, state="up")

        want = (vp.vni, self.local_ip, self.vxlan_port, 0)
        vx = links.get(vp.vxlan)
        if vx is not None:
            _claim(vx, alias, "vxlan")
            if vx.vxlan != want:
                # The VNI, local address or port of a VXLAN device cannot be
                # changed in place; its forwarding entries go with it.
                log.info("recreating %s: %s != %s", vp.vxlan, vx.vxlan, want)
                await host.ipr.link("del", index=vx.index)
                fdb.pop(vx.index, None)
                vx = None
        if vx is None:
            attrs = dict(vxlan_id=vp.vni, vxlan_port=self.vxlan_port, vxlan_learning=0)
            if self.local_ip:
                attrs["vxlan_local"] = self.local_ip
            await host.ipr.link("add", ifname=vp.vxlan, kind="vxlan", mtu=self.mtu, **attrs)
            vx = await host.rtnl.link(vp.vxlan)
        if vx.alias != alias or vx.master != br.index or not vx.up or vx.mtu != self.mtu:
            await host.ipr.link("set", index=vx.index, ifalias=alias, master=br.index,
                                mtu=self.mtu, state="up")
        return br.index, vx.index

    async def _remove_stale_vpcs(self, host: _Namespace, links: dict[str, Link],
                                 plan: HostPlan) -> None:
        wanted = {name for vp in plan.vpcs.values() for name in (vp.bridge, vp.vxlan)}
        for link in links.values():
            if (naming.owned_kind(link.name) in ("bridge", "vxlan")
                    and link.alias.startswith(OWNED) and link.name not in wanted):
                log.info("removing %s (%s)", link.name, link.alias)
                try:
                    await host.ipr.link("del", index=link.index)
                except Exception as e:
                    log.warning("removing %s: %s", link.name, _why(e))

    # --- forwarding entries -------------------------------------------------

    @staticmethod
    async def _dump_fdb(host: _Namespace, links: dict[str, Link]
                        ) -> tuple[dict[int, dict[str, set[str]]], set[tuple[int, str]]]:
        """Our VXLAN devices' index -> MAC -> remote VTEPs, and the sticky
        bridge entries (port index, MAC)."""
        ours = {link.index for link in links.values()
                if link.kind == "vxlan" and naming.owned_kind(link.name) == "vxlan"
                and link.alias.startswith(OWNED)}
        out: dict[int, dict[str, set[str]]] = {}
        sticky: set[tuple[int, str]] = set()
        for n in await host.rtnl.neighbours(AF_BRIDGE):
            if n.ifindex in ours and n.flags & NTF_SELF and n.dst:
                out.setdefault(n.ifindex, {}).setdefault(n.lladdr, set()).add(n.dst)
            elif n.flags & NTF_STICKY:
                sticky.add((n.ifindex, n.lladdr))
        return out, sticky

    async def _sync_fdb(self, host: _Namespace, vxlans: dict[str, int], plan: HostPlan,
                        fdb: dict[int, dict[str, set[str]]], result: _Result) -> None:
        writes: list[NeighbourWrite] = []
        owners: list[Neighbor | None] = []
        local = self.local_ip
        for vpc_id, vx in vxlans.items():
            wanted = plan.fdb.get(vpc_id, {})
            actual = fdb.get(vx, {})
            for mac, n in wanted.items():
                if n.host_ip == local:
                    continue  # a port of this very host: the bridge reaches it
                have = actual.get(mac)
                if have == {n.host_ip}:
                    continue
                for stale in (have or set()) - {n.host_ip}:
                    writes.append(NeighbourWrite(True, AF_BRIDGE, vx, stale, mac, FDB_STATE,
                                                 NTF_SELF))
                    owners.append(None)
                writes.append(NeighbourWrite(False, AF_BRIDGE, vx, n.host_ip, mac, FDB_STATE,
                                             NTF_SELF))
                owners.append(n)
            for mac, dsts in actual.items():
                n = wanted.get(mac)
                if n is None or n.host_ip == local:
                    for dst in dsts:
                        writes.append(NeighbourWrite(True, AF_BRIDGE, vx, dst, mac, FDB_STATE,
                                                     NTF_SELF))
                        owners.append(None)
        if not writes:
            return
        try:
            failed = await host.rtnl.write_neighbours(writes)
        except Exception as e:
            failed = {i: getattr(e, "errno", 0) or errno.EIO for i in range(len(writes))}
        for i, err in failed.items():
            w, n = writes[i], owners[i]
            if n is not None:
                result.neighbor_failed(n, f"forwarding entry {w.lladdr} -> {w.dst}: "
                                          f"{os.strerror(err)}")
            elif err != errno.ENOENT:
                log.warning("removing forwarding entry %s -> %s: %s", w.lladdr, w.dst,
                            os.strerror(err))

    # --- ports ----------------------------------------------------------------

    async def _ensure_port(self, host: _Namespace, links: dict[str, Link], pp: PortPlan,
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
        for _ in range(2):
            if vh is None:
                vh = await self._create_veth(host, pp)
            if (vh.alias != alias or vh.master != bridge_index or vh.up != pp.up
                    or vh.mtu != self.mtu):
                await host.ipr.link("set", index=vh.index, ifalias=alias, master=bridge_index,
                                    mtu=self.mtu, state="up" if pp.up else "down")
            ns = _Namespace(pp.namespace)
            try:
                if await self._ensure_inside(ns, pp.veth_port, pp.mac, pp.addresses, pp.gateways,
                                             created_ns, arp, result):
                    return
            finally:
                ns.close()
            # The host end exists but its peer is not in the namespace (the
            # namespace was replaced, or the peer moved): recreate the pair.
            log.info("port %s: peer %s missing in %s, recreating", pp.port_id, pp.veth_port,
                     pp.namespace)
            await host.ipr.link("del", index=vh.index)
            vh = None
        raise RuntimeError(f"{pp.veth_port} did not appear in namespace {pp.namespace}")

    async def _create_veth(self, host: _Namespace, pp: PortPlan) -> Link:
        await host.ipr.link("add", ifname=pp.veth_host, kind="veth", mtu=self.mtu,
                            peer={"ifname": pp.veth_port, "address": pp.mac, "mtu": self.mtu,
                                  "net_ns_fd": netns.path(pp.namespace)})
        vh = await host.rtnl.link(pp.veth_host)
        if vh is None:
            raise RuntimeError(f"{pp.veth_host} vanished right after its creation")
        return vh

    async def _ensure_inside(self, ns: _Namespace, ifname: str, mac: str,
                             addresses: tuple[tuple[str, int], ...], gateways: tuple[str, ...],
                             created_ns: bool, arp: dict[str, Neighbor], result: _Result) -> bool:
        """Programs a veth's end inside its namespace (a port's or a
        router's); False when that end is missing."""
        links = {link.name: link for link in await ns.rtnl.links()}
        vp = links.get(ifname)
        if vp is None or vp.kind != "veth":
            return False
        lo = links.get("lo")
        if lo is not None and (not lo.up or (created_ns and lo.alias != NETNS_MARK)):
            await ns.ipr.link("set", index=lo.index, state="up",
                              **({"ifalias": NETNS_MARK} if created_ns else {}))
        if vp.address != mac or vp.mtu != self.mtu or not vp.up:
            await ns.ipr.link("set", index=vp.index, address=mac, mtu=self.mtu, state="up")

        have = {(a.address, a.prefixlen) for a in await ns.rtnl.addresses()
                if a.index == vp.index and a.address and not a.address.startswith("fe80:")}
        want = set(addresses)
        for ip, plen in want - have:
            extra = {"flags": IFA_F_NODAD} if _family(ip) == socket.AF_INET6 else {}
            await ns.ipr.addr("add", index=vp.index, address=ip, prefixlen=plen, **extra)
        for ip, plen in have - want:
            await ns.ipr.addr("del", index=vp.index, address=ip, prefixlen=plen)

        await self._sync_default_routes(ns, vp.index, gateways)
        await self._sync_arp(ns, vp.index, arp, result)
        return True

    @staticmethod
    async def _sync_default_routes(ns: _Namespace, index: int, gateways: tuple[str, ...]) -> None:
        want = {_family(gw): gw for gw in gateways}
        defaults = [r for r in await ns.rtnl.routes()
                    if r.dst_len == 0 and r.table == RT_TABLE_MAIN]
        for family in (socket.AF_INET, socket.AF_INET6):
            have = [(r.gateway, r.oif) for r in defaults if r.family == family]
            gw = want.get(family)
            if gw is not None:
                if have != [(gw, index)]:
                    await ns.ipr.route("replace", dst=DEFAULT_DST[family], gateway=gw, oif=index)
            else:
                for old_gw, oif in have:
                    if oif == index:
                        await ns.ipr.route("del", dst=DEFAULT_DST[family], gateway=old_gw,
                                           oif=oif)

    @staticmethod
    async def _sync_arp(ns: _Namespace, index: int, arp: dict[str, Neighbor],
                        result: _Result) -> None:
        have = {n.dst: n.lladdr for n in await ns.rtnl.neighbours()
                if n.ifindex == index and n.state & NUD_PERMANENT}
        writes = [NeighbourWrite(False, _family(ip), index, ip, n.mac, NUD_PERMANENT)
                  for ip, n in arp.items() if have.get(ip) != n.mac]
        writes += [NeighbourWrite(True, _family(ip), index, ip) for ip in have.keys() - arp.keys()]
        if not writes:
            return
        for i, err in (await ns.rtnl.write_neighbours(writes)).items():
            w = writes[i]
            if w.delete:
                log.warning("removing ARP entry %s: %s", w.dst, os.strerror(err))
            else:
                result.neighbor_failed(arp[w.dst], f"ARP entry {w.dst} -> {w.lladdr}: "
                                                   f"{os.strerror(err)}")

    # --- security groups ---------------------------------------------------------

    async def _sync_filter(self, namespace: str, nf: NamespaceFilter | None) -> str:
        """Makes the namespace's table match `nf` (None: no table); returns
        why it could not, "" when it holds."""
        cached = self._filters.get(namespace)
        try:
            self._filters[namespace] = await asyncio.to_thread(_apply_filter, namespace, nf,
                                                               cached)
            return ""
        except (nft.NftError, OSError) as e:
            self._filters.pop(namespace, None)
            why = str(e) if isinstance(e, nft.NftError) else _why(e)
            log.warning("security groups in %s: %s", namespace, why)
            return f"security groups: {why}"

    # --- routers -------------------------------------------------------------------

    async def _sync_routers(self, host: _Namespace, links: dict[str, Link], plan: HostPlan,
                            bridges: dict[str, int], sticky: set[tuple[int, str]],
                            result: _Result) -> None:
        for rp in plan.routers.values():
            started = time.perf_counter()
            if rp.vpc_id not in bridges:
                result.add(Kind.ROUTER, rp.router_id, Status.FAILURE,
                           f"VPC {rp.vpc_id} was not programmed", started, rp.revision)
                continue
            try:
                await self._ensure_router(host, links, rp, bridges[rp.vpc_id], sticky, result)
            except Exception as e:
                log.warning("router %s: %s", rp.router_id, _why(e))
                result.add(Kind.ROUTER, rp.router_id, Status.FAILURE, _why(e), started,
                           rp.revision)
        wanted = {rp.veth_host for rp in plan.routers.values()}
        for link in list(links.values()):
            if (naming.owned_kind(link.name) == "router_host" and link.alias.startswith(OWNED)
                    and link.name not in wanted):
                try:
                    await self._remove_port(host, link, keep_namespaces=set())
                except Exception as e:
                    log.warning("removing %s: %s", link.name, _why(e))
                del links[link.name]

    async def _ensure_router(self, host: _Namespace, links: dict[str, Link], rp: RouterPlan,
                             bridge_index: int, sticky: set[tuple[int, str]],
                             result: _Result) -> None:
        namespace = naming.router_namespace(rp.router_id, self.host_netns)
        alias = router_alias(rp.router_id, namespace)
        vh = links.get(rp.veth_host)
        if vh is not None:
            _claim(vh, alias, "veth")
        created_ns = False
        if not netns.exists(namespace):
            netns.create(namespace)
            created_ns = True
        for _ in range(2):
            if vh is None:
                await host.ipr.link("add", ifname=rp.veth_host, kind="veth", mtu=self.mtu,
                                    peer={"ifname": naming.ROUTER_INTERFACE, "address": rp.mac,
                                          "mtu": self.mtu,
                                          "net_ns_fd": netns.path(namespace)})
                vh = await host.rtnl.link(rp.veth_host)
                if vh is None:
                    raise RuntimeError(f"{rp.veth_host} vanished right after its creation")
            if (vh.alias != alias or vh.master != bridge_index or not vh.up
                    or vh.mtu != self.mtu):
                await host.ipr.link("set", index=vh.index, ifalias=alias, master=bridge_index,
                                    mtu=self.mtu, state="up")
            ns = _Namespace(namespace)
            try:
                if await self._ensure_inside(ns, naming.ROUTER_INTERFACE, rp.mac, rp.addresses,
                                             (), created_ns, rp.neighbors, result):
                    break
            finally:
                ns.close()
            log.info("router %s: %s missing in %s, recreating", rp.router_id,
                     naming.ROUTER_INTERFACE, namespace)
            await host.ipr.link("del", index=vh.index)
            vh = None
        else:
            raise RuntimeError(f"{naming.ROUTER_INTERFACE} did not appear in {namespace}")
        await asyncio.to_thread(_enable_forwarding, namespace)
        if (vh.index, rp.mac) not in sticky:
            failed = await host.rtnl.write_neighbours([NeighbourWrite(
                False, AF_BRIDGE, vh.index, "", rp.mac, NUD_NOARP, NTF_MASTER | NTF_STICKY)])
            if failed:
                raise OSError(failed[0], f"sticky forwarding entry {rp.mac}: "
                                         f"{os.strerror(failed[0])}")

    # --- removing ports ---------------------------------------------------------

    async def _remove_stale_ports(self, host: _Namespace, links: dict[str, Link],
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

    @staticmethod
    async def _remove_port(host: _Namespace, vh: Link, keep_namespaces: set[str]) -> None:
        """Deletes a port's veth pair, and its namespace when the agent
        created it and no wanted port uses it."""
        log.info("removing %s (%s)", vh.name, vh.alias)
        await host.ipr.link("del", index=vh.index)
        name = alias_namespace(vh.alias)
        if name and name not in keep_namespaces and netns.exists(name):
            rtnl = Rtnl.open(name)
            try:
                lo = await rtnl.link("lo")
            finally:
                rtnl.close()
            if lo is not None and lo.alias == NETNS_MARK:
                log.info("removing namespace %s", name)
                netns.remove(name)


_FORWARDING = (("net.ipv4.ip_forward", "1"), ("net.ipv6.conf.all.forwarding", "1"),
               # Both subnets sit on one interface: a redirect would tell a
               # port to reach the other subnet directly, which it cannot.
               ("net.ipv4.conf.all.send_redirects", "0"),
               (f"net.ipv4.conf.{naming.ROUTER_INTERFACE}.send_redirects", "0"))


def _enable_forwarding(namespace: str) -> None:
    for key, value in _FORWARDING:
        if netns.read_sysctl(namespace, key) != value:
            netns.write_sysctl(namespace, key, value)


def _apply_filter(namespace: str, nf: NamespaceFilter | None,
                  cached: tuple[NamespaceFilter | None, str | None] | None
                  ) -> tuple[NamespaceFilter | None, str | None]:
    """Blocking (a worker thread): one listing of the table, and when it is
    not what was last applied, one transaction replacing it."""
    if nf is None:
        if cached is None or cached[0] is not None:
            if cached is not None or nft.list_table(namespace, "inet", firewall.TABLE) is not None:
                nft.delete_table(namespace, "inet", firewall.TABLE)
        return None, None
    listing = nft.list_table(namespace, "inet", firewall.TABLE)
    if cached is not None and cached[0] == nf and cached[1] == listing:
        return cached
    nft.run(namespace, nf.ruleset())
    inbound, outbound = firewall.lost_access(cached[0] if cached else None, nf)
    if inbound:
        nft.forget_connections(namespace, firewall.INBOUND_MARK)
    if outbound:
        nft.forget_connections(namespace, firewall.OUTBOUND_MARK)
    return nf, nft.list_table(namespace, "inet", firewall.TABLE)

"""What a host state means on the host: compiled once per state, shared by
every driver.

Per VPC a bridge and a VXLAN device; per port a veth pair, its addresses,
default routes and namespace; per remote neighbor a forwarding entry (MAC ->
remote VTEP) on the VPC's VXLAN device, and a static ARP/NDP entry (IP -> MAC)
in the namespace of every local port of the neighbor's subnet. Per port
namespace the filter of its ports' security groups (agent.firewall). Per
router of a local VPC a router namespace on the VPC's bridge that answers
every attached subnet's gateway address with the router's MAC and routes
between them, with a static entry for every remote port of those subnets (an
L3 neighbor of the hosts in the other subnets), so that routing happens on
the host and nothing hairpins. Entries that reference something the state
lacks (a port's VPC or subnet, a neighbor's VPC) come out as INVALID_ARG
outcomes instead.

Neighbors are kept as the model's own objects, grouped per VPC, so compiling
10,000 of them allocates no new objects per entry.
"""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import socket
import weakref
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

from agent import firewall, naming
from agent.dataplane import Outcome, Status
from agent.firewall import NamespaceFilter
from agent.model import EMPTY, HostState, Kind, Neighbor, NeighborType, Port, Router


@dataclass(frozen=True, slots=True)
class VpcPlan:
    vpc_id: str
    vni: int
    bridge: str
    vxlan: str
    revision: int = 0


class PortPlan(NamedTuple):  # a tuple: a FULL state builds 10,000 of them
    port_id: str
    vpc_id: str
    bridge: str
    veth_host: str
    veth_port: str
    namespace: str
    mac: str
    # (address, prefix length), prefix from the subnet's CIDR.
    addresses: tuple[tuple[str, int], ...]
    # Default-route next hops, at most one per address family.
    gateways: tuple[str, ...]
    up: bool = True
    revision: int = 0
    # The subnets of its addresses: its ARP entries are theirs.
    subnets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RouterPlan:
    router_id: str
    vpc_id: str
    bridge: str
    veth_host: str
    mac: str  # the gateway MAC, the same on every host
    # Every attached subnet's gateway address, with the subnet's prefix.
    addresses: tuple[tuple[str, int], ...]
    # Remote ports of the attached subnets: IP -> the neighbor, whose MAC
    # is static in the router.
    neighbors: dict[str, Neighbor]
    revision: int = 0
    # Whether two neighbors of the attached subnets had one address (the
    # last one won): only a whole build settles which wins after a change.
    duplicates: bool = False


@dataclass
class HostPlan:
    vpcs: dict[str, VpcPlan] = field(default_factory=dict)
    ports: dict[str, PortPlan] = field(default_factory=dict)
    # vpc id -> neighbor MAC -> the neighbor (its host_ip is the VTEP).
    fdb: dict[str, dict[str, Neighbor]] = field(default_factory=dict)
    # vpc id -> subnet id ("" when the neighbor names none: every port of the
    # VPC gets it) -> neighbor IP -> the neighbor (its mac answers for the IP).
    arp: dict[str, dict[str, dict[str, Neighbor]]] = field(default_factory=dict)
    # port namespace -> the filter its `inet alcor` table holds.
    filters: dict[str, NamespaceFilter] = field(default_factory=dict)
    routers: dict[str, RouterPlan] = field(default_factory=dict)
    # INVALID_ARG outcomes for entries that cannot be programmed.
    invalid: list[Outcome] = field(default_factory=list)
    invalid_neighbors: int = 0  # how many of them are neighbors
    # When the neighbor tables were updated from a previous plan: that plan
    # (weakly) and the (old, new) neighbors that changed, so a driver holding
    # the previous plan's entries can apply just these.
    previous: object = None
    neighbor_changes: list = field(default_factory=list)

    def arp_for(self, pp: PortPlan) -> dict[str, Neighbor]:
        """The ARP/NDP entries of a port's namespace, shared when it can be."""
        per_subnet = self.arp.get(pp.vpc_id)
        if not per_subnet:
            return {}
        parts = [per_subnet[s] for s in (*pp.subnets, "") if s in per_subnet]
        if len(parts) == 1:
            return parts[0]
        merged: dict[str, Neighbor] = {}
        for part in parts:
            merged.update(part)
        return merged


def _invalid(kind: Kind, id_: str, reason: str, revision: int = 0) -> Outcome:
    return Outcome(kind, id_, Status.INVALID_ARG, reason, 0, revision)


@functools.lru_cache(maxsize=1 << 12)
def _cidr(cidr: str) -> tuple[int, int, int]:
    n = ipaddress.ip_network(cidr)
    return (socket.AF_INET if n.version == 4 else socket.AF_INET6, int(n.network_address),
            int(n.netmask))


class _Networks:
    """Each subnet as (family, network as an integer, mask), built once per
    compile: a FULL state of 10,000 ports checks 10,000 addresses, and
    inet_pton with integer masks is several times cheaper than ipaddress."""

    def __init__(self, state: HostState):
        self.state = state
        self.cache: dict[str, tuple[int, int, int]] = {}

    def contains(self, subnet_id: str, ip: str) -> bool:
        net = self.cache.get(subnet_id)
        if net is None:
            net = self.cache[subnet_id] = _cidr(self.state.subnets[subnet_id].cidr)
        family, base, mask = net
        try:
            return int.from_bytes(socket.inet_pton(family, ip), "big") & mask == base
        except OSError:
            return False  # the other family


def _port_plan(port: Port, vpc: VpcPlan, state: HostState, nets: _Networks) -> PortPlan | str:
    """The port's plan, or why it cannot have one."""
    addresses: list[tuple[str, int]] = []
    gateways: dict[int, str] = {}
    for fip in port.fixed_ips:
        subnet = state.subnets.get(fip.subnet_id)
        if subnet is None:
            return f"subnet {fip.subnet_id} of address {fip.ip} is not in the goal state"
        if not nets.contains(fip.subnet_id, fip.ip):
            return f"address {fip.ip} is outside subnet {fip.subnet_id} ({subnet.cidr})"
        addresses.append((fip.ip, subnet.prefixlen))
        if subnet.gateway_ip and subnet.family not in gateways:
            gateways[subnet.family] = subnet.gateway_ip
    return PortPlan(
        port_id=port.id, vpc_id=port.vpc_id, bridge=vpc.bridge,
        veth_host=naming.veth_host_name(port.id), veth_port=naming.veth_port_name(port.id),
        namespace=port.namespace, mac=port.mac, addresses=tuple(addresses),
        gateways=tuple(gateways[f] for f in (socket.AF_INET, socket.AF_INET6) if f in gateways),
        up=port.admin_state_up, revision=port.revision,
        subnets=tuple(dict.fromkeys(f.subnet_id for f in port.fixed_ips)))


def _routes_to(router: Router) -> Callable[[Neighbor], bool]:
    """Whether a neighbor of the router's VPC is in one of its attached
    subnets (by subnet, or by address when the neighbor names none)."""
    attached = {i.subnet_id for i in router.interfaces}
    nets = [ipaddress.ip_network(i.cidr) for i in router.interfaces]
    return lambda n: n.subnet_id in attached or (
        not n.subnet_id and any(ipaddress.ip_address(n.ip) in net for net in nets))


def _router_plan(router: Router, vpc: VpcPlan, state: HostState) -> RouterPlan:
    routed = _routes_to(router)
    neighbors = {}
    matched = 0
    for n in state.neighbors.values():
        if n.vpc_id == router.vpc_id and routed(n):
            neighbors[n.ip] = n
            matched += 1
    return RouterPlan(
        router_id=router.id, vpc_id=router.vpc_id, bridge=vpc.bridge,
        veth_host=naming.router_host_name(router.id), mac=router.gateway_mac,
        addresses=tuple((i.gateway_ip, i.prefixlen) for i in router.interfaces),
        neighbors=neighbors, revision=router.revision, duplicates=matched != len(neighbors))


def _routers_from(plan: HostPlan, state: HostState, old_plan: HostPlan, changes: list) -> bool:
    """The previous plan's router plans, with the neighbor changes applied to
    the routers of their VPCs (the routers themselves are the previous
    state's, gateway entries and all). False when only a whole build is
    exact: two neighbors of one address."""
    if any(rp.duplicates for rp in old_plan.routers.values()):
        return False
    touched = {n.vpc_id for pair in changes for n in pair if n is not None}
    routers = dict(old_plan.routers)
    for rid, rp in old_plan.routers.items():
        if rp.vpc_id not in touched:
            continue
        routed, neighbors = _routes_to(state.routers[rid]), dict(rp.neighbors)
        for old, new in changes:
            if old is not None and old.vpc_id == rp.vpc_id and neighbors.get(old.ip) is old:
                del neighbors[old.ip]
            if new is not None and new.vpc_id == rp.vpc_id and routed(new):
                if new.ip in neighbors:
                    return False
                neighbors[new.ip] = new
        routers[rid] = dataclasses.replace(rp, neighbors=neighbors)
    plan.routers = routers
    return True


def compile_plan(state: HostState, previous: tuple[HostState, HostPlan] | None = None,
                 consume: bool = False) -> HostPlan:
    """The plan of `state`. With the previous state and its plan, a port whose
    entry and subnets are the very same objects keeps its old PortPlan (a
    delta changes a few entries of thousands; parsing addresses is the cost).
    With `consume`, the previous plan is not used again (PlanCache drops it):
    its neighbor tables are updated in place and become the new plan's."""
    plan = HostPlan()
    plan.invalid = [_invalid(r.kind, r.id, r.reason, r.revision) for r in state.rejected.values()]

    names: dict[str, str] = {}
    for vpc in state.vpcs.values():
        vp = VpcPlan(vpc.id, vpc.vni, naming.bridge_name(vpc.id), naming.vxlan_name(vpc.id),
                     vpc.revision)
        other = names.setdefault(vp.bridge, vpc.id)
        if other != vpc.id:
            plan.invalid.append(_invalid(Kind.VPC, vpc.id, f"device name {vp.bridge} collides "
                                         f"with VPC {other}", vpc.revision))
            continue
        plan.vpcs[vpc.id] = vp

    nets = _Networks(state)
    old_state, old_plan = previous or (EMPTY, HostPlan())
    old_ports, old_subnets, subnets = old_state.ports, old_state.subnets, state.subnets
    for port in state.ports.values():
        vpc = plan.vpcs.get(port.vpc_id)
        if vpc is None:
            plan.invalid.append(_invalid(Kind.PORT, port.id, f"VPC {port.vpc_id} is not in the "
                                         "goal state", port.revision))
            continue
        pp = old_plan.ports.get(port.id)
        if (pp is None or old_ports.get(port.id) is not port or pp.bridge != vpc.bridge
                or any(old_subnets.get(f.subnet_id) is not subnets.get(f.subnet_id)
                       for f in port.fixed_ips)):
            pp = _port_plan(port, vpc, state, nets)
        if isinstance(pp, str):
            plan.invalid.append(_invalid(Kind.PORT, port.id, pp, port.revision))
            continue
        other = names.setdefault(pp.veth_host, port.id)
        if other != port.id:
            plan.invalid.append(_invalid(Kind.PORT, port.id, f"device name {pp.veth_host} "
                                         f"collides with port {other}", port.revision))
            continue
        plan.ports[port.id] = pp

    vpcs = plan.vpcs
    if not (previous and _neighbors_from(plan, state, old_state, old_plan, consume)):
        _all_neighbors(plan, state)
    arp = plan.arp
    _plan_filters(plan, state, old_state, old_plan)
    for router in state.routers.values():
        vpc = vpcs.get(router.vpc_id)
        if vpc is None:
            plan.invalid.append(_invalid(Kind.ROUTER, router.id, f"VPC {router.vpc_id} is not "
                                         "in the goal state", router.revision))
            continue
        if router.id in plan.routers:
            continue  # carried over from the previous plan (_neighbors_from), gateway entries too
        if router.interfaces:
            plan.routers[router.id] = _router_plan(router, vpc, state)
            # The ports of an attached subnet know their gateway's MAC
            # statically: routing works from the first packet, even for a port
            # that asked for its gateway before the router came.
            per_subnet = arp.setdefault(router.vpc_id, {})
            for i in router.interfaces:
                per_subnet.setdefault(i.subnet_id, {})[i.gateway_ip] = Neighbor(
                    router.id, router.vpc_id, i.subnet_id, i.gateway_ip, router.gateway_mac, "",
                    vpc.vni, NeighborType.L3, router.revision)
    return plan


def _invalid_neighbor(n: Neighbor, vpcs: dict[str, VpcPlan]) -> Outcome | None:
    vpc = vpcs.get(n.vpc_id)
    if vpc is not None and vpc.vni == n.vni:
        return None
    why = (f"VPC {n.vpc_id} is not in the goal state" if vpc is None
           else f"VNI {n.vni} is not VPC {n.vpc_id}'s ({vpc.vni})")
    return _invalid(Kind.NEIGHBOR, n.port_id, why, n.revision)


def _all_neighbors(plan: HostPlan, state: HostState) -> None:
    fdb, arp, vpcs = plan.fdb, plan.arp, plan.vpcs
    for n in state.neighbors.values():
        bad = _invalid_neighbor(n, vpcs)
        if bad is not None:
            plan.invalid.append(bad)
            plan.invalid_neighbors += 1
            continue
        per_vpc = fdb.get(n.vpc_id)
        if per_vpc is None:
            per_vpc = fdb[n.vpc_id] = {}
        per_vpc[n.mac] = n
        # L2 and L3 neighbors alike: an L3 neighbor (its subnet is on a
        # router) is still on-link for the local ports of its own subnet.
        per_subnet = arp.get(n.vpc_id)
        if per_subnet is None:
            per_subnet = arp[n.vpc_id] = {}
        entries = per_subnet.get(n.subnet_id)
        if entries is None:
            entries = per_subnet[n.subnet_id] = {}
        entries[n.ip] = n


_NO_ENTRIES: dict = {}


def _neighbors_from(plan: HostPlan, state: HostState, old_state: HostState,
                    old_plan: HostPlan, consume: bool = False) -> bool:
    """The neighbor tables as the previous plan's, updated by the entries
    the DELTA touched: in place when the previous plan is consumed, else
    copied on write per VPC and subnet (the previous plan stays as it was).
    False when that is not exact, and they are to be built whole:
    a VPC that holds neighbors went or changed, routers are involved, an
    entry is or was invalid, an address or MAC is shared by two entries."""
    if old_plan.invalid_neighbors:
        return False
    if state.routers is not old_state.routers and (state.routers or old_state.routers):
        return False  # routers changed: their gateway entries with them
    if state.vpcs is not old_state.vpcs:
        # A VPC added is no reason: no valid neighbor could name it before
        # (there were none invalid). One removed or with another VNI makes
        # its neighbors invalid, which only a whole build reports.
        for vpc_id in old_plan.fdb.keys() | old_plan.arp.keys():
            was, now = old_plan.vpcs.get(vpc_id), plan.vpcs.get(vpc_id)
            if now is None or was is None or now.vni != was.vni:
                return False
    if state.neighbors is old_state.neighbors and not state.touched_neighbors:
        plan.fdb, plan.arp, plan.routers = old_plan.fdb, old_plan.arp, dict(old_plan.routers)
        plan.previous = weakref.ref(old_plan)
        return True
    if not state.based_on(old_state):
        return False
    # In place: a DELTA of 80 neighbors over 15 VPCs copied (and then freed)
    # 15 VPCs' tables, 50 entries per entry applied, on every host.
    fdb, arp = (old_plan.fdb, old_plan.arp) if consume else (dict(old_plan.fdb), dict(old_plan.arp))
    vpcs = plan.vpcs
    # Per VPC touched: its MAC table, its per-subnet tables and the subnet
    # tables made writable so far.
    touched: dict[str, tuple[dict, dict, dict]] = {}
    changes = []
    # (VPC, MAC) of every neighbor the new state holds, made on the first
    # removal: a walk of all of them per removal made removing a VPC's
    # ports quadratic on every host of it.
    macs_held: set | None = None

    def tables(vpc_id: str) -> tuple[dict, dict, dict]:
        t = touched.get(vpc_id)
        if t is None:
            if consume:
                by_mac, per_subnet = fdb.setdefault(vpc_id, {}), arp.setdefault(vpc_id, {})
                t = touched[vpc_id] = (by_mac, per_subnet, per_subnet)
            else:
                fdb[vpc_id] = by_mac = dict(fdb.get(vpc_id, _NO_ENTRIES))
                arp[vpc_id] = per_subnet = dict(arp.get(vpc_id, _NO_ENTRIES))
                t = touched[vpc_id] = (by_mac, per_subnet, {})
        return t

    def subnet_table(t: tuple[dict, dict, dict], subnet_id: str) -> dict:
        by_ip = t[2].get(subnet_id)
        if by_ip is None:
            if consume:
                by_ip = t[1][subnet_id] = {}
            else:
                by_ip = t[2][subnet_id] = t[1][subnet_id] = dict(t[1].get(subnet_id, _NO_ENTRIES))
        return by_ip

    new_of = state.neighbors.get
    # The loop every entry of a DELTA goes through on every host: the common
    # case (an entry added) is written out in line. The old entries are the
    # state's record (its base's neighbors may be the same, updated, dict).
    for key, old in state.touched_neighbors.items():
        new = new_of(key)
        if old is new:
            continue
        if old is not None:
            if _invalid_neighbor(old, vpcs) is not None:
                return False
            t = tables(old.vpc_id)
            by_mac, by_ip = t[0], subnet_table(t, old.subnet_id)
            if by_mac.get(old.mac) is not old or by_ip.get(old.ip) is not old:
                return False
            if macs_held is None:
                macs_held = {(n.vpc_id, n.mac) for n in state.neighbors.values()}
            if (old.vpc_id, old.mac) in macs_held:
                return False  # the MAC stays, with another address of its port
            del by_mac[old.mac]
            del by_ip[old.ip]
        if new is not None:
            vpc_id = new.vpc_id
            vpc = vpcs.get(vpc_id)
            if vpc is None or vpc.vni != new.vni:
                return False  # invalid: only a whole build reports it
            t = touched.get(vpc_id) or tables(vpc_id)
            by_ip = t[2].get(new.subnet_id) or subnet_table(t, new.subnet_id)
            by_mac, mac, ip = t[0], new.mac, new.ip
            if mac in by_mac or ip in by_ip:
                return False
            by_mac[mac] = new
            by_ip[ip] = new
        changes.append((old, new))
    if state.routers and not _routers_from(plan, state, old_plan, changes):
        return False
    for vpc_id in touched:
        if not fdb[vpc_id]:
            del fdb[vpc_id]
        per_subnet = arp[vpc_id]
        for sid in [sid for sid, entries in per_subnet.items() if not entries]:
            del per_subnet[sid]
        if not per_subnet:
            del arp[vpc_id]
    plan.fdb, plan.arp = fdb, arp
    plan.previous, plan.neighbor_changes = weakref.ref(old_plan), changes
    return True


def _plan_filters(plan: HostPlan, state: HostState, old_state: HostState,
                  old_plan: HostPlan) -> None:
    """Groups the ports' filters by namespace; a namespace none of whose
    ports is filtered gets no table. A namespace whose ports, groups and
    member lists are the previous plan's very objects keeps its filter."""
    per_ns: dict[str, list[PortPlan]] = {}
    for pp in plan.ports.values():
        per_ns.setdefault(pp.namespace, []).append(pp)
    groups, members = state.security_groups, state.security_group_members
    same_groups = groups is old_state.security_groups
    same_members = members is old_state.security_group_members
    for ns, pps in per_ns.items():
        old = old_plan.filters.get(ns)
        if old is not None and _filter_unchanged(old, pps, state, old_state, old_plan,
                                                 same_groups, same_members):
            plan.filters[ns] = old
            continue
        # A port's own filter depends on it and its groups only: when just
        # member lists changed, the old one is kept and only the sets differ.
        kept = {pf.port_id: pf for pf in old.ports} if old is not None else {}
        filters = []
        for pp in pps:
            port = state.ports[pp.port_id]
            pf = kept.get(pp.port_id)
            if pf is None or pf.interface != pp.veth_port or old_state.ports.get(pp.port_id) is not port \
                    or not (same_groups or all(groups.get(g) is old_state.security_groups.get(g)
                                               for g in port.security_group_ids)):
                pf = firewall.port_filter(port, pp.veth_port, groups)
            filters.append(pf)
        if any(f.enforced for f in filters):
            plan.filters[ns] = firewall.namespace_filter(ns, filters, members)


def _filter_unchanged(old: NamespaceFilter, pps: list[PortPlan], state: HostState,
                      old_state: HostState, old_plan: HostPlan, same_groups: bool,
                      same_members: bool) -> bool:
    if len(old.ports) != len(pps):
        return False
    for pp in pps:
        if old_plan.ports.get(pp.port_id) is not pp \
                or old_state.ports.get(pp.port_id) is not state.ports[pp.port_id]:
            return False
        if not same_groups and any(
                state.security_groups.get(g) is not old_state.security_groups.get(g)
                for g in state.ports[pp.port_id].security_group_ids):
            return False
    if not same_members:
        for pf in old.ports:
            for gid, _ in pf.remote_groups:
                if state.security_group_members.get(gid) is not old_state.security_group_members.get(gid):
                    return False
    return True


class PlanCache:
    """Compiles a state once: the periodic resync reconciles the same state
    object again and again."""

    def __init__(self):
        self._state: HostState | None = None
        self._plan = HostPlan()

    def get(self, state: HostState) -> HostPlan:
        if state is not self._state:
            previous = (self._state, self._plan) if self._state is not None else None
            # The previous plan is consumed: should compiling fail half way,
            # the next one starts from nothing.
            self._state = None
            self._plan = compile_plan(state, previous, consume=True)
            self._state = state
        return self._plan

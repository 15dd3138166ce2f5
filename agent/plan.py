"""What a host state means on the host: compiled once per state, shared by
every driver.

Per VPC a bridge and a VXLAN device; per port a veth pair, its addresses,
default routes and namespace; per remote neighbor a forwarding entry (MAC ->
remote VTEP) on the VPC's VXLAN device, and for an L2 neighbor a static ARP/NDP
entry (IP -> MAC) in the namespace of every local port of the VPC. Entries
that reference something the state lacks (a port's VPC or subnet, a
neighbor's VPC) come out as INVALID_ARG outcomes instead.

Neighbors are kept as the model's own objects, grouped per VPC, so compiling
10,000 of them allocates no new objects per entry.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from agent import naming
from agent.dataplane import Outcome, Status
from agent.model import HostState, Kind, Neighbor, NeighborType, Port


@dataclass(frozen=True, slots=True)
class VpcPlan:
    vpc_id: str
    vni: int
    bridge: str
    vxlan: str
    revision: int = 0


@dataclass(frozen=True, slots=True)
class PortPlan:
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


@dataclass
class HostPlan:
    vpcs: dict[str, VpcPlan] = field(default_factory=dict)
    ports: dict[str, PortPlan] = field(default_factory=dict)
    # vpc id -> neighbor MAC -> the neighbor (its host_ip is the VTEP).
    fdb: dict[str, dict[str, Neighbor]] = field(default_factory=dict)
    # vpc id -> neighbor IP -> the neighbor (its mac answers for the IP).
    arp: dict[str, dict[str, Neighbor]] = field(default_factory=dict)
    # INVALID_ARG outcomes for entries that cannot be programmed.
    invalid: list[Outcome] = field(default_factory=list)


def _invalid(kind: Kind, id_: str, reason: str, revision: int = 0) -> Outcome:
    return Outcome(kind, id_, Status.INVALID_ARG, reason, 0, revision)


class _Networks:
    """ip_network objects per subnet, built once per compile."""

    def __init__(self, state: HostState):
        self.state = state
        self.cache: dict[str, ipaddress.IPv4Network | ipaddress.IPv6Network] = {}

    def contains(self, subnet_id: str, ip: str) -> bool:
        net = self.cache.get(subnet_id)
        if net is None:
            net = self.cache[subnet_id] = ipaddress.ip_network(self.state.subnets[subnet_id].cidr)
        return ipaddress.ip_address(ip) in net


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
        up=port.admin_state_up, revision=port.revision)


def compile_plan(state: HostState) -> HostPlan:
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
    for port in state.ports.values():
        vpc = plan.vpcs.get(port.vpc_id)
        if vpc is None:
            plan.invalid.append(_invalid(Kind.PORT, port.id, f"VPC {port.vpc_id} is not in the "
                                         "goal state", port.revision))
            continue
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

    fdb = plan.fdb
    arp = plan.arp
    vpcs = plan.vpcs
    for n in state.neighbors.values():
        vpc = vpcs.get(n.vpc_id)
        if vpc is None or vpc.vni != n.vni:
            why = (f"VPC {n.vpc_id} is not in the goal state" if vpc is None
                   else f"VNI {n.vni} is not VPC {n.vpc_id}'s ({vpc.vni})")
            plan.invalid.append(_invalid(Kind.NEIGHBOR, n.port_id, why, n.revision))
            continue
        per_vpc = fdb.get(n.vpc_id)
        if per_vpc is None:
            per_vpc = fdb[n.vpc_id] = {}
        per_vpc[n.mac] = n
        if n.type is NeighborType.L2:
            per_vpc = arp.get(n.vpc_id)
            if per_vpc is None:
                per_vpc = arp[n.vpc_id] = {}
            per_vpc[n.ip] = n
    return plan


class PlanCache:
    """Compiles a state once: the periodic resync reconciles the same state
    object again and again."""

    def __init__(self):
        self._state: HostState | None = None
        self._plan = HostPlan()

    def get(self, state: HostState) -> HostPlan:
        if state is not self._state:
            self._plan = compile_plan(state)
            self._state = state
        return self._plan

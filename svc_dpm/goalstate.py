"""Pure goal-state compilation: what one host must program, computed from a
snapshot, and the delta between two such states.

A host's state is its ports, the VPCs and subnets they reference, and their
neighbors: every other port of those VPCs bound to another host (IP, MAC,
that host's underlay IP, VNI). Neighbor tables are per VPC and shared by every
host of the VPC (built once per change of the VPC, not once per host)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from alcor.v1 import goalstate_pb2 as gs
from alcor.v1 import port_pb2
from svc_dpm.snapshot import Snapshot

CREATE, UPDATE, DELETE = gs.OPERATION_CREATE, gs.OPERATION_UPDATE, gs.OPERATION_DELETE
_NS_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def namespace_of(p: port_pb2.Port) -> str:
    """The network namespace a port lives in: its device_id (a VM or pod),
    or one of its own when it has none or the id is not a safe name."""
    if p.device_id and _NS_OK.match(p.device_id):
        return p.device_id
    basis = p.device_id or p.id
    return "alcor-" + hashlib.sha1(basis.encode()).hexdigest()[:12]


@dataclass
class HostState:
    vpcs: dict[str, gs.VpcState] = field(default_factory=dict)
    subnets: dict[str, gs.SubnetState] = field(default_factory=dict)
    ports: dict[str, gs.PortState] = field(default_factory=dict)
    # Per VPC: the shared neighbor table the host was computed from. A host's
    # neighbors are the entries of its VPCs' tables that live on other hosts.
    tables: dict[str, list] = field(default_factory=dict)
    host: str = ""

    KINDS = ("vpcs", "subnets", "ports")

    @property
    def neighbors(self) -> dict[str, gs.NeighborState]:
        return {k: e for t in self.tables.values() for k, h, e in t if h != self.host}

    def size(self) -> int:
        return len(self.vpcs) + len(self.subnets) + len(self.ports) + len(self.neighbors)


def _entries_of(snap: Snapshot, q, net, node) -> list:
    """A port's neighbor entries, one per fixed IP; the same objects while the
    port, its host's address and the VPC's VNI are unchanged."""
    sig = (q.revision_number, node.local_ip, net.provider_segmentation_id)
    cached = snap.port_entries.get(q.id)
    if cached is not None and cached[0] == sig:
        return cached[1]
    entries = [(f"{q.id}/{f.ip_address}", q.binding_host_id, gs.NeighborState(
        operation=CREATE, port_id=q.id, vpc_id=net.id, subnet_id=f.subnet_id,
        ip_address=f.ip_address, mac_address=q.mac_address, host_ip=node.local_ip,
        vni=net.provider_segmentation_id, type=gs.NEIGHBOR_TYPE_L2, revision=q.revision_number))
        for f in q.fixed_ips]
    snap.port_entries[q.id] = (sig, entries)
    return entries


def _neighbor_table(snap: Snapshot, network_id: str) -> list[tuple[str, str, gs.NeighborState]]:
    """(key, host, entry) for every bound port of the VPC, cached per VPC."""
    table = snap.neighbor_cache.get(network_id)
    if table is not None:
        return table
    net = snap.networks.get(network_id)
    table = []
    if net is not None:
        for pid in snap.ports_by_network.get(network_id, ()):
            q = snap.ports[pid]
            node = snap.nodes.get(q.binding_host_id)
            if node is not None:
                table.extend(_entries_of(snap, q, net, node))
    snap.neighbor_cache[network_id] = table
    return table


def compile_host(snap: Snapshot, host: str) -> HostState:
    st = HostState(host=host)
    for pid in sorted(snap.ports_by_host.get(host, ())):
        p = snap.ports[pid]
        net = snap.networks.get(p.network_id)
        if net is None:
            continue
        if net.id not in st.vpcs:
            st.vpcs[net.id] = gs.VpcState(operation=CREATE, id=net.id,
                                          vni=net.provider_segmentation_id,
                                          revision=net.revision_number)
        for f in p.fixed_ips:
            s = snap.subnets.get(f.subnet_id)
            if s is not None and s.id not in st.subnets:
                gw = s.gateway_ip.string_value if s.gateway_ip.WhichOneof("kind") == "string_value" else ""
                st.subnets[s.id] = gs.SubnetState(operation=CREATE, id=s.id, vpc_id=s.network_id,
                                                  cidr=s.cidr, gateway_ip=gw, ip_version=s.ip_version,
                                                  revision=s.revision_number)
        st.ports[p.id] = gs.PortState(
            operation=CREATE, id=p.id, vpc_id=p.network_id, mac_address=p.mac_address,
            fixed_ips=p.fixed_ips, namespace=namespace_of(p), admin_state_up=p.admin_state_up,
            security_group_ids=p.security_groups, revision=p.revision_number)
    for vpc_id in st.vpcs:
        st.tables[vpc_id] = _neighbor_table(snap, vpc_id)
    return st


def full_message(host: str, st: HostState, revision: int) -> gs.HostGoalState:
    return gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_FULL, revision=revision,
                            vpcs=st.vpcs.values(), subnets=st.subnets.values(),
                            ports=st.ports.values(), neighbors=st.neighbors.values())


def _as(entry, op):
    m = type(entry)()
    m.CopyFrom(entry)
    m.operation = op
    return m


class TableDeltas:
    """Deltas between two versions of a VPC's neighbor table, computed once
    and shared by every host of the VPC (a round of pushes creates one)."""

    def __init__(self):
        self._memo: dict[tuple[int, int], list[tuple[str, gs.NeighborState]]] = {}

    def between(self, old: list | None, new: list | None) -> list[tuple[str, str, gs.NeighborState]]:
        """(skip_host, only_host, entry with its operation) for what changed:
        an entry goes to every host of the VPC but the one it lives on
        (skip_host), or, when only_host is set, to that host alone."""
        key = (id(old), id(new))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        before = {k: (h, e) for k, h, e in old or ()}
        out: list[tuple[str, str, gs.NeighborState]] = []
        seen = set()
        for k, h, e in new or ():
            seen.add(k)
            prev = before.get(k)
            if prev is None:
                out.append((h, "", e))
            elif prev[1] is not e and prev[1] != e:
                out.append((h, "", _as(e, UPDATE)))
                if prev[0] != h:
                    # The port moved to host h: h had it as a neighbor and
                    # must drop it (its old host gets the UPDATE above).
                    out.append(("", h, _as(prev[1], DELETE)))
        for k, (h, e) in before.items():
            if k not in seen:
                out.append((h, "", _as(e, DELETE)))
        self._memo[key] = out
        return out


def delta_message(host: str, old: HostState, new: HostState, base: int, revision: int,
                  deltas: TableDeltas | None = None) -> gs.HostGoalState | None:
    """What turns `old` into `new`, or None when nothing changed."""
    deltas = deltas or TableDeltas()
    out = gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_DELTA, revision=revision,
                           base_revision=base)
    changed = False
    for kind in HostState.KINDS:
        before, after = getattr(old, kind), getattr(new, kind)
        field_ = getattr(out, kind)
        for key, entry in after.items():
            prev = before.get(key)
            if prev is None:
                field_.append(entry)
                changed = True
            elif prev is not entry and prev != entry:
                field_.append(_as(entry, UPDATE))
                changed = True
        for key, entry in before.items():
            if key not in after:
                field_.append(_as(entry, DELETE))
                changed = True
    for vpc in set(old.tables) | set(new.tables):
        t_old, t_new = old.tables.get(vpc), new.tables.get(vpc)
        if t_old is t_new:
            continue  # the VPC's table did not change: nothing to diff
        for skip, only, e in deltas.between(t_old, t_new):
            if (only == host) if only else (skip != host):
                out.neighbors.append(e)
                changed = True
    return out if changed else None

"""Pure goal-state compilation: what one host must program, computed from a
snapshot, and the delta between two such states.

A host's state is its ports, the VPCs and subnets they reference, and their
neighbors: every other port of those VPCs bound to another host (IP, MAC,
that host's underlay IP, VNI). Neighbor tables are per VPC and shared by every
host of the VPC (built once per change of the VPC, not once per host)."""
from __future__ import annotations

import hashlib
import operator
import re
from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from alcor.v1 import goalstate_pb2 as gs
from alcor.v1 import port_pb2
from runtime.identity import MISSING, IdentityMemo
from svc_dpm.snapshot import Snapshot

CREATE, UPDATE, DELETE = gs.OPERATION_CREATE, gs.OPERATION_UPDATE, gs.OPERATION_DELETE
# Versions of a group's member list kept with what changed between them: a
# host pushed within this many of them is caught up by the changes alone.
MEMBER_VERSIONS = 16
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
    security_groups: dict[str, gs.SecurityGroupState] = field(default_factory=dict)
    security_group_members: dict[str, gs.SecurityGroupMembers] = field(default_factory=dict)
    routers: dict[str, gs.RouterState] = field(default_factory=dict)
    host: str = ""

    KINDS = ("vpcs", "subnets", "ports", "security_groups", "security_group_members", "routers")

    @property
    def neighbors(self) -> dict[str, gs.NeighborState]:
        return {k: e for t in self.tables.values() for k, h, e in t if h != self.host}

    def size(self) -> int:
        return sum(len(getattr(self, k)) for k in self.KINDS) + len(self.neighbors)


def _entries_of(q, net, node, routed: dict[str, str]) -> list:
    """A port's neighbor entries, one per fixed IP. An entry in a subnet on a
    router is an L3 neighbor: hosts with ports in the router's other subnets
    route to it."""
    return [(f"{q.id}/{f.ip_address}", q.binding_host_id, gs.NeighborState(
        operation=CREATE, port_id=q.id, vpc_id=net.id, subnet_id=f.subnet_id,
        ip_address=f.ip_address, mac_address=q.mac_address, host_ip=node.local_ip,
        vni=net.provider_segmentation_id,
        type=gs.NEIGHBOR_TYPE_L3 if f.subnet_id in routed else gs.NEIGHBOR_TYPE_L2,
        revision=q.revision_number))
        for f in q.fixed_ips]


def _neighbor_table(snap: Snapshot, network_id: str) -> list[tuple[str, str, gs.NeighborState]]:
    """(key, host, entry) for every bound port of the VPC, cached per VPC.

    A port's entries are the same objects while the port, its host's node,
    the VPC and its routed subnets are the very objects they were built from
    (so deltas compare them by identity); checking that reads no protobuf
    field, and a VPC's table is rebuilt on every change of one of its ports."""
    table = snap.neighbor_cache.get(network_id)
    if table is not None:
        return table
    net = snap.networks.get(network_id)
    table = []
    if net is not None:
        routed = snap.routed_subnets(network_id)
        ports, nodes, built = snap.ports, snap.nodes, snap.port_entries
        for pid in snap.ports_by_network.get(network_id, ()):
            q = ports[pid]
            hit = built.get(pid)
            if hit is not None and hit[0] is q and hit[1] is net and nodes.get(hit[2]) is hit[3] \
                    and hit[4] == routed:
                table.extend(hit[5])
                continue
            host = q.binding_host_id
            node = nodes.get(host)
            if node is not None:
                entries = _entries_of(q, net, node, routed)
                built[pid] = (q, net, host, node, routed, entries)
                table.extend(entries)
    snap.neighbor_cache[network_id] = table
    return table


def compile_host(snap: Snapshot, host: str) -> HostState:
    st = HostState(host=host)
    # What is read off each port and group is cached with its entry: reading
    # protobuf fields (every repeated one makes new wrappers) was most of a
    # compile, and every host of a VPC is compiled on each of its changes.
    remote: dict[str, None] = {}
    for pid in sorted(snap.ports_by_host.get(host, ())):
        p = snap.ports[pid]
        info = _port_info(snap, p)
        net = snap.networks.get(info.network_id)
        if net is None:
            continue
        if net.id not in st.vpcs:
            st.vpcs[net.id] = _vpc_state(snap, net)
        for sid in info.subnet_ids:
            if sid not in st.subnets:
                s = snap.subnets.get(sid)
                if s is not None:
                    st.subnets[sid] = _subnet_state(snap, s)
        st.ports[pid] = info.state
        for gid in info.filtered_by:
            if gid not in st.security_groups and gid in snap.groups:
                st.security_groups[gid], remotes = _group_state(snap, snap.groups[gid])
                remote.update(dict.fromkeys(remotes))
    for vpc_id in st.vpcs:
        st.tables[vpc_id] = _neighbor_table(snap, vpc_id)
    for rg in remote:
        st.security_group_members[rg] = _members(snap, rg)
    for r in snap.routers.values():
        if r.network_id in st.vpcs and r.subnet_ids and r.admin_state_up:
            st.routers[r.id] = _router_state(snap, r)
    return st


def _per_revision(cache: dict, resource, build):
    """What `build(resource)` makes, made once per revision of the resource
    and shared by every host: a host's compile makes no new objects for what
    did not change, and deltas compare those by identity."""
    hit = cache.get(resource.id)
    if hit is not None and hit[0] == resource.revision_number:
        return hit[1]
    value = build(resource)
    cache[resource.id] = (resource.revision_number, value)
    return value


def _vpc_state(snap: Snapshot, net) -> gs.VpcState:
    return _per_revision(snap.vpc_states, net, _build_vpc_state)


def _build_vpc_state(net) -> gs.VpcState:
    return gs.VpcState(operation=CREATE, id=net.id, vni=net.provider_segmentation_id,
                       revision=net.revision_number)


def _subnet_state(snap: Snapshot, s) -> gs.SubnetState:
    return _per_revision(snap.subnet_states, s, _build_subnet_state)


def _build_subnet_state(s) -> gs.SubnetState:
    gw = s.gateway_ip.string_value if s.gateway_ip.WhichOneof("kind") == "string_value" else ""
    return gs.SubnetState(operation=CREATE, id=s.id, vpc_id=s.network_id, cidr=s.cidr,
                          gateway_ip=gw, ip_version=s.ip_version, revision=s.revision_number)


class PortInfo(NamedTuple):
    state: gs.PortState
    network_id: str
    subnet_ids: tuple[str, ...]
    filtered_by: tuple[str, ...]  # its groups, when port security is on


def _port_info(snap: Snapshot, p: port_pb2.Port) -> PortInfo:
    return _per_revision(snap.port_states, p, _build_port_info)


def _build_port_info(p: port_pb2.Port) -> PortInfo:
    state = gs.PortState(
        operation=CREATE, id=p.id, vpc_id=p.network_id, mac_address=p.mac_address,
        fixed_ips=p.fixed_ips, namespace=namespace_of(p), admin_state_up=p.admin_state_up,
        security_group_ids=p.security_groups, revision=p.revision_number,
        port_security_enabled=p.port_security_enabled)
    return PortInfo(state, p.network_id, tuple(dict.fromkeys(f.subnet_id for f in p.fixed_ips)),
                    tuple(p.security_groups) if p.port_security_enabled else ())


def port_state(snap: Snapshot, p: port_pb2.Port) -> gs.PortState:
    return _port_info(snap, p).state


def _group_state(snap: Snapshot, g) -> tuple[gs.SecurityGroupState, tuple[str, ...]]:
    """The group's entry and the groups its rules name as remote."""
    return _per_revision(snap.group_cache, g, _build_group_state)


def _build_group_state(g) -> tuple[gs.SecurityGroupState, tuple[str, ...]]:
    state = gs.SecurityGroupState(operation=CREATE, id=g.id, revision=g.revision_number, rules=[
        gs.SecurityGroupRuleState(
            id=r.id, direction=r.direction, ethertype=r.ethertype, protocol=r.protocol,
            port_range_min=r.port_range_min if r.HasField("port_range_min") else 0,
            port_range_max=r.port_range_max if r.HasField("port_range_max") else 0,
            remote_ip_prefix=r.remote_ip_prefix, remote_group_id=r.remote_group_id)
        for r in g.security_group_rules])
    remotes = tuple(dict.fromkeys(r.remote_group_id for r in state.rules if r.remote_group_id))
    return state, remotes


def _members(snap: Snapshot, group_id: str) -> gs.SecurityGroupMembers:
    """The group's member addresses, one list per version of its membership
    shared by every host of the group (the default one holds nearly every
    port), with what changed since the version before, once for all hosts."""
    cached = snap.members_cache.get(group_id)
    if cached is not None:
        return cached
    index = snap.members_of(group_id)
    versions = snap.members_log.get(group_id)
    if versions is None:
        versions = snap.members_log[group_id] = deque(maxlen=MEMBER_VERSIONS)
    elif not index.changed():
        # Its ports changed but not their addresses (a port moved host, say):
        # the same list, so hosts holding it are sent nothing.
        snap.members_cache[group_id] = versions[-1].members
        return versions[-1].members
    # No revision: membership compares by content, so an unchanged set never
    # goes out again.
    m = gs.SecurityGroupMembers(operation=CREATE, group_id=group_id, ip_addresses=index.ordered)
    versions.append(MemberVersion(m, *index.take_changes()))
    snap.members_cache[group_id] = m
    return m


class MemberVersion(NamedTuple):
    members: gs.SecurityGroupMembers
    added: frozenset
    removed: frozenset


def member_changes(versions, old: gs.SecurityGroupMembers, new: gs.SecurityGroupMembers
                   ) -> tuple[set, set] | None:
    """(added, removed) from `old` to `new` through the versions between
    them, or None when they are not both among the versions kept."""
    listed = list(versions or ())
    at_new = next((i for i in range(len(listed) - 1, -1, -1) if listed[i].members is new), None)
    if at_new is None:
        return None
    at_old = next((i for i in range(at_new - 1, -1, -1) if listed[i].members is old), None)
    if at_old is None:
        return None
    added: set = set()
    removed: set = set()
    for v in listed[at_old + 1:at_new + 1]:
        added = (added - v.removed) | v.added
        removed = (removed - v.added) | v.removed
    return added, removed


def gateway_mac(router_id: str) -> str:
    """The MAC every host answers a router's gateway addresses with: the same
    on every host (routing is distributed), locally administered, unicast."""
    h = hashlib.sha1(router_id.encode()).digest()
    return "fa:16:3f:%02x:%02x:%02x" % (h[0], h[1], h[2])


def _router_state(snap: Snapshot, r) -> gs.RouterState:
    interfaces = []
    for sid in r.subnet_ids:
        s = snap.subnets.get(sid)
        if s is not None and s.gateway_ip.WhichOneof("kind") == "string_value":
            interfaces.append(gs.RouterInterface(subnet_id=sid, cidr=s.cidr,
                                                 gateway_ip=s.gateway_ip.string_value))
    return gs.RouterState(operation=CREATE, id=r.id, vpc_id=r.network_id, interfaces=interfaces,
                          gateway_mac=gateway_mac(r.id), revision=r.revision_number)


def full_message(host: str, st: HostState, revision: int) -> gs.HostGoalState:
    return gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_FULL, revision=revision,
                            vpcs=st.vpcs.values(), subnets=st.subnets.values(),
                            ports=st.ports.values(), neighbors=st.neighbors.values(),
                            security_groups=st.security_groups.values(),
                            security_group_members=st.security_group_members.values(),
                            routers=st.routers.values())


def _as(entry, op):
    m = type(entry)()
    m.CopyFrom(entry)
    m.operation = op
    return m


class TableDeltas:
    """Deltas between two versions of a VPC's neighbor table, computed once
    and shared by every host of the VPC (a round of pushes creates one)."""

    def __init__(self, member_versions: dict | None = None):
        self.member_versions = member_versions or {}
        # By identity: a round lets the event loop run between its slices,
        # so the objects it saw may be gone and their ids reused.
        self._tables, self._members, self._encoded = IdentityMemo(), IdentityMemo(), IdentityMemo()
        self._table_bytes = IdentityMemo()

    def members(self, old: gs.SecurityGroupMembers, new: gs.SecurityGroupMembers
                ) -> gs.SecurityGroupMembers | None:
        """The incremental UPDATE from one member list to the next (None when
        they hold the same addresses), computed once per round for every
        host of the group."""
        hit = self._members.get(old, new)
        if hit is not MISSING:
            return hit
        changes = member_changes(self.member_versions.get(new.group_id), old, new)
        if changes is None:  # too far behind: compare the lists
            before, after = set(old.ip_addresses), set(new.ip_addresses)
            changes = after - before, before - after
        added, removed = changes
        update = None
        if added or removed:
            update = gs.SecurityGroupMembers(
                operation=UPDATE, group_id=new.group_id, revision=new.revision, incremental=True,
                added_ip_addresses=sorted(added), removed_ip_addresses=sorted(removed))
        return self._members.put(update, old, new)

    def encoded(self, kind: str, entry) -> bytes:
        """The entry as a field of HostGoalState (tag, length, bytes), once
        per round for every host it goes to."""
        hit = self._encoded.get(entry)
        if hit is not MISSING:
            return hit  # an entry object is of one kind only
        data = entry.SerializeToString()
        return self._encoded.put(_FIELD_TAGS[kind] + _varint(len(data)) + data, entry)

    def table_bytes(self, old: list | None, new: list | None, host: str) -> bytes:
        """What changed in a VPC's table for `host`, encoded as neighbors
        fields: one string of bytes shared by every host of the VPC that no
        change lives on or is meant for alone (nearly all of them). A host
        that some changes live on gets that string without their span (they
        are next to each other: see between), and what is meant for it
        alone: in a bulk every host has ports of its own in each VPC it
        joins, and picking its entries one by one was a tenth of svc_dpm."""
        hit = self._table_bytes.get(old, new)
        if hit is MISSING:
            parts: list[bytes] = []
            spans: dict[str, tuple[int, int]] = {}  # host -> its entries' span in `shared`
            alone: dict[str, list[bytes]] = {}
            at = 0
            for skip, only, e in self.between(old, new):
                data = self.encoded("neighbors", e)
                if only:
                    alone.setdefault(only, []).append(data)
                    continue
                spans[skip] = (spans.get(skip, (at,))[0], at + len(data))
                parts.append(data)
                at += len(data)
            hit = self._table_bytes.put((b"".join(parts), spans, {
                h: b"".join(entries) for h, entries in alone.items()}), old, new)
        shared, spans, alone = hit
        span = spans.get(host)
        if span is None and host not in alone:
            return shared
        start, end = span or (0, 0)
        return shared[:start] + shared[end:] + alone.get(host, b"")

    def between(self, old: list | None, new: list | None) -> list[tuple[str, str, gs.NeighborState]]:
        """(skip_host, only_host, entry with its operation) for what changed:
        an entry goes to every host of the VPC but the one it lives on
        (skip_host), or, when only_host is set, to that host alone. Ordered
        by skip_host, the entries for one host alone last (no host gets two
        entries of one key, so the order means nothing to an agent)."""
        hit = self._tables.get(old, new)
        if hit is not MISSING:
            return hit
        before = {k: (h, e) for k, h, e in old or ()}
        out: list[tuple[str, str, gs.NeighborState]] = []
        alone: list[tuple[str, str, gs.NeighborState]] = []
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
                    alone.append(("", h, _as(prev[1], DELETE)))
        for k, (h, e) in before.items():
            if k not in seen:
                out.append((h, "", _as(e, DELETE)))
        out.sort(key=_skip_host)
        return self._tables.put(out + alone, old, new)


def delta_parts(host: str, old: HostState, new: HostState,
                deltas: TableDeltas | None = None) -> list[tuple[str, object]]:
    """(field of HostGoalState, entry) for what turns `old` into `new`; the
    entries are shared objects wherever the change is shared (a VPC's new
    neighbor, a group's member update), so they encode once per round."""
    deltas = deltas or TableDeltas()
    parts = _entry_parts(old, new, deltas)
    for t_old, t_new in _changed_tables(old, new):
        parts += [("neighbors", e) for skip, only, e in deltas.between(t_old, t_new)
                  if _goes_to(host, skip, only)]
    return parts


_skip_host = operator.itemgetter(0)


def _goes_to(host: str, skip: str, only: str) -> bool:
    """Whether a table change (TableDeltas.between) is for `host`."""
    return only == host if only else skip != host


def _entry_parts(old: HostState, new: HostState, deltas: TableDeltas) -> list[tuple[str, object]]:
    """delta_parts but the neighbors."""
    parts: list[tuple[str, object]] = []
    for kind in HostState.KINDS:
        before, after = getattr(old, kind), getattr(new, kind)
        members = kind == "security_group_members"
        for key, entry in after.items():
            prev = before.get(key)
            if prev is None:
                parts.append((kind, entry))
            elif members and prev is not entry:
                update = deltas.members(prev, entry)
                if update is not None:
                    parts.append((kind, update))
            elif prev is not entry and prev != entry:
                parts.append((kind, _as(entry, UPDATE)))
        for key, entry in before.items():
            if key not in after:
                parts.append((kind, _as(entry, DELETE)))
    return parts


def _changed_tables(old: HostState, new: HostState) -> list[tuple[list | None, list | None]]:
    """(old table, new table) of each VPC whose table changed (an unchanged
    table is the very same list: nothing to diff)."""
    out = []
    for vpc in set(old.tables) | set(new.tables):
        t_old, t_new = old.tables.get(vpc), new.tables.get(vpc)
        if t_old is not t_new:
            out.append((t_old, t_new))
    return out


def _header(host: str, base: int, revision: int) -> gs.HostGoalState:
    return gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_DELTA, revision=revision,
                            base_revision=base)


def delta_message(host: str, old: HostState, new: HostState, base: int, revision: int,
                  deltas: TableDeltas | None = None) -> gs.HostGoalState | None:
    """What turns `old` into `new`, or None when nothing changed."""
    parts = delta_parts(host, old, new, deltas)
    if not parts:
        return None
    out = _header(host, base, revision)
    for kind, entry in parts:
        getattr(out, kind).append(entry)
    return out


def delta_response(host: str, old: HostState, new: HostState, base: int, revision: int,
                   deltas: TableDeltas) -> bytes | None:
    """delta_message as an encoded StreamGoalStatesResponse, or None. Each
    entry is encoded once per round and its bytes shared by every host that
    gets it (protobuf's repeated fields are their entries' encodings one
    after another): a bulk create sends 1,000 hosts the same neighbors and
    member lists, and copying them into each host's message, then encoding
    each, was a third of svc_dpm's time."""
    parts = _entry_parts(old, new, deltas)
    # A message's fields may come in any order: the neighbors go last, each
    # VPC's as the bytes shared by the hosts of the VPC.
    neighbors = b"".join(deltas.table_bytes(t_old, t_new, host)
                         for t_old, t_new in _changed_tables(old, new))
    if not parts and not neighbors:
        return None
    body = b"".join((_header(host, base, revision).SerializeToString(),
                     *(deltas.encoded(kind, entry) for kind, entry in parts), neighbors))
    return _RESPONSE_GOAL_STATE + _varint(len(body)) + body


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _tag(field_number: int) -> bytes:  # a length-delimited field
    return _varint(field_number << 3 | 2)


_FIELD_TAGS = {kind: _tag(gs.HostGoalState.DESCRIPTOR.fields_by_name[kind].number)
               for kind in (*HostState.KINDS, "neighbors")}
_RESPONSE_GOAL_STATE = _tag(gs.StreamGoalStatesResponse.DESCRIPTOR.fields_by_name["goal_state"].number)

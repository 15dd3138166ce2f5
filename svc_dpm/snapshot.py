"""svc_dpm's view of the world: ports, networks, subnets and nodes as last
listed/watched from etcd, with the indexes goal-state compilation needs.
Pure data; rebuilt from etcd on every (re)start, so nothing here is needed
for correctness beyond being a cache of etcd."""
from __future__ import annotations

from dataclasses import dataclass, field

from alcor.v1 import goalstate_pb2, network_pb2, node_pb2, port_pb2, router_pb2, security_group_pb2, subnet_pb2
from runtime import keys
from runtime.store import KV
from runtime.watch import Change
from svc_dpm.members import GroupMembers

PORTS, NETWORKS, SUBNETS, NODES, GROUPS, ROUTERS = (
    keys.resources(f) for f in ("ports", "networks", "subnets", "nodes", "security_groups", "routers"))
PREFIXES = [PORTS, NETWORKS, SUBNETS, NODES, GROUPS, ROUTERS]


@dataclass
class Snapshot:
    revision: int = 0
    ports: dict[str, port_pb2.Port] = field(default_factory=dict)
    networks: dict[str, network_pb2.Network] = field(default_factory=dict)
    subnets: dict[str, subnet_pb2.Subnet] = field(default_factory=dict)
    nodes: dict[str, node_pb2.Node] = field(default_factory=dict)  # by name
    groups: dict[str, security_group_pb2.SecurityGroup] = field(default_factory=dict)
    routers: dict[str, router_pb2.Router] = field(default_factory=dict)
    ports_by_group: dict[str, set[str]] = field(default_factory=dict)
    ports_by_host: dict[str, set[str]] = field(default_factory=dict)
    ports_by_network: dict[str, set[str]] = field(default_factory=dict)
    # group / network -> {host: how many of its ports are bound there}: which
    # hosts a change concerns, without walking every port of a group or VPC
    # (the default group holds nearly every port: a walk per changed port made
    # applying a bulk create quadratic).
    hosts_by_group: dict[str, dict[str, int]] = field(default_factory=dict)
    hosts_by_network: dict[str, dict[str, int]] = field(default_factory=dict)
    # Per-VPC neighbor tables, shared by every host of the VPC (see goalstate),
    # and the entries of each port, reused across table rebuilds while the
    # port and its host are unchanged (so deltas compare by identity).
    neighbor_cache: dict[str, list] = field(default_factory=dict)
    # Per security group: its member addresses, kept as its ports change.
    members: dict[str, GroupMembers] = field(default_factory=dict)
    # Per security group: its current member list (see goalstate._members),
    # and its last lists with what changed in each (goalstate.MemberVersion).
    members_cache: dict[str, goalstate_pb2.SecurityGroupMembers] = field(default_factory=dict)
    members_log: dict[str, object] = field(default_factory=dict)
    # Per security group: (its revision, (its goal-state entry, the groups
    # its rules name as remote)), shared by every host with ports in it.
    group_cache: dict[str, tuple] = field(default_factory=dict)
    # Port id -> (port, network, host, node, routed subnets, its neighbor
    # entries): what goalstate._neighbor_table built them from, checked by
    # identity.
    port_entries: dict[str, tuple] = field(default_factory=dict)
    # Port id -> (revision, goalstate.PortInfo: its PortState and what a
    # compile reads off it): built once per revision of the port, so a host's
    # compile makes no new objects for unchanged ports and its delta compares
    # them by identity.
    port_states: dict[str, tuple] = field(default_factory=dict)
    # Network / subnet id -> (revision, its VpcState / SubnetState), alike.
    vpc_states: dict[str, tuple] = field(default_factory=dict)
    subnet_states: dict[str, tuple] = field(default_factory=dict)
    _node_ids: dict[str, str] = field(default_factory=dict)  # node id -> name

    @classmethod
    def from_kvs(cls, listed: dict[bytes, list[KV]], revision: int) -> "Snapshot":
        s = cls(revision=revision)
        for prefix, kvs in listed.items():
            for kv in kvs:
                s._put(prefix, kv.key, kv.value, kv.mod_revision)
        return s

    # --- changes -------------------------------------------------------------

    def apply(self, changes: list[Change], revision: int) -> tuple[set[str], set[str], list[str]]:
        """Applies watched changes. Returns (hosts, networks) whose goal state
        may differ now, and the ids of deleted ports."""
        hosts: set[str] = set()
        nets: set[str] = set()
        deleted_ports: list[str] = []
        # Groups whose member lists a port change may alter: the hosts with
        # ports in groups referencing them are looked up once, at the end.
        member_groups: set[str] = set()
        for c in changes:
            prefix = next(p for p in PREFIXES if c.key.startswith(p))
            rid = c.key[len(prefix):].decode()
            if prefix == PORTS:
                old = self.ports.get(rid)
                if old is not None:
                    hosts.add(old.binding_host_id)
                    nets.add(old.network_id)
            elif prefix == NETWORKS:
                nets.add(rid)
            elif prefix == SUBNETS:
                old = self.subnets.get(rid)
                if old is not None:
                    nets.add(old.network_id)
            elif prefix == NODES:
                name = self._node_ids.get(rid)
                if name:
                    hosts.add(name)
                nets.update(self.networks_of_host(name) if name else ())
            elif prefix == GROUPS:
                hosts |= self.hosts_of_groups({rid} | self.groups_referencing(rid))
            elif prefix == ROUTERS:
                old_r = self.routers.get(rid)
                if old_r is not None:
                    nets.add(old_r.network_id)
            if prefix == PORTS:
                old = self.ports.get(rid)
                if old is not None:
                    member_groups.update(old.security_groups)
            if c.value is None:
                self._delete(prefix, rid)
                if prefix == PORTS:
                    deleted_ports.append(rid)
                    self.port_entries.pop(rid, None)
                    self.port_states.pop(rid, None)
            else:
                new = self._put(prefix, c.key, c.value, c.mod_revision)
                if prefix == PORTS:
                    hosts.add(new.binding_host_id)
                    nets.add(new.network_id)
                    member_groups.update(new.security_groups)
                elif prefix == GROUPS:
                    hosts |= self.hosts_of_groups({rid})
                elif prefix == ROUTERS:
                    nets.add(new.network_id)
                elif prefix == SUBNETS:
                    nets.add(new.network_id)
                elif prefix == NODES:
                    hosts.add(new.name)
                    nets.update(self.networks_of_host(new.name))
        hosts |= self.hosts_of_groups(self.groups_referencing_any(member_groups))
        self.revision = max(self.revision, revision)
        for n in nets:
            self.neighbor_cache.pop(n, None)
        for g in member_groups:
            self.members_cache.pop(g, None)
        hosts.discard("")
        return hosts, nets, deleted_ports

    def _put(self, prefix: bytes, key: bytes, value: bytes, rev: int):
        rid = key[len(prefix):].decode()
        if prefix == PORTS:
            self._delete(PORTS, rid)
            p = port_pb2.Port.FromString(value)
            p.revision_number = rev
            self.ports[rid] = p
            host = p.binding_host_id
            if host:
                self.ports_by_host.setdefault(host, set()).add(rid)
                _count(self.hosts_by_network.setdefault(p.network_id, {}), host, 1)
            self.ports_by_network.setdefault(p.network_id, set()).add(rid)
            ips = [f.ip_address for f in p.fixed_ips] if p.security_groups else ()
            for g in p.security_groups:
                self.ports_by_group.setdefault(g, set()).add(rid)
                if host:
                    _count(self.hosts_by_group.setdefault(g, {}), host, 1)
                members = self.members_of(g)
                for ip in ips:
                    members.add(ip)
            return p
        if prefix == GROUPS:
            g = security_group_pb2.SecurityGroup.FromString(value)
            g.revision_number = rev
            self.groups[rid] = g
            return g
        if prefix == ROUTERS:
            r = router_pb2.Router.FromString(value)
            r.revision_number = rev
            self.routers[rid] = r
            return r
        if prefix == NETWORKS:
            n = network_pb2.Network.FromString(value)
            n.revision_number = rev
            self.networks[rid] = n
            return n
        if prefix == SUBNETS:
            s = subnet_pb2.Subnet.FromString(value)
            s.revision_number = rev
            self.subnets[rid] = s
            return s
        node = node_pb2.Node.FromString(value)
        node.revision_number = rev
        self._delete(NODES, rid)
        self.nodes[node.name] = node
        self._node_ids[rid] = node.name
        return node

    def _delete(self, prefix: bytes, rid: str) -> None:
        if prefix == PORTS:
            p = self.ports.pop(rid, None)
            if p is not None:
                host = p.binding_host_id
                self.ports_by_host.get(host, set()).discard(rid)
                self.ports_by_network.get(p.network_id, set()).discard(rid)
                if host:
                    _count(self.hosts_by_network.get(p.network_id, {}), host, -1)
                ips = [f.ip_address for f in p.fixed_ips] if p.security_groups else ()
                for g in p.security_groups:
                    self.ports_by_group.get(g, set()).discard(rid)
                    if host:
                        _count(self.hosts_by_group.get(g, {}), host, -1)
                    members = self.members.get(g)
                    if members is not None:
                        for ip in ips:
                            members.remove(ip)
        elif prefix == GROUPS:
            self.groups.pop(rid, None)
            # Its member history goes with it (a group in use cannot be
            # deleted; its addresses stay with the ports that still name it).
            self.members_log.pop(rid, None)
            self.members_cache.pop(rid, None)
            if rid in self.members and not self.members[rid]:  # no port names it
                del self.members[rid]
        elif prefix == ROUTERS:
            self.routers.pop(rid, None)
        elif prefix == NETWORKS:
            self.networks.pop(rid, None)
            self.vpc_states.pop(rid, None)
        elif prefix == SUBNETS:
            self.subnets.pop(rid, None)
            self.subnet_states.pop(rid, None)
        else:
            name = self._node_ids.pop(rid, None)
            if name is not None:
                self.nodes.pop(name, None)

    # --- queries -------------------------------------------------------------

    def members_of(self, group_id: str) -> GroupMembers:
        members = self.members.get(group_id)
        if members is None:
            members = self.members[group_id] = GroupMembers()
        return members

    def networks_of_host(self, host: str) -> set[str]:
        return {self.ports[p].network_id for p in self.ports_by_host.get(host, ())}

    def groups_referencing(self, group_id: str) -> set[str]:
        """Groups with a rule naming `group_id` as its remote group."""
        return {g.id for g in self.groups.values()
                if any(r.remote_group_id == group_id for r in g.security_group_rules)}

    def groups_referencing_any(self, group_ids) -> set[str]:
        out: set[str] = set()
        for gid in group_ids:
            out |= self.groups_referencing(gid)
        return out

    def hosts_of_groups(self, group_ids) -> set[str]:
        out: set[str] = set()
        for gid in group_ids:
            out.update(self.hosts_by_group.get(gid, ()))
        return out

    def routed_subnets(self, network_id: str) -> dict[str, str]:
        """subnet id -> router id, for the network's subnets on a router."""
        return {s: r.id for r in self.routers.values() if r.network_id == network_id
                for s in r.subnet_ids}

    def hosts_of_network(self, network_id: str) -> set[str]:
        return set(self.hosts_by_network.get(network_id, ()))


def _count(counts: dict[str, int], key: str, step: int) -> None:
    n = counts.get(key, 0) + step
    if n > 0:
        counts[key] = n
    else:
        counts.pop(key, None)

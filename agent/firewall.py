"""Security groups as nftables rulesets: pure rendering, no I/O.

Each port namespace gets one table, `inet alcor`, holding the filter of every
port in it. Its base chains hook input (ingress: traffic to the port) and
output (egress: traffic from it), accept what conntrack already allowed (so
replies to allowed traffic pass, in either direction), let neighbour
discovery through (IPv6 needs it as IPv4 needs ARP, which nft's inet family
never sees), and jump per interface to the port's own chains, which hold one
accept per rule of the port's groups and end in a drop. A remote-group rule
matches a named set of the group's member addresses.

Why the namespace and not the host bridge: stateful filtering on a bridge
needs bridge conntrack (CONFIG_NF_CONNTRACK_BRIDGE), which hosts do not all
have; a namespace's own conntrack is always there.

A connection a rule let in is marked in conntrack (INBOUND or OUTBOUND), so
when an update takes access away the agent can forget exactly the
connections that came in (or went out) under the old rules, and nothing
else: what is still allowed is picked up again as new on its next packet.

The whole table is replaced in one nft transaction (`table`, `delete table`,
`table {...}` in one batch), so a port is never seen half-filtered.
"""
from __future__ import annotations

import functools
from typing import Iterable, Mapping, NamedTuple

from agent import naming
from agent.model import GroupMembers, Port, Rule, SecurityGroup
from runtime.identity import MISSING, IdentityMemo

TABLE = "alcor"
INBOUND_MARK = 0x1
OUTBOUND_MARK = 0x2

# Neighbour discovery both ways, and router advertisements in.
_ND_IN = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, nd-redirect"
_ND_OUT = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit"


class PortFilter(NamedTuple):
    """One port's part of its namespace's table. (Tuples, not dataclasses:
    a FULL state of 10,000 ports makes 10,000 of each, and a frozen
    dataclass costs several times a tuple to build.)"""

    port_id: str
    interface: str  # the port's veth end inside the namespace
    enforced: bool  # False: port security is off, everything passes
    ingress: tuple[str, ...] = ()  # rendered rule statements
    egress: tuple[str, ...] = ()
    # (group id, IPv6?) of every remote group the statements match on.
    remote_groups: frozenset[tuple[str, bool]] = frozenset()


class NamespaceFilter(NamedTuple):
    """What a namespace's `inet alcor` table must hold."""

    namespace: str
    ports: tuple[PortFilter, ...]
    # set name -> (IPv6?, member addresses)
    sets: tuple[tuple[str, bool, frozenset[str]], ...]

    @property
    def rule_count(self) -> int:
        return sum(len(p.ingress) + len(p.egress) for p in self.ports)

    def ruleset(self) -> str:
        return render(self)


def set_name(group_id: str, ipv6: bool) -> str:
    return f"m_{naming.short_hash(group_id, 12)}_{6 if ipv6 else 4}"


def _chain(port_id: str, ingress: bool) -> str:
    return f"{'in' if ingress else 'out'}_{naming.short_hash(port_id, 12)}"


@functools.lru_cache(maxsize=1 << 16)
def rule_statement(rule: Rule) -> str:
    """One rule as an nft statement that accepts what it allows."""
    family = "ip6" if rule.ipv6 else "ip"
    parts = [f"meta nfproto {'ipv6' if rule.ipv6 else 'ipv4'}"]
    peer = "saddr" if rule.ingress else "daddr"
    if rule.remote_ip_prefix:
        parts.append(f"{family} {peer} {rule.remote_ip_prefix}")
    if rule.remote_group_id:
        parts.append(f"{family} {peer} @{set_name(rule.remote_group_id, rule.ipv6)}")
    proto = rule.protocol
    if proto in ("icmp", "icmpv6"):
        # Neutron: port_range_min is the ICMP type, port_range_max its code.
        parts.append(f"meta l4proto {'ipv6-icmp' if proto == 'icmpv6' else 'icmp'}")
        if rule.port_min:
            parts.append(f"{proto} type {rule.port_min}")
            if rule.port_max:
                parts.append(f"{proto} code {rule.port_max}")
    elif proto:
        parts.append(f"meta l4proto {proto}")
        if rule.port_min and proto in ("tcp", "udp", "sctp", "dccp", "udplite"):
            top = max(rule.port_max, rule.port_min)
            span = str(rule.port_min) if top == rule.port_min else f"{rule.port_min}-{top}"
            parts.append(f"th dport {span}")
    mark = INBOUND_MARK if rule.ingress else OUTBOUND_MARK
    parts.append(f"ct mark set {mark:#x} accept")
    return " ".join(parts)


def port_filter(port: Port, interface: str, groups: Mapping[str, SecurityGroup]) -> PortFilter:
    if not port.port_security:
        return PortFilter(port.id, interface, False)
    # Not delivered (yet): a group allows nothing.
    parts = [_statements_of(groups[g]) for g in port.security_group_ids if g in groups]
    if len(parts) == 1:
        ingress, egress, remote = parts[0]
    else:
        ingress = tuple(dict.fromkeys(s for p in parts for s in p[0]))
        egress = tuple(dict.fromkeys(s for p in parts for s in p[1]))
        remote = frozenset().union(*(p[2] for p in parts))
    return PortFilter(port.id, interface, True, ingress, egress, remote)


# Group object -> its statements, by identity: every port of a group (10,000
# on a host, say) asks for the same object's, and the lru_cache below hashes
# and compares a group's every rule on each call.
_BY_IDENTITY = IdentityMemo(bound=1 << 12)


def _statements_of(group: SecurityGroup) -> tuple:
    hit = _BY_IDENTITY.get(group)
    return hit if hit is not MISSING else _BY_IDENTITY.put(_group_statements(group), group)


@functools.lru_cache(maxsize=1 << 12)
def _group_statements(group: SecurityGroup) -> tuple[tuple[str, ...], tuple[str, ...],
                                                     frozenset[tuple[str, bool]]]:
    """(ingress statements, egress statements, remote groups) of a group:
    rendered once, shared by every port in the group."""
    ingress = tuple(dict.fromkeys(rule_statement(r) for r in group.rules if r.ingress))
    egress = tuple(dict.fromkeys(rule_statement(r) for r in group.rules if not r.ingress))
    remote = frozenset((r.remote_group_id, r.ipv6) for r in group.rules if r.remote_group_id)
    return ingress, egress, remote


def namespace_filter(namespace: str, ports: Iterable[PortFilter],
                     members: Mapping[str, GroupMembers]) -> NamespaceFilter:
    ports = tuple(ports)
    if len(ports) == 1:  # the usual namespace: one VM or pod, one port
        remote = ports[0].remote_groups
    else:
        ports = tuple(sorted(ports, key=lambda p: p.interface))
        remote = frozenset().union(*(pf.remote_groups for pf in ports))
    sets = []
    for gid, ipv6 in (sorted(remote) if len(remote) > 1 else remote):
        m = members.get(gid)
        ips = (m.ipv6 if ipv6 else m.ipv4) if m else frozenset()
        sets.append((set_name(gid, ipv6), ipv6, ips))
    return NamespaceFilter(namespace, ports, tuple(sets))


def render(nf: NamespaceFilter) -> str:
    lines = [f"table inet {TABLE}", f"delete table inet {TABLE}", f"table inet {TABLE} {{"]
    for name, ipv6, ips in nf.sets:
        elements = f" elements = {{ {', '.join(sorted(ips))} }};" if ips else ""
        lines.append(f"  set {name} {{ type {'ipv6_addr' if ipv6 else 'ipv4_addr'};{elements} }}")
    for ingress in (True, False):
        hook, dev = ("input", "iifname") if ingress else ("output", "oifname")
        # Policy accept: interfaces that are not ports of ours (a container's
        # own) are none of our business; each port's chain ends in a drop.
        lines += [f"  chain {'ingress' if ingress else 'egress'} {{",
                  f"    type filter hook {hook} priority filter; policy accept;",
                  "    ct state established,related accept",
                  f"    icmpv6 type {{ {_ND_IN if ingress else _ND_OUT} }} accept"]
        lines += [f"    {dev} \"{pf.interface}\" jump {_chain(pf.port_id, ingress)}"
                  for pf in nf.ports if pf.enforced]
        lines.append("  }")
    for pf in nf.ports:
        if not pf.enforced:
            continue
        for ingress, rules in ((True, pf.ingress), (False, pf.egress)):
            lines.append(f"  chain {_chain(pf.port_id, ingress)} {{")
            lines.append("    ct state invalid drop")
            lines += [f"    {r}" for r in rules]
            lines.append("    drop")
            lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def lost_access(old: NamespaceFilter | None, new: NamespaceFilter | None) -> tuple[bool, bool]:
    """(inbound, outbound): whether going from `old` to `new` takes away
    anything that `old` allowed in that direction, so that connections it let
    through must be forgotten. Adding rules or members takes nothing away."""
    if old is None:
        return False, False
    if new is None:
        return False, False  # the table goes with the last port: nothing to protect
    new_ports = {p.port_id: p for p in new.ports}
    inbound = outbound = False
    for p in old.ports:
        q = new_ports.get(p.port_id)
        if q is None:
            continue
        if q.enforced and not p.enforced:
            inbound = outbound = True
            continue
        inbound |= not set(p.ingress) <= set(q.ingress)
        outbound |= not set(p.egress) <= set(q.egress)
    new_sets = {name: ips for name, _, ips in new.sets}
    for name, _, ips in old.sets:
        if not ips <= new_sets.get(name, frozenset()):
            # A member set serves rules of either direction.
            inbound = outbound = True
    return inbound, outbound

"""The agent's desired state for its host, built from HostGoalState messages.

Pure: no I/O, no clock. `apply_goal_state` takes the state the agent holds and
one message and returns the next state:

- a FULL message replaces everything;
- a DELTA applies its entries one by one (CREATE, UPDATE and an unset
  operation upsert by id, DELETE removes, INFO changes nothing), and only on
  top of the revision it names: a DELTA whose base_revision is not the
  revision the agent last applied raises OutOfOrder, and the agent resyncs.

Entries are validated once, when they enter the state. One that cannot be
programmed (a malformed MAC, an address that does not parse, a VNI out of
range) is kept aside in `rejected` with the reason, so every later report
can answer INVALID_ARG for it; references between entries (a port's VPC or
subnet) are checked when the plan is compiled (agent.plan), because a DELTA
may bring them in any order.
"""
from __future__ import annotations

import enum
import functools
import ipaddress
import operator
import weakref
import re
import socket
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Mapping, NamedTuple

from agent import naming
from alcor.v1 import goalstate_pb2 as gs_pb2

MAX_VNI = (1 << 24) - 1


class Kind(enum.IntEnum):
    """What a status is about; values are alcor.v1.ResourceType's."""

    VPC = gs_pb2.RESOURCE_TYPE_VPC
    SUBNET = gs_pb2.RESOURCE_TYPE_SUBNET
    PORT = gs_pb2.RESOURCE_TYPE_PORT
    NEIGHBOR = gs_pb2.RESOURCE_TYPE_NEIGHBOR
    SECURITY_GROUP = gs_pb2.RESOURCE_TYPE_SECURITY_GROUP
    ROUTER = gs_pb2.RESOURCE_TYPE_ROUTER


class NeighborType(enum.IntEnum):
    L2 = gs_pb2.NEIGHBOR_TYPE_L2
    L3 = gs_pb2.NEIGHBOR_TYPE_L3


class Vpc(NamedTuple):
    id: str
    vni: int
    revision: int = 0


class Subnet(NamedTuple):
    id: str
    vpc_id: str
    cidr: str  # normalized network, e.g. "10.0.0.0/24"
    prefixlen: int
    gateway_ip: str  # "" when the subnet has no gateway
    family: int  # socket.AF_INET or AF_INET6
    revision: int = 0


class FixedIp(NamedTuple):
    subnet_id: str
    ip: str


class Port(NamedTuple):
    id: str
    vpc_id: str
    mac: str  # lower case, colon separated
    fixed_ips: tuple[FixedIp, ...]
    namespace: str
    admin_state_up: bool = True
    revision: int = 0
    # Neutron's port_security_enabled: False means no filtering at all.
    port_security: bool = False
    security_group_ids: tuple[str, ...] = ()


class Neighbor(NamedTuple):
    port_id: str
    vpc_id: str
    subnet_id: str
    ip: str
    mac: str
    host_ip: str  # the underlay address of the neighbor's host (its VTEP)
    vni: int
    type: NeighborType = NeighborType.L2
    revision: int = 0


class Rule(NamedTuple):
    """A security group rule, normalized: protocol is "" (any), a name nft
    knows (tcp, udp, sctp, icmp, icmpv6...) or a number; the prefix is a
    canonical network, "" when the rule names none."""

    id: str
    ingress: bool
    ipv6: bool
    protocol: str = ""
    port_min: int = 0
    port_max: int = 0
    remote_ip_prefix: str = ""
    remote_group_id: str = ""


class SecurityGroup(NamedTuple):
    id: str
    rules: tuple[Rule, ...]
    revision: int = 0


class GroupMembers(NamedTuple):
    """Every address of the ports in a group some local rule refers to, split
    by family once, so every namespace's filter shares the same sets."""

    group_id: str
    ipv4: frozenset[str]
    ipv6: frozenset[str]
    revision: int = 0

    @classmethod
    def of(cls, group_id: str, ips, revision: int = 0) -> "GroupMembers":
        ips = frozenset(ips)
        v6 = frozenset(ip for ip in ips if ":" in ip)
        return cls(group_id, ips - v6 if v6 else ips, v6, revision)

    def changed(self, added, removed, revision: int = 0) -> "GroupMembers":
        """These members with `added` and without `removed`."""
        add, gone = GroupMembers.of(self.group_id, added), GroupMembers.of(self.group_id, removed)
        return GroupMembers(self.group_id, _changed(self.ipv4, add.ipv4, gone.ipv4),
                            _changed(self.ipv6, add.ipv6, gone.ipv6), revision or self.revision)


def _changed(held: frozenset, add: frozenset, gone: frozenset) -> frozenset:
    # One copy of the set held, not two: nearly every update only adds (a
    # default group's list of thousands, on every host of the group).
    if not gone:
        return held | add if add else held
    return (held - gone) | add if add else held - gone


class RouterInterface(NamedTuple):
    subnet_id: str
    cidr: str  # normalized network
    prefixlen: int
    gateway_ip: str


class Router(NamedTuple):
    id: str
    vpc_id: str
    interfaces: tuple[RouterInterface, ...]
    gateway_mac: str
    revision: int = 0


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry the agent will not program, and why."""

    kind: Kind
    id: str
    reason: str
    revision: int = 0


@dataclass(frozen=True, eq=False)
class HostState:
    """Everything one host should have, at `revision`. Treat as immutable:
    apply_goal_state returns a new one (and with `consume`, the one it was
    given is not to be read again)."""

    revision: int = 0
    vpcs: Mapping[str, Vpc] = field(default_factory=dict)
    subnets: Mapping[str, Subnet] = field(default_factory=dict)
    ports: Mapping[str, Port] = field(default_factory=dict)
    # Keyed by (port_id, ip): a neighbor port with two addresses is two entries.
    neighbors: Mapping[tuple[str, str], Neighbor] = field(default_factory=dict)
    security_groups: Mapping[str, SecurityGroup] = field(default_factory=dict)
    security_group_members: Mapping[str, GroupMembers] = field(default_factory=dict)
    routers: Mapping[str, Router] = field(default_factory=dict)
    # Keyed by (kind, the key the entry would have had).
    rejected: Mapping[tuple[Kind, Hashable], Rejected] = field(default_factory=dict)
    # For a state made by a DELTA: the state it was applied to and the
    # neighbor keys it touched, each with the entry it had before (None:
    # none), so a plan can be updated rather than recompiled. Sections the
    # DELTA did not touch are the base's very dict objects (never mutated),
    # so "unchanged" is an identity check.
    # (A weak reference: a chain of states must not keep every old one.)
    base: "weakref.ref | None" = None
    touched_neighbors: Mapping[tuple[str, str], "Neighbor | None"] = field(default_factory=dict)

    def based_on(self, other: "HostState") -> bool:
        return self.base is not None and self.base() is other


EMPTY = HostState()


class OutOfOrder(Exception):
    """A DELTA that does not apply on top of what the agent holds."""

    def __init__(self, applied: int, base: int, why: str = ""):
        super().__init__(why or f"delta is based on revision {base}, the agent applied {applied}")
        self.applied = applied
        self.base = base


class InvalidGoalState(Exception):
    """A message the agent cannot interpret at all (no update type)."""


class _Invalid(ValueError):
    pass


# --- field validation --------------------------------------------------------

_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")


def _mac(raw: str) -> str:
    mac = raw.strip().lower().replace("-", ":")
    if not _MAC.fullmatch(mac):
        raise _Invalid(f"malformed MAC address {raw!r}")
    if int(mac[:2], 16) & 1:
        raise _Invalid(f"MAC address {raw!r} is multicast")
    if mac == "00:00:00:00:00:00":
        raise _Invalid("MAC address is all zeros")
    return mac


def _ip(raw: str, what: str = "IP address") -> tuple[int, str]:
    """(family, canonical text), the text as the kernel reports it back.
    inet_pton is ~10x cheaper than ipaddress, and for IPv4 it accepts only
    the canonical dotted quad (no leading zeros), so no round trip is needed."""
    try:
        socket.inet_pton(socket.AF_INET, raw)
        return socket.AF_INET, raw
    except (OSError, ValueError):
        pass
    try:
        return socket.AF_INET6, socket.inet_ntop(socket.AF_INET6,
                                                 socket.inet_pton(socket.AF_INET6, raw))
    except (OSError, ValueError):
        raise _Invalid(f"malformed {what} {raw!r}") from None


def _required(value: str, what: str) -> str:
    if not value:
        raise _Invalid(f"{what} is empty")
    return value


def _vni(vni: int) -> int:
    if not 0 < vni <= MAX_VNI:
        raise _Invalid(f"VNI {vni} is out of range 1..{MAX_VNI}")
    return vni


def _namespace(name: str, port_id: str) -> str:
    if not name:
        return naming.default_namespace(port_id)
    if len(name) > 255 or "/" in name or "\0" in name or name in (".", ".."):
        raise _Invalid(f"namespace {name!r} is not a valid file name")
    return name


def vpc_from(m: gs_pb2.VpcState) -> Vpc:
    return Vpc(_required(m.id, "VPC id"), _vni(m.vni), m.revision)


def subnet_from(m: gs_pb2.SubnetState) -> Subnet:
    _required(m.id, "subnet id")
    try:
        net = ipaddress.ip_network(m.cidr, strict=False)
    except ValueError:
        raise _Invalid(f"malformed CIDR {m.cidr!r}") from None
    family = socket.AF_INET if net.version == 4 else socket.AF_INET6
    gateway = ""
    if m.gateway_ip:
        gw_family, gateway = _ip(m.gateway_ip, "gateway IP")
        if gw_family != family or ipaddress.ip_address(gateway) not in net:
            raise _Invalid(f"gateway {m.gateway_ip} is outside {net}")
    return Subnet(m.id, m.vpc_id, str(net), net.prefixlen, gateway, family, m.revision)


def port_from(m: gs_pb2.PortState) -> Port:
    _required(m.id, "port id")
    _required(m.vpc_id, "port vpc_id")
    ips = tuple(FixedIp(f.subnet_id, _ip(f.ip_address)[1]) for f in m.fixed_ips)
    return Port(m.id, m.vpc_id, _mac(m.mac_address), ips, _namespace(m.namespace, m.id),
                m.admin_state_up, m.revision, m.port_security_enabled,
                tuple(dict.fromkeys(m.security_group_ids)))


def neighbor_from(m: gs_pb2.NeighborState) -> Neighbor:
    return keyed_neighbor_from(m)[1]


def keyed_neighbor_from(m: gs_pb2.NeighborState) -> tuple[tuple[str, str], Neighbor]:
    """The entry with its key in the state, (port_id, ip)."""
    # The hot path of every DELTA and FULL state: read each field once.
    return _neighbor(m.port_id, m.vpc_id, m.subnet_id, m.ip_address, m.mac_address, m.host_ip,
                     m.vni, m.type, m.revision)


@functools.lru_cache(maxsize=1 << 16)
def _neighbor(port_id: str, vpc_id: str, subnet_id: str, ip: str, mac: str, host_ip: str,
              vni: int, type_: int, revision: int) -> tuple[tuple[str, str], Neighbor]:
    """Validated once per distinct entry: the same entry reaches an agent
    again on every FULL state, and every agent of a process shares it, key
    tuple included (a key per agent per neighbor was most of what the
    cyclic collector walked in a process of 500 simulated hosts)."""
    _required(port_id, "neighbor port_id")
    _required(vpc_id, "neighbor vpc_id")
    kind = NeighborType.L3 if type_ == gs_pb2.NEIGHBOR_TYPE_L3 else NeighborType.L2
    n = Neighbor(port_id, vpc_id, subnet_id, _ip(ip)[1], _mac(mac), _ip(host_ip, "host IP")[1],
                 _vni(vni), kind, revision)
    return (n.port_id, n.ip), n


# Protocol names Neutron accepts, as nft spells them; numbers pass through.
_PROTOCOLS = {"": "", "any": "", "tcp": "tcp", "udp": "udp", "sctp": "sctp", "icmp": "icmp",
              "icmpv6": "icmpv6", "ipv6-icmp": "icmpv6", "dccp": "dccp", "gre": "gre",
              "esp": "esp", "ah": "ah", "udplite": "udplite", "6": "tcp", "17": "udp",
              "132": "sctp", "1": "icmp", "58": "icmpv6", "0": ""}


def _rule(m: gs_pb2.SecurityGroupRuleState) -> Rule:
    direction, ethertype = m.direction.lower(), m.ethertype.lower()
    if direction not in ("ingress", "egress"):
        raise _Invalid(f"rule {m.id}: direction {m.direction!r} is not ingress or egress")
    if ethertype not in ("ipv4", "ipv6"):
        raise _Invalid(f"rule {m.id}: ethertype {m.ethertype!r} is not IPv4 or IPv6")
    ipv6 = ethertype == "ipv6"
    raw = m.protocol.lower()
    protocol = _PROTOCOLS.get(raw)
    if protocol is None:
        if not raw.isdigit() or int(raw) > 255:
            raise _Invalid(f"rule {m.id}: unknown protocol {m.protocol!r}")
        protocol = raw
    if protocol in ("icmp", "icmpv6"):
        protocol = "icmpv6" if ipv6 else "icmp"  # Neutron's "icmp" on IPv6 means ICMPv6
        if not (0 <= m.port_range_min <= 255 and 0 <= m.port_range_max <= 255):
            raise _Invalid(f"rule {m.id}: ICMP type/code out of range")
    elif (not (0 <= m.port_range_min <= 65535 and 0 <= m.port_range_max <= 65535)
          or (m.port_range_max and m.port_range_min > m.port_range_max)):
        # 0 is "unset"; a minimum alone is a single port.
        raise _Invalid(f"rule {m.id}: port range {m.port_range_min}-{m.port_range_max}")
    prefix = ""
    if m.remote_ip_prefix:
        try:
            net = ipaddress.ip_network(m.remote_ip_prefix, strict=False)
        except ValueError:
            raise _Invalid(f"rule {m.id}: malformed remote_ip_prefix {m.remote_ip_prefix!r}") from None
        if (net.version == 6) != ipv6:
            raise _Invalid(f"rule {m.id}: remote_ip_prefix {net} is not {m.ethertype}")
        prefix = "" if net.prefixlen == 0 else str(net)
    return Rule(m.id, direction == "ingress", ipv6, protocol, m.port_range_min, m.port_range_max,
                prefix, m.remote_group_id)


def security_group_from(m: gs_pb2.SecurityGroupState) -> SecurityGroup:
    _required(m.id, "security group id")
    return SecurityGroup(m.id, tuple(_rule(r) for r in m.rules), m.revision)


def members_from(m: gs_pb2.SecurityGroupMembers) -> GroupMembers:
    # The addresses are not parsed one by one: a default group holds every
    # port of a project, and every host gets the list whenever it changes.
    # nft refuses a malformed one, and the port's filter reports why.
    _required(m.group_id, "security group members' group_id")
    return GroupMembers.of(m.group_id, m.ip_addresses, m.revision)


def router_from(m: gs_pb2.RouterState) -> Router:
    _required(m.id, "router id")
    _required(m.vpc_id, "router vpc_id")
    interfaces = []
    for i in m.interfaces:
        try:
            net = ipaddress.ip_network(i.cidr, strict=False)
        except ValueError:
            raise _Invalid(f"interface {i.subnet_id}: malformed CIDR {i.cidr!r}") from None
        family, gateway = _ip(i.gateway_ip, "gateway IP")
        if ipaddress.ip_address(gateway) not in net:
            raise _Invalid(f"interface {i.subnet_id}: gateway {gateway} is outside {net}")
        interfaces.append(RouterInterface(i.subnet_id, str(net), net.prefixlen, gateway))
    return Router(m.id, m.vpc_id, tuple(interfaces), _mac(m.gateway_mac), m.revision)


# --- applying a message ------------------------------------------------------


def _neighbor_key(m: gs_pb2.NeighborState) -> tuple[str, str]:
    # The same normalization the entry gets, so a DELETE finds what a CREATE
    # stored even when the controller spells the address differently.
    try:
        return (m.port_id, _ip(m.ip_address)[1])
    except _Invalid:
        return (m.port_id, m.ip_address)


class _Section:
    """One entry family of a message: how to convert, key and report it."""

    def __init__(self, kind: Kind, field_name: str, convert, entry_key, message_key, report_id,
                 keyed_convert=None):
        self.kind = kind
        self.field = field_name
        self.convert = convert
        self.entry_key = entry_key  # entry -> key in the state
        self.keyed_convert = keyed_convert  # message -> (key, entry), where it is cheaper
        self.message_key = message_key  # message -> the same key, without converting
        self.report_id = report_id  # message -> id in a ResourceStatus


_by_id = operator.attrgetter("id")
_SECTIONS = (
    _Section(Kind.VPC, "vpcs", vpc_from, _by_id, _by_id, _by_id),
    _Section(Kind.SUBNET, "subnets", subnet_from, _by_id, _by_id, _by_id),
    _Section(Kind.PORT, "ports", port_from, _by_id, _by_id, _by_id),
    _Section(Kind.NEIGHBOR, "neighbors", neighbor_from, operator.itemgetter(0, 3),
             _neighbor_key, operator.attrgetter("port_id"), keyed_neighbor_from),
    _Section(Kind.SECURITY_GROUP, "security_groups", security_group_from, _by_id, _by_id,
             _by_id),
    # Members report as their group: they are part of what enforcing it takes.
    _Section(Kind.SECURITY_GROUP, "security_group_members", members_from,
             operator.attrgetter("group_id"), operator.attrgetter("group_id"),
             operator.attrgetter("group_id")),
    _Section(Kind.ROUTER, "routers", router_from, _by_id, _by_id, _by_id),
)


# Neighbors last: see apply_goal_state. (Reports keep _SECTIONS' order.)
_APPLY_ORDER = tuple(s for s in _SECTIONS if s.kind is not Kind.NEIGHBOR) + tuple(
    s for s in _SECTIONS if s.kind is Kind.NEIGHBOR)


def _apply_section(section: _Section, messages, entries: dict, rejected: dict, full: bool,
                   touched: dict | None = None):
    """Applies one section's entries; `touched` collects the keys changed,
    each with the entry it had before."""
    kind, convert, entry_key = section.kind, section.convert, section.entry_key
    keyed = section.keyed_convert
    for m in messages:
        op = m.operation
        if op == gs_pb2.OPERATION_DELETE:
            if not full:
                _delete(section, m, entries, rejected, touched)
            continue
        if op == gs_pb2.OPERATION_INFO:
            continue
        if section.field == "security_group_members" and op == gs_pb2.OPERATION_UPDATE \
                and m.incremental:
            # A change to the member list held: without one, the controller
            # and this host disagree, and only a FULL state settles it.
            held = entries.get(m.group_id)
            if held is None:
                raise OutOfOrder(-1, -1, f"an update of group {m.group_id}'s members, "
                                 "which this host does not hold")
            entries[m.group_id] = held.changed(m.added_ip_addresses, m.removed_ip_addresses,
                                               m.revision)
            continue
        try:
            if keyed is not None:
                key, entry = keyed(m)
            else:
                entry = convert(m)
                key = entry_key(entry)
        except _Invalid as e:
            key = section.message_key(m)
            if touched is not None and key not in touched:
                touched[key] = entries.get(key)
            entries.pop(key, None)
            rejected[(kind, key)] = Rejected(kind, section.report_id(m), str(e), m.revision)
            continue
        if touched is not None and key not in touched:
            touched[key] = entries.get(key)
        entries[key] = entry
        if rejected:
            rejected.pop((kind, key), None)


def _delete(section: _Section, m, entries: dict, rejected: dict, touched: dict | None) -> None:
    if section.kind is Kind.NEIGHBOR and not m.ip_address:
        # A neighbor DELETE without an address removes every address of the port.
        for key in [k for k in entries if k[0] == m.port_id]:
            if touched is not None and key not in touched:
                touched[key] = entries[key]
            del entries[key]
        for key in [k for k in rejected if k[0] is Kind.NEIGHBOR and k[1][0] == m.port_id]:
            del rejected[key]
        return
    key = section.message_key(m)
    if touched is not None and key not in touched:
        touched[key] = entries.get(key)
    entries.pop(key, None)
    rejected.pop((section.kind, key), None)


def apply_goal_state(state: HostState, msg: gs_pb2.HostGoalState,
                     consume: bool = False) -> HostState:
    """The state after `msg`. Raises OutOfOrder for a DELTA that does not
    apply on top of `state`, InvalidGoalState for a message with no type.
    With `consume`, `state` is not used again (the agent replaces it): a
    DELTA changes its neighbors in place, not a copy of all of them."""
    if msg.update_type == gs_pb2.UPDATE_TYPE_FULL:
        full = True
    elif msg.update_type == gs_pb2.UPDATE_TYPE_DELTA:
        full = False
        if msg.base_revision != state.revision:
            raise OutOfOrder(state.revision, msg.base_revision)
    else:
        raise InvalidGoalState("goal state has no update_type (FULL or DELTA)")

    rejected: dict = {} if full else dict(state.rejected)
    before = len(rejected)
    result: dict[str, dict] = {}
    touched: dict = {}
    for section in _APPLY_ORDER:
        messages = getattr(msg, section.field)
        if not full and not messages:
            result[section.field] = getattr(state, section.field)  # shared, unchanged
            continue
        neighbors = section.kind is Kind.NEIGHBOR
        if full:
            entries: dict = {}
        elif neighbors and consume:
            # 2,000 neighbors copied (and the old copy freed) for a DELTA
            # of 80 was a tenth of an agent's work. The section goes last,
            # so an OutOfOrder raised by another one leaves `state` whole.
            entries = state.neighbors  # type: ignore[assignment]
        else:
            entries = dict(getattr(state, section.field))
        _apply_section(section, messages, entries, rejected, full,
                       touched if neighbors and not full else None)
        result[section.field] = entries
    if not full and not rejected and not before:
        rejected = state.rejected
    if full:
        return HostState(revision=msg.revision, rejected=rejected, **result)
    return HostState(revision=msg.revision, rejected=rejected, base=weakref.ref(state),
                     touched_neighbors=touched, **result)


def entry_ids(msg: gs_pb2.HostGoalState) -> Iterable[tuple[Kind, str, int]]:
    """(kind, id, revision) of every entry a message carries, for answering
    it without applying it (OUT_OF_ORDER, INVALID_ARG)."""
    for section in _SECTIONS:
        for m in getattr(msg, section.field):
            yield section.kind, section.report_id(m), m.revision

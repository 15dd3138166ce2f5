"""Pure security-group logic: Neutron's defaults (every project's "default"
group: egress anywhere, ingress only from members of the same group) and the
validation and normalisation of rules."""
from __future__ import annotations

import ipaddress
import uuid

from alcor.v1 import security_group_pb2 as sg
from runtime import context
from runtime.errors import Conflict, InvalidInput, NotFound
from runtime.resources import now

UPDATABLE = {"name", "description", "tags", "stateful"}
# The protocol names accepted (those the agents' firewalls know; Neutron's
# other names are refused, their numbers work).
PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "ipv6-icmp": 58, "sctp": 132,
             "dccp": 33, "udplite": 136, "gre": 47, "esp": 50, "ah": 51}
PORTED = {"tcp", "udp", "sctp", "dccp", "udplite", "6", "17", "132", "33", "136"}
ICMP = {"icmp", "icmpv6", "ipv6-icmp", "1", "58"}
# Neutron's optional attributes of a rule: unset (null) when empty.
NULLABLE = ("protocol", "remote_ip_prefix", "remote_group_id")
ANYWHERE = {"0.0.0.0/0", "::/0"}


def not_found(group_id: str) -> NotFound:
    return NotFound(f"Security group {group_id} does not exist", reason="SecurityGroupNotFound")


def rule_not_found(rule_id: str) -> NotFound:
    return NotFound(f"Security group rule {rule_id} does not exist", reason="SecurityGroupRuleNotFound")


def visible(g: sg.SecurityGroup) -> bool:
    return context.visible(g.project_id)


def _rule(group: sg.SecurityGroup, direction: str, ethertype: str, remote_group: str = "") -> sg.SecurityGroupRule:
    ts = now()
    r = sg.SecurityGroupRule(id=str(uuid.uuid4()), security_group_id=group.id, direction=direction,
                             ethertype=ethertype, project_id=group.project_id,
                             tenant_id=group.project_id, created_at=ts, updated_at=ts)
    if remote_group:
        r.remote_group_id = remote_group
    return r


def new_group(req: sg.SecurityGroup, project: str) -> sg.SecurityGroup:
    if req.id:
        raise InvalidInput("Attribute 'id' is read-only.", reason="BadRequest")
    if req.security_group_rules:
        raise InvalidInput("Create rules with /v2.0/security-group-rules.", reason="BadRequest")
    if req.name == "default" and not context.current().is_admin:
        raise Conflict("Default security group already exists.", reason="SecurityGroupDefaultAlreadyExists")
    g = sg.SecurityGroup()
    g.CopyFrom(req)
    g.id = str(uuid.uuid4())
    g.project_id = g.tenant_id = project
    if not g.HasField("stateful"):
        g.stateful = True
    g.created_at = g.updated_at = now()
    # Neutron's defaults for a new group: everything out, nothing in.
    g.security_group_rules.extend([_rule(g, "egress", "IPv4"), _rule(g, "egress", "IPv6")])
    return g


def default_group(project: str) -> sg.SecurityGroup:
    g = sg.SecurityGroup(id=str(uuid.uuid4()), name="default", description="Default security group",
                         project_id=project, tenant_id=project, stateful=True)
    g.created_at = g.updated_at = now()
    g.security_group_rules.extend([
        _rule(g, "egress", "IPv4"), _rule(g, "egress", "IPv6"),
        _rule(g, "ingress", "IPv4", g.id), _rule(g, "ingress", "IPv6", g.id)])
    return g


def normalize_protocol(p: str) -> str:
    p = (p or "").strip().lower()
    if p in ("", "any", "null"):
        return ""
    if p in PROTOCOLS:
        return "icmpv6" if p == "ipv6-icmp" else p
    if p.isdigit() and 0 <= int(p) <= 255:
        return p
    raise InvalidInput(f"Security group rule protocol {p} not supported. Only protocol values "
                       f"{sorted(PROTOCOLS)} and integer representations [0 to 255] are supported.",
                       reason="SecurityGroupRuleInvalidProtocol")


def new_rule(req: sg.SecurityGroupRule, group: sg.SecurityGroup) -> sg.SecurityGroupRule:
    if req.id:
        raise InvalidInput("Attribute 'id' is read-only.", reason="BadRequest")
    r = sg.SecurityGroupRule()
    r.CopyFrom(req)
    r.id = str(uuid.uuid4())
    if r.direction not in ("ingress", "egress"):
        raise InvalidInput(f"Invalid input for direction. Reason: '{r.direction}' is not in "
                           "['ingress', 'egress'].")
    r.ethertype = r.ethertype or "IPv4"
    if r.ethertype.lower() not in ("ipv4", "ipv6"):
        raise InvalidInput(f"Invalid input for ethertype. Reason: '{r.ethertype}' is not in "
                           "['IPv4', 'IPv6'].")
    r.ethertype = "IPv4" if r.ethertype.lower() == "ipv4" else "IPv6"
    r.protocol = normalize_protocol(r.protocol)
    if r.protocol == "icmp" and r.ethertype == "IPv6":
        r.protocol = "icmpv6"
    if r.protocol in ("icmpv6", "58") and r.ethertype == "IPv4":
        raise InvalidInput(f"Invalid ethertype {r.ethertype} for protocol {r.protocol}.",
                           reason="SecurityGroupEthertypeConflictWithProtocol")
    lo = r.port_range_min if r.HasField("port_range_min") else None
    hi = r.port_range_max if r.HasField("port_range_max") else None
    if (lo is not None or hi is not None) and not r.protocol:
        raise InvalidInput("Must also specify protocol if port range is given.",
                           reason="SecurityGroupProtocolRequiredWithPorts")
    if (lo is not None or hi is not None) and r.protocol not in PORTED | ICMP:
        raise InvalidInput(f"Invalid protocol {r.protocol} for port range, only supported for "
                           "TCP, UDP, UDPLITE, SCTP and DCCP.",
                           reason="SecurityGroupInvalidProtocolForPortRange")
    if r.protocol in PORTED and (lo is not None or hi is not None):
        if lo is None or hi is None:
            lo = hi = lo if lo is not None else hi
        if not (1 <= lo <= 65535 and 1 <= hi <= 65535) or lo > hi:
            raise InvalidInput("For TCP/UDP protocols, port_range_min must be <= port_range_max "
                               "and both in 1..65535.", reason="SecurityGroupInvalidPortRange")
        r.port_range_min, r.port_range_max = lo, hi
    if r.protocol in ICMP:
        for v, what in ((lo, "type"), (hi, "code")):
            if v is not None and not 0 <= v <= 255:
                raise InvalidInput(f"Invalid value for ICMP {what}: {v}.",
                                   reason="SecurityGroupInvalidIcmpValue")
        if lo is None and hi is not None:
            raise InvalidInput(f"ICMP code (port-range-max) {hi} is provided but ICMP type "
                               "(port-range-min) is missing.", reason="SecurityGroupMissingIcmpType")
    if r.remote_ip_prefix and r.remote_group_id:
        raise InvalidInput("Only remote_ip_prefix or remote_group_id may be provided.",
                           reason="SecurityGroupRemoteGroupAndRemoteIpPrefix")
    if r.remote_ip_prefix:
        try:
            net = ipaddress.ip_network(r.remote_ip_prefix, strict=False)
        except ValueError:
            raise InvalidInput(f"Invalid input for remote_ip_prefix. Reason: '{r.remote_ip_prefix}' "
                               "is not a valid IP prefix.") from None
        if (net.version == 4) != (r.ethertype == "IPv4"):
            raise InvalidInput(f"Conflicting value ethertype {r.ethertype} for CIDR {r.remote_ip_prefix}",
                               reason="SecurityGroupConflictingEthertype")
        r.remote_ip_prefix = str(net)
    for f in NULLABLE:
        if not getattr(r, f):
            r.ClearField(f)
    r.security_group_id = group.id
    r.project_id = r.tenant_id = group.project_id
    r.created_at = r.updated_at = now()
    for other in group.security_group_rules:
        if _same(other, r):
            raise Conflict(f"Security group rule already exists. Rule id is {other.id}.",
                           reason="SecurityGroupRuleExists")
    return r


def _key(r: sg.SecurityGroupRule) -> tuple:
    """What makes two rules the same, as Neutron compares them: a protocol's
    name and number are one protocol, and 0.0.0.0/0 or ::/0 is no remote
    prefix at all (the CLI sends it when given no remote)."""
    proto = r.protocol
    if proto in PROTOCOLS:
        proto = str(PROTOCOLS[proto])
    return (r.direction, r.ethertype, proto,
            r.port_range_min if r.HasField("port_range_min") else None,
            r.port_range_max if r.HasField("port_range_max") else None,
            "" if r.remote_ip_prefix in ANYWHERE else r.remote_ip_prefix, r.remote_group_id)


def _same(a: sg.SecurityGroupRule, b: sg.SecurityGroupRule) -> bool:
    return _key(a) == _key(b)

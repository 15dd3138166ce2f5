"""Security groups to nftables and routers to host plans, as pure tables:
rules and members in, the statements, tables and routes a host holds out."""
from __future__ import annotations

import pytest

from agent import firewall, naming
from agent.firewall import lost_access, namespace_filter, port_filter, rule_statement
from agent.model import EMPTY, GroupMembers, Kind, Port, Rule, apply_goal_state
from agent.plan import compile_plan
from alcor.v1 import goalstate_pb2 as gs
from tests.agent_helpers import full, neighbor, port, subnet, vpc

M = "fa:16:3e:00:00:01"


@pytest.mark.parametrize("rule, statement", [
    (Rule("r", True, False), "meta nfproto ipv4 ct mark set 0x1 accept"),
    (Rule("r", False, True), "meta nfproto ipv6 ct mark set 0x2 accept"),
    (Rule("r", True, False, "tcp", 22, 22),
     "meta nfproto ipv4 meta l4proto tcp th dport 22 ct mark set 0x1 accept"),
    (Rule("r", True, False, "udp", 5000, 5100, "10.0.0.0/8"),
     "meta nfproto ipv4 ip saddr 10.0.0.0/8 meta l4proto udp th dport 5000-5100 "
     "ct mark set 0x1 accept"),
    (Rule("r", False, False, "tcp", 443, 0, "192.168.1.0/24"),
     "meta nfproto ipv4 ip daddr 192.168.1.0/24 meta l4proto tcp th dport 443 "
     "ct mark set 0x2 accept"),
    (Rule("r", True, False, "icmp", 8, 0), "meta nfproto ipv4 meta l4proto icmp icmp type 8 "
                                           "ct mark set 0x1 accept"),
    (Rule("r", True, True, "icmpv6", 128, 0),
     "meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type 128 ct mark set 0x1 accept"),
    (Rule("r", True, False, "icmp"), "meta nfproto ipv4 meta l4proto icmp ct mark set 0x1 accept"),
    (Rule("r", True, False, "47"), "meta nfproto ipv4 meta l4proto 47 ct mark set 0x1 accept"),
    (Rule("r", True, False, remote_group_id="g"),
     f"meta nfproto ipv4 ip saddr @{firewall.set_name('g', False)} ct mark set 0x1 accept"),
    (Rule("r", False, True, remote_group_id="g"),
     f"meta nfproto ipv6 ip6 daddr @{firewall.set_name('g', True)} ct mark set 0x2 accept"),
])
def test_rule_statements(rule, statement):
    assert rule_statement(rule) == statement


def group(gid: str, *rules: gs.SecurityGroupRuleState) -> gs.SecurityGroupState:
    return gs.SecurityGroupState(id=gid, rules=list(rules))


def r(rid, direction="ingress", ethertype="IPv4", **kw) -> gs.SecurityGroupRuleState:
    return gs.SecurityGroupRuleState(id=rid, direction=direction, ethertype=ethertype, **kw)


@pytest.mark.parametrize("rule, reason", [
    (r("x", direction="sideways"), "direction"),
    (r("x", ethertype="IPX"), "ethertype"),
    (r("x", protocol="bogus"), "unknown protocol"),
    (r("x", protocol="tcp", port_range_min=90, port_range_max=80), "port range"),
    (r("x", protocol="tcp", port_range_min=70000), "port range"),
    (r("x", remote_ip_prefix="fd00::/64"), "is not IPv4"),
    (r("x", remote_ip_prefix="10.0.0.300/8"), "malformed"),
])
def test_unenforceable_rules_reject_their_group(rule, reason):
    state = apply_goal_state(EMPTY, gs.HostGoalState(
        update_type=gs.UPDATE_TYPE_FULL, revision=1, security_groups=[group("g", rule)]))
    assert not state.security_groups
    (rejected,) = state.rejected.values()
    assert rejected.kind is Kind.SECURITY_GROUP and reason in rejected.reason


@pytest.mark.parametrize("protocol, ethertype, want", [
    ("icmp", "IPv6", "icmpv6"), ("ipv6-icmp", "IPv6", "icmpv6"), ("58", "IPv6", "icmpv6"),
    ("6", "IPv4", "tcp"), ("any", "IPv4", ""), ("", "IPv4", ""), ("TCP", "IPv4", "tcp"),
])
def test_protocols_normalize_as_neutron_spells_them(protocol, ethertype, want):
    state = apply_goal_state(EMPTY, gs.HostGoalState(
        update_type=gs.UPDATE_TYPE_FULL, revision=1,
        security_groups=[group("g", r("x", ethertype=ethertype, protocol=protocol))]))
    assert state.security_groups["g"].rules[0].protocol == want


def test_a_whole_host_state_compiles_to_one_table_per_namespace():
    web = group("web", r("in-8080", protocol="tcp", port_range_min=8080, port_range_max=8080),
                r("in-peers", remote_group_id="web"), r("out", direction="egress"))
    msg = full(1, vpcs=[vpc("v", 9)], subnets=[subnet("s", "v", "10.0.0.0/24", "10.0.0.1")],
               ports=[port("p1", "v", M, [("s", "10.0.0.2")], namespace="ns1"),
                      port("p2", "v", "fa:16:3e:00:00:02", [("s", "10.0.0.3")], namespace="ns2"),
                      port("p3", "v", "fa:16:3e:00:00:03", [("s", "10.0.0.4")], namespace="ns1")])
    for p, groups, secured in ((msg.ports[0], ["web"], True), (msg.ports[1], ["web"], False),
                               (msg.ports[2], ["missing"], True)):
        p.security_group_ids[:] = groups
        p.port_security_enabled = secured
    msg.security_groups.append(web)
    msg.security_group_members.append(gs.SecurityGroupMembers(
        group_id="web", ip_addresses=["10.0.0.2", "10.0.0.9", "fd00::9"]))
    plan = compile_plan(apply_goal_state(EMPTY, msg))

    assert set(plan.filters) == {"ns1"}  # ns2's only port has port security off
    nf = plan.filters["ns1"]
    p1, p3 = nf.ports
    assert (p1.port_id, p1.interface) == ("p1", naming.veth_port_name("p1"))
    assert len(p1.ingress) == 2 and len(p1.egress) == 1 and nf.rule_count == 3
    assert (p3.ingress, p3.egress) == ((), ())  # a group not delivered allows nothing
    assert nf.sets == ((firewall.set_name("web", False), False,
                        frozenset({"10.0.0.2", "10.0.0.9"})),)
    text = nf.ruleset()
    assert text.startswith("table inet alcor\ndelete table inet alcor\n")
    assert text.count("policy accept") == 2 and text.count("\n    drop\n") == 4
    assert f'iifname "{naming.veth_port_name("p3")}" jump' in text


def _nf(ingress=("a",), egress=("b",), members=frozenset({"10.0.0.2"}), enforced=True):
    pf = firewall.PortFilter("p", "vp", enforced, tuple(ingress), tuple(egress),
                             frozenset({("g", False)}))
    return namespace_filter("ns", [pf], {"g": GroupMembers.of("g", members)})


@pytest.mark.parametrize("old, new, lost", [
    (None, _nf(), (False, False)),
    (_nf(), _nf(), (False, False)),
    (_nf(), _nf(ingress=("a", "c")), (False, False)),  # a rule added
    (_nf(), _nf(members=frozenset({"10.0.0.2", "10.0.0.3"})), (False, False)),  # a member joined
    (_nf(), _nf(ingress=()), (True, False)),  # an ingress rule removed
    (_nf(), _nf(egress=()), (False, True)),
    (_nf(), _nf(members=frozenset()), (True, True)),  # a member left
    (_nf(enforced=False), _nf(), (True, True)),  # port security switched on
])
def test_what_takes_access_away(old, new, lost):
    assert lost_access(old, new) == lost


def test_port_filter_ignores_groups_when_port_security_is_off():
    p = Port("p", "v", M, (), "ns", security_group_ids=("g",), port_security=False)
    assert port_filter(p, "vp", {}).enforced is False


def test_routers_plan_gateways_and_static_entries_for_remote_ports():
    msg = full(1, vpcs=[vpc("v", 9)], subnets=[subnet("s1", "v", "10.1.0.0/24", "10.1.0.1"),
                                              subnet("s2", "v", "10.2.0.0/24", "10.2.0.1")],
               ports=[port("p1", "v", M, [("s1", "10.1.0.2")])],
               neighbors=[neighbor("n2", "v", "10.2.0.5", "fa:16:3e:00:00:05", "192.168.0.2", 9,
                                   subnet_id="s2", l3=True),
                          neighbor("n3", "v", "10.3.0.5", "fa:16:3e:00:00:06", "192.168.0.2", 9,
                                   subnet_id="s3")])
    msg.routers.append(gs.RouterState(id="rt", vpc_id="v", gateway_mac="fa:16:3f:00:00:01",
                                      interfaces=[gs.RouterInterface(subnet_id=s, cidr=c,
                                                                     gateway_ip=g)
                                                  for s, c, g in (("s1", "10.1.0.0/24", "10.1.0.1"),
                                                                  ("s2", "10.2.0.0/24", "10.2.0.1"))]))
    plan = compile_plan(apply_goal_state(EMPTY, msg))
    rp = plan.routers["rt"]
    assert rp.addresses == (("10.1.0.1", 24), ("10.2.0.1", 24))
    assert rp.bridge == naming.bridge_name("v") and rp.veth_host == naming.router_host_name("rt")
    assert {ip: n.mac for ip, n in rp.neighbors.items()} == {"10.2.0.5": "fa:16:3e:00:00:05"}
    # The local port knows its gateway's MAC without asking.
    assert plan.arp_for(plan.ports["p1"])["10.1.0.1"].mac == "fa:16:3f:00:00:01"
    assert naming.router_namespace("rt", "h1") != naming.router_namespace("rt", "h2")


def test_a_router_of_a_vpc_the_host_lacks_is_invalid():
    msg = full(1)
    msg.routers.append(gs.RouterState(id="rt", vpc_id="v", gateway_mac="fa:16:3f:00:00:01"))
    (outcome,) = compile_plan(apply_goal_state(EMPTY, msg)).invalid
    assert (outcome.kind, outcome.id) == (Kind.ROUTER, "rt")

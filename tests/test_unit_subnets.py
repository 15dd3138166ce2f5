"""Pure subnet logic: CIDR checks, Neutron defaults, pool validation."""
import ipaddress

import pytest

from alcor.v1 import common_pb2, network_pb2, subnet_pb2
from runtime.errors import InvalidInput
from svc_vpc import subnets as S


@pytest.mark.parametrize("cidr,version,reason", [
    ("10.0.0.0/24", 4, None),
    ("2001:db8::/64", 6, None),
    ("10.0.0.5/24", 4, "InvalidCIDR"),          # host bits set
    ("10.0.0.0/33", 4, "InvalidCIDR"),
    ("not-a-cidr", 4, "InvalidCIDR"),
    ("2001:db8::/64", 4, "InvalidCIDR"),        # IPv6 prefix on ip_version 4
    ("10.0.0.0/24", 6, "InvalidCIDR"),
    ("10.0.0.0/31", 4, "InvalidCIDR"),          # too small to hold a host
    ("10.0.0.0/24", 5, "InvalidInput"),
])
def test_parse_cidr(cidr, version, reason):
    if reason is None:
        assert str(S.parse_cidr(cidr, version)) == cidr
    else:
        with pytest.raises(InvalidInput) as e:
            S.parse_cidr(cidr, version)
        assert e.value.reason == reason


@pytest.mark.parametrize("cidr,gateway,pools", [
    ("10.0.0.0/24", "10.0.0.1", [("10.0.0.2", "10.0.0.254")]),
    ("10.0.0.0/24", None, [("10.0.0.1", "10.0.0.254")]),
    ("10.0.0.0/24", "10.0.0.100", [("10.0.0.1", "10.0.0.99"), ("10.0.0.101", "10.0.0.254")]),
    ("10.0.0.0/24", "10.0.0.254", [("10.0.0.1", "10.0.0.253")]),
    ("10.0.0.0/30", "10.0.0.1", [("10.0.0.2", "10.0.0.2")]),
    ("2001:db8::/120", "2001:db8::1", [("2001:db8::2", "2001:db8::ff")]),
])
def test_default_pools(cidr, gateway, pools):
    net = ipaddress.ip_network(cidr)
    gw = ipaddress.ip_address(gateway) if gateway else None
    assert [(str(p.start), str(p.end)) for p in S.default_pools(net, gw)] == pools


@pytest.mark.parametrize("pools,gateway,reason", [
    ([("10.0.0.10", "10.0.0.20")], "10.0.0.1", None),
    ([("10.0.0.10", "10.0.1.20")], "10.0.0.1", "InvalidAllocationPool"),      # outside the cidr
    ([("10.0.0.20", "10.0.0.10")], "10.0.0.1", "InvalidAllocationPool"),      # reversed
    ([("10.0.0.0", "10.0.0.10")], None, "InvalidAllocationPool"),             # network address
    ([("10.0.0.1", "10.0.0.10")], "10.0.0.5", "GatewayConflictWithAllocationPools"),
    ([("10.0.0.2", "10.0.0.10"), ("10.0.0.10", "10.0.0.20")], "10.0.0.1", "OverlappingAllocationPools"),
    ([("2001:db8::2", "2001:db8::3")], "10.0.0.1", "InvalidAllocationPool"),  # wrong version
    ([("10.0.0.x", "10.0.0.3")], "10.0.0.1", "InvalidInput"),
])
def test_check_pools(pools, gateway, reason):
    net = ipaddress.ip_network("10.0.0.0/24")
    gw = ipaddress.ip_address(gateway) if gateway else None
    if reason is None:
        assert len(S.check_pools(net, pools, gw)) == len(pools)
    else:
        with pytest.raises(InvalidInput) as e:
            S.check_pools(net, pools, gw)
        assert e.value.reason == reason


def _req(**kw):
    return subnet_pb2.Subnet(network_id="n1", **kw)


def test_new_subnet_defaults():
    s = S.new_subnet(_req(cidr="10.1.0.0/24", ip_version=4), network_pb2.Network(id="n1", project_id="p"), [], "d")
    assert s.gateway_ip.string_value == "10.1.0.1"
    assert [(p.start, p.end) for p in s.allocation_pools] == [("10.1.0.2", "10.1.0.254")]
    assert s.enable_dhcp and s.project_id == "p" and s.id


def test_new_subnet_null_gateway_takes_whole_range():
    req = _req(cidr="10.1.0.0/24", ip_version=4)
    req.gateway_ip.null_value = 0
    s = S.new_subnet(req, network_pb2.Network(id="n1"), [], "d")
    assert s.gateway_ip.WhichOneof("kind") == "null_value"
    assert [(p.start, p.end) for p in s.allocation_pools] == [("10.1.0.1", "10.1.0.254")]


@pytest.mark.parametrize("cidr,others,clash", [
    ("10.0.0.0/24", ["10.0.1.0/24"], False),
    ("10.0.0.0/24", ["10.0.0.128/25"], True),
    ("10.0.0.0/16", ["10.0.5.0/24"], True),
    ("2001:db8::/64", ["10.0.0.0/24"], False),
])
def test_overlap(cidr, others, clash):
    got = S.overlapping(ipaddress.ip_network(cidr), [ipaddress.ip_network(o) for o in others])
    assert (got is not None) == clash


def test_gateway_outside_cidr_rejected():
    req = _req(cidr="10.1.0.0/24", ip_version=4)
    req.gateway_ip.string_value = "10.2.0.1"
    with pytest.raises(InvalidInput) as e:
        S.new_subnet(req, network_pb2.Network(id="n1"), [], "d")
    assert e.value.reason == "InvalidIpForSubnet"


def test_given_pools_kept():
    req = _req(cidr="10.1.0.0/24", ip_version=4,
               allocation_pools=[common_pb2.AllocationPool(start="10.1.0.100", end="10.1.0.110")])
    s = S.new_subnet(req, network_pb2.Network(id="n1"), [], "d")
    assert [(p.start, p.end) for p in s.allocation_pools] == [("10.1.0.100", "10.1.0.110")]

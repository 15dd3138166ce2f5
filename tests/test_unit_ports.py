"""Pure port logic: defaults, IP requests, fixed-IP update plans."""
import pytest

from alcor.v1 import common_pb2, network_pb2, port_pb2, subnet_pb2
from runtime.errors import InvalidInput
from svc_port import ports as P


def test_defaults():
    p = P.new_port(port_pb2.Port(network_id="n"), "proj")
    assert p.admin_state_up and p.status == "DOWN" and p.binding_vif_type == "unbound"
    assert p.binding_vnic_type == "normal" and p.project_id == "proj" and p.id


@pytest.mark.parametrize("req", [
    port_pb2.Port(),                                            # no network
    port_pb2.Port(network_id="n", mac_address="nope"),
    port_pb2.Port(network_id="n", fixed_ips=[common_pb2.FixedIp()]),
    port_pb2.Port(network_id="n", fixed_ips=[common_pb2.FixedIp(ip_address="10.0.0.x")]),
    port_pb2.Port(network_id="n", fixed_ips=[common_pb2.FixedIp(ip_address="10.0.0.5"),
                                             common_pb2.FixedIp(ip_address="10.0.0.5")]),
    port_pb2.Port(network_id="n", status="ACTIVE"),
    port_pb2.Port(network_id="n", id="mine"),
    port_pb2.Port(network_id="n", binding_vnic_type="weird"),
])
def test_rejects(req):
    with pytest.raises(InvalidInput):
        P.new_port(req, "proj")


def test_ip_requests_one_per_version_when_none_given():
    net = network_pb2.NetworkWithSubnets(subnets=[subnet_pb2.Subnet(ip_version=4),
                                                  subnet_pb2.Subnet(ip_version=6),
                                                  subnet_pb2.Subnet(ip_version=4)])
    got = P.ip_requests(port_pb2.Port(network_id="n"), net)
    assert [(r.network_id, r.ip_version) for r in got] == [("n", 4), ("n", 6)]


def fip(s, ip):
    return common_pb2.FixedIp(subnet_id=s, ip_address=ip)


@pytest.mark.parametrize("held,wanted,keep,alloc,release", [
    ([fip("s1", "10.0.0.5")], [fip("s1", "10.0.0.5")], ["10.0.0.5"], [], []),
    ([fip("s1", "10.0.0.5")], [fip("s1", "10.0.0.6")], [], ["10.0.0.6"], ["10.0.0.5"]),
    ([fip("s1", "10.0.0.5")], [fip("s1", "")], ["10.0.0.5"], [], []),
    ([fip("s1", "10.0.0.5")], [fip("s2", "")], [], [""], ["10.0.0.5"]),
    ([fip("s1", "10.0.0.5"), fip("s1", "10.0.0.6")], [fip("", "10.0.0.6")], ["10.0.0.6"], [], ["10.0.0.5"]),
    ([fip("s1", "10.0.0.5")], [], [], [], ["10.0.0.5"]),
])
def test_plan_fixed_ips(held, wanted, keep, alloc, release):
    plan = P.plan_fixed_ips(port_pb2.Port(network_id="n", fixed_ips=held), wanted)
    assert [k.ip_address for k in plan.keep] == keep
    assert [a.ip_address for a in plan.allocate] == alloc
    assert [r.ip_address for r in plan.release] == release

"""Security groups, rules and routers through real gRPC and etcd."""
import uuid

import grpc
import pytest

from alcor.v1 import port_pb2, router_pb2, router_pb2_grpc
from alcor.v1 import security_group_pb2 as sg
from alcor.v1 import security_group_pb2_grpc as sg_grpc
from tests.test_core_resources import expect_error, new_network, new_subnet


@pytest.fixture
async def stubs(cluster):
    async with grpc.aio.insecure_channel(cluster.address("svc_vpc")) as ch:
        yield (sg_grpc.SecurityGroupServiceStub(ch), sg_grpc.SecurityGroupRuleServiceStub(ch),
               router_pb2_grpc.RouterServiceStub(ch))


def as_project(p):
    return [("x-alcor-project-id", p), ("x-alcor-roles", "member")]


async def test_default_group_and_port_membership(api, stubs):
    groups, rules, _ = stubs
    project = "proj-" + uuid.uuid4().hex[:6]
    n = await new_network(api, project_id=project)
    await new_subnet(api, n.id, "10.80.0.0/24")
    p = (await api.ports.CreatePorts(port_pb2.CreatePortsRequest(port=port_pb2.Port(network_id=n.id)),
                                     metadata=as_project(project))).port
    assert len(p.security_groups) == 1
    listed = await groups.ListSecurityGroups(sg.ListSecurityGroupsRequest(), metadata=as_project(project))
    (default,) = listed.security_groups
    assert default.name == "default" and default.id == p.security_groups[0]
    dirs = sorted((r.direction, r.ethertype, bool(r.remote_group_id)) for r in default.security_group_rules)
    assert dirs == [("egress", "IPv4", False), ("egress", "IPv6", False),
                    ("ingress", "IPv4", True), ("ingress", "IPv6", True)]
    await expect_error(groups.DeleteSecurityGroup(sg.DeleteSecurityGroupRequest(id=default.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "SecurityGroupInUse")

    web = (await groups.CreateSecurityGroups(sg.CreateSecurityGroupsRequest(
        security_group=sg.SecurityGroup(name="web")), metadata=as_project(project))).security_group
    rule = (await rules.CreateSecurityGroupRules(sg.CreateSecurityGroupRulesRequest(
        security_group_rule=sg.SecurityGroupRule(security_group_id=web.id, direction="ingress",
                                                 protocol="tcp", port_range_min=22, port_range_max=22,
                                                 remote_ip_prefix="0.0.0.0/0")),
        metadata=as_project(project))).security_group_rule
    assert rule.ethertype == "IPv4"
    got = await rules.GetSecurityGroupRule(sg.GetSecurityGroupRuleRequest(id=rule.id), metadata=as_project(project))
    assert got.security_group_rule.port_range_max == 22
    await expect_error(rules.CreateSecurityGroupRules(sg.CreateSecurityGroupRulesRequest(
        security_group_rule=sg.SecurityGroupRule(security_group_id=web.id, direction="ingress",
                                                 protocol="tcp", port_range_min=22, port_range_max=22,
                                                 remote_ip_prefix="0.0.0.0/0"))),
        grpc.StatusCode.ALREADY_EXISTS, "SecurityGroupRuleExists")
    # Moving the port to "web" frees the default group of it.
    u = await api.ports.UpdatePort(port_pb2.UpdatePortRequest(
        id=p.id, port=port_pb2.Port(security_groups=[web.id]), update_mask={"paths": ["security_groups"]}),
        metadata=as_project(project))
    assert list(u.port.security_groups) == [web.id]
    await expect_error(groups.DeleteSecurityGroup(sg.DeleteSecurityGroupRequest(id=web.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "SecurityGroupInUse")
    await rules.DeleteSecurityGroupRule(sg.DeleteSecurityGroupRuleRequest(id=rule.id))
    await expect_error(rules.GetSecurityGroupRule(sg.GetSecurityGroupRuleRequest(id=rule.id)),
                       grpc.StatusCode.NOT_FOUND, "SecurityGroupRuleNotFound")


@pytest.mark.parametrize("rule,reason", [
    (dict(direction="sideways"), "InvalidInput"),
    (dict(direction="ingress", protocol="tcp", port_range_min=90, port_range_max=80), "SecurityGroupInvalidPortRange"),
    (dict(direction="ingress", protocol="carrier-pigeon"), "SecurityGroupRuleInvalidProtocol"),
    (dict(direction="ingress", port_range_min=80, port_range_max=80), "SecurityGroupProtocolRequiredWithPorts"),
    (dict(direction="ingress", remote_ip_prefix="2001:db8::/64"), "SecurityGroupConflictingEthertype"),
    (dict(direction="ingress", remote_ip_prefix="nope"), "InvalidInput"),
    (dict(direction="ingress", protocol="gre", port_range_min=80, port_range_max=80),
     "SecurityGroupInvalidProtocolForPortRange"),
    (dict(direction="ingress", protocol="icmp", port_range_max=0), "SecurityGroupMissingIcmpType"),
    (dict(direction="ingress", protocol="icmpv6"), "SecurityGroupEthertypeConflictWithProtocol"),
])
async def test_bad_rules(stubs, rule, reason):
    groups, rules, _ = stubs
    g = (await groups.CreateSecurityGroups(sg.CreateSecurityGroupsRequest(
        security_group=sg.SecurityGroup(name="g")))).security_group
    await expect_error(rules.CreateSecurityGroupRules(sg.CreateSecurityGroupRulesRequest(
        security_group_rule=sg.SecurityGroupRule(security_group_id=g.id, **rule))),
        grpc.StatusCode.INVALID_ARGUMENT, reason)


async def test_router_interfaces(api, stubs):
    _, _, routers = stubs
    n = await new_network(api)
    s1 = await new_subnet(api, n.id, "10.81.1.0/24")
    s2 = await new_subnet(api, n.id, "10.81.2.0/24")
    other = await new_network(api)
    s3 = await new_subnet(api, other.id, "10.81.3.0/24")
    r = (await routers.CreateRouters(router_pb2.CreateRoutersRequest(router=router_pb2.Router(name="r")))).router
    assert r.admin_state_up and r.status == "ACTIVE"
    a = await routers.AddRouterInterface(router_pb2.AddRouterInterfaceRequest(id=r.id, subnet_id=s1.id))
    assert a.network_id == n.id and list(a.subnet_ids) == [s1.id]
    await routers.AddRouterInterface(router_pb2.AddRouterInterfaceRequest(id=r.id, subnet_id=s2.id))
    await expect_error(routers.AddRouterInterface(router_pb2.AddRouterInterfaceRequest(id=r.id, subnet_id=s3.id)),
                       grpc.StatusCode.INVALID_ARGUMENT, "BadRequest")
    got = (await routers.GetRouter(router_pb2.GetRouterRequest(id=r.id))).router
    assert set(got.subnet_ids) == {s1.id, s2.id} and got.network_id == n.id
    from alcor.v1 import subnet_pb2
    await expect_error(api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s1.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "SubnetInUse")
    await expect_error(routers.DeleteRouter(router_pb2.DeleteRouterRequest(id=r.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "RouterInUse")
    await routers.RemoveRouterInterface(router_pb2.RemoveRouterInterfaceRequest(id=r.id, subnet_id=s1.id))
    await expect_error(routers.RemoveRouterInterface(router_pb2.RemoveRouterInterfaceRequest(id=r.id, subnet_id=s1.id)),
                       grpc.StatusCode.NOT_FOUND, "RouterInterfaceNotFoundForSubnet")
    await routers.RemoveRouterInterface(router_pb2.RemoveRouterInterfaceRequest(id=r.id, subnet_id=s2.id))
    await routers.DeleteRouter(router_pb2.DeleteRouterRequest(id=r.id))
    await api.subnets.DeleteSubnet(subnet_pb2.DeleteSubnetRequest(id=s1.id))

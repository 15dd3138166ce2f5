"""gRPC servicers for security groups, their rules, and routers."""
from __future__ import annotations

from alcor.v1 import router_pb2, router_pb2_grpc
from alcor.v1 import security_group_pb2 as sg
from alcor.v1 import security_group_pb2_grpc as sg_grpc
from runtime.api import links, mask_paths, require_id, single_or_bulk
from runtime.listing import parse_query
from svc_vpc import routers as rlogic
from svc_vpc.router_store import RouterStore
from svc_vpc.sg_store import SgStore


class SecurityGroupServicer(sg_grpc.SecurityGroupServiceServicer):
    def __init__(self, groups: SgStore):
        self.groups = groups

    async def CreateSecurityGroups(self, request, context):
        items, bulk = single_or_bulk(request, "security_group", "security_groups")
        made = await self.groups.create(items)
        if bulk:
            return sg.CreateSecurityGroupsResponse(security_groups=made)
        return sg.CreateSecurityGroupsResponse(security_group=made[0])

    async def GetSecurityGroup(self, request, context):
        return sg.GetSecurityGroupResponse(
            security_group=await self.groups.get(require_id(request.id, "Security group")))

    async def ListSecurityGroups(self, request, context):
        q = parse_query(request, sg.SecurityGroup.DESCRIPTOR)
        page = await self.groups.list(q)
        return sg.ListSecurityGroupsResponse(security_groups=page.items,
                                             security_groups_links=links(page, q))

    async def UpdateSecurityGroup(self, request, context):
        g = await self.groups.update(require_id(request.id, "Security group"), request.security_group,
                                     mask_paths(request), request.if_revision)
        return sg.UpdateSecurityGroupResponse(security_group=g)

    async def DeleteSecurityGroup(self, request, context):
        await self.groups.delete(require_id(request.id, "Security group"), request.if_revision)
        return sg.DeleteSecurityGroupResponse()

    async def ResolveSecurityGroups(self, request, context):
        return sg.ResolveSecurityGroupsResponse(
            ids=await self.groups.resolve(request.project_id, list(request.ids)))


class SecurityGroupRuleServicer(sg_grpc.SecurityGroupRuleServiceServicer):
    def __init__(self, groups: SgStore):
        self.groups = groups

    async def CreateSecurityGroupRules(self, request, context):
        items, bulk = single_or_bulk(request, "security_group_rule", "security_group_rules")
        made = await self.groups.create_rules(items)
        if bulk:
            return sg.CreateSecurityGroupRulesResponse(security_group_rules=made)
        return sg.CreateSecurityGroupRulesResponse(security_group_rule=made[0])

    async def GetSecurityGroupRule(self, request, context):
        return sg.GetSecurityGroupRuleResponse(
            security_group_rule=await self.groups.get_rule(require_id(request.id, "Security group rule")))

    async def ListSecurityGroupRules(self, request, context):
        q = parse_query(request, sg.SecurityGroupRule.DESCRIPTOR)
        page = await self.groups.list_rules(q)
        return sg.ListSecurityGroupRulesResponse(security_group_rules=page.items,
                                                 security_group_rules_links=links(page, q))

    async def DeleteSecurityGroupRule(self, request, context):
        await self.groups.delete_rule(require_id(request.id, "Security group rule"))
        return sg.DeleteSecurityGroupRuleResponse()


class RouterServicer(router_pb2_grpc.RouterServiceServicer):
    def __init__(self, routers: RouterStore):
        self.routers = routers

    async def CreateRouters(self, request, context):
        items, bulk = single_or_bulk(request, "router", "routers")
        made = await self.routers.create(items)
        if bulk:
            return router_pb2.CreateRoutersResponse(routers=made)
        return router_pb2.CreateRoutersResponse(router=made[0])

    async def GetRouter(self, request, context):
        return router_pb2.GetRouterResponse(router=await self.routers.get(require_id(request.id, "Router")))

    async def ListRouters(self, request, context):
        q = parse_query(request, router_pb2.Router.DESCRIPTOR)
        page = await self.routers.routers.list(q, rlogic.visible)
        return router_pb2.ListRoutersResponse(routers=page.items, routers_links=links(page, q))

    async def UpdateRouter(self, request, context):
        r = await self.routers.update(require_id(request.id, "Router"), request.router,
                                      mask_paths(request), request.if_revision)
        return router_pb2.UpdateRouterResponse(router=r)

    async def DeleteRouter(self, request, context):
        await self.routers.delete(require_id(request.id, "Router"), request.if_revision)
        return router_pb2.DeleteRouterResponse()

    async def AddRouterInterface(self, request, context):
        r, s = await self.routers.add_interface(require_id(request.id, "Router"), request.subnet_id,
                                                request.port_id)
        return router_pb2.AddRouterInterfaceResponse(
            id=r.id, subnet_id=s.id, subnet_ids=[s.id], port_id=request.port_id,
            network_id=s.network_id, project_id=r.project_id, tenant_id=r.project_id)

    async def RemoveRouterInterface(self, request, context):
        r, s = await self.routers.remove_interface(require_id(request.id, "Router"), request.subnet_id,
                                                   request.port_id)
        return router_pb2.RemoveRouterInterfaceResponse(
            id=r.id, subnet_id=s.id, subnet_ids=[s.id], port_id=request.port_id,
            network_id=s.network_id, project_id=r.project_id, tenant_id=r.project_id)

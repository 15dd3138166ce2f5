"""gRPC servicers of svc_vpc: decode, call the store, encode. Errors are
raised as domain errors and mapped by the server interceptor."""
from __future__ import annotations

from alcor.v1 import network_pb2, network_pb2_grpc, subnet_pb2, subnet_pb2_grpc
from runtime.api import links, mask_paths, require_id, single_or_bulk
from runtime.listing import parse_query
from svc_vpc import networks as netlogic
from svc_vpc import subnets as sublogic
from svc_vpc.store import VpcStore


class NetworkServicer(network_pb2_grpc.NetworkServiceServicer):
    def __init__(self, vpcs: VpcStore):
        self.vpcs = vpcs

    async def CreateNetworks(self, request, context):
        items, bulk = single_or_bulk(request, "network", "networks")
        created = await self.vpcs.create_networks(items)
        if bulk:
            return network_pb2.CreateNetworksResponse(networks=created)
        return network_pb2.CreateNetworksResponse(network=created[0])

    async def GetNetwork(self, request, context):
        n = await self.vpcs.get_network(require_id(request.id, "Network"))
        return network_pb2.GetNetworkResponse(network=n)

    async def ListNetworks(self, request, context):
        q = parse_query(request, network_pb2.Network.DESCRIPTOR)
        page = await self.vpcs.networks.list(q, netlogic.visible)
        return network_pb2.ListNetworksResponse(networks=page.items, networks_links=links(page, q))

    async def UpdateNetwork(self, request, context):
        n = await self.vpcs.update_network(require_id(request.id, "Network"), request.network,
                                           mask_paths(request), request.if_revision)
        return network_pb2.UpdateNetworkResponse(network=n)

    async def DeleteNetwork(self, request, context):
        await self.vpcs.delete_network(require_id(request.id, "Network"), request.if_revision)
        return network_pb2.DeleteNetworkResponse()

    async def LookupNetworks(self, request, context):
        return network_pb2.LookupNetworksResponse(
            networks=await self.vpcs.lookup_networks(list(request.ids), request.skip_missing))


class SubnetServicer(subnet_pb2_grpc.SubnetServiceServicer):
    def __init__(self, vpcs: VpcStore):
        self.vpcs = vpcs

    async def CreateSubnets(self, request, context):
        items, bulk = single_or_bulk(request, "subnet", "subnets")
        created = await self.vpcs.create_subnets(items)
        if bulk:
            return subnet_pb2.CreateSubnetsResponse(subnets=created)
        return subnet_pb2.CreateSubnetsResponse(subnet=created[0])

    async def GetSubnet(self, request, context):
        s = await self.vpcs.get_subnet(require_id(request.id, "Subnet"))
        return subnet_pb2.GetSubnetResponse(subnet=s)

    async def ListSubnets(self, request, context):
        q = parse_query(request, subnet_pb2.Subnet.DESCRIPTOR)
        page = await self.vpcs.subnets.list(q, sublogic.visible)
        return subnet_pb2.ListSubnetsResponse(subnets=page.items, subnets_links=links(page, q))

    async def UpdateSubnet(self, request, context):
        s = await self.vpcs.update_subnet(require_id(request.id, "Subnet"), request.subnet,
                                          mask_paths(request), request.if_revision)
        return subnet_pb2.UpdateSubnetResponse(subnet=s)

    async def DeleteSubnet(self, request, context):
        await self.vpcs.delete_subnet(require_id(request.id, "Subnet"), request.if_revision)
        return subnet_pb2.DeleteSubnetResponse()

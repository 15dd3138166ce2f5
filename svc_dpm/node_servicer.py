"""NodeService: the host registry."""
from __future__ import annotations

from alcor.v1 import node_pb2, node_pb2_grpc
from runtime.api import links, mask_paths, require_id, single_or_bulk
from runtime.listing import parse_query
from svc_dpm.node_store import NodeStore


class NodeServicer(node_pb2_grpc.NodeServiceServicer):
    def __init__(self, nodes: NodeStore):
        self.nodes = nodes

    async def CreateNodes(self, request, context):
        items, bulk = single_or_bulk(request, "node", "nodes")
        created = await self.nodes.create(items)
        if bulk:
            return node_pb2.CreateNodesResponse(nodes=created)
        return node_pb2.CreateNodesResponse(node=created[0])

    async def GetNode(self, request, context):
        return node_pb2.GetNodeResponse(node=await self.nodes.get(require_id(request.id, "Node")))

    async def ListNodes(self, request, context):
        q = parse_query(request, node_pb2.Node.DESCRIPTOR)
        page = await self.nodes.nodes.list(q)
        return node_pb2.ListNodesResponse(nodes=page.items, nodes_links=links(page, q))

    async def UpdateNode(self, request, context):
        n = await self.nodes.update(require_id(request.id, "Node"), request.node,
                                    mask_paths(request), request.if_revision)
        return node_pb2.UpdateNodeResponse(node=n)

    async def DeleteNode(self, request, context):
        await self.nodes.delete(require_id(request.id, "Node"), request.if_revision)
        return node_pb2.DeleteNodeResponse()

    async def LookupNodes(self, request, context):
        return node_pb2.LookupNodesResponse(nodes=await self.nodes.lookup(list(request.names), request.skip_missing))

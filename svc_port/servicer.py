"""PortService: decode, call the orchestrator or store, encode."""
from __future__ import annotations

from alcor.v1 import port_pb2, port_pb2_grpc
from runtime import context
from runtime.api import links, mask_paths, require_id, single_or_bulk
from runtime.listing import parse_query
from svc_port import ports as portlogic
from svc_port.orchestrator import PortOrchestrator


class PortServicer(port_pb2_grpc.PortServiceServicer):
    def __init__(self, orchestrator: PortOrchestrator):
        self.orch = orchestrator
        self.ports = orchestrator.store.ports

    async def CreatePorts(self, request, ctx):
        items, bulk = single_or_bulk(request, "port", "ports")
        created = await self.orch.create(items)
        if bulk:
            return port_pb2.CreatePortsResponse(ports=created)
        return port_pb2.CreatePortsResponse(port=created[0])

    async def GetPort(self, request, ctx):
        p = await self.ports.get(require_id(request.id, "Port"), portlogic.visible)
        return port_pb2.GetPortResponse(port=p)

    async def ListPorts(self, request, ctx):
        q = parse_query(request, port_pb2.Port.DESCRIPTOR)
        rc = context.current()
        scope = None if rc.is_admin else ("project_id", rc.project_id)
        page = await self.ports.list(q, portlogic.visible, scope)
        return port_pb2.ListPortsResponse(ports=page.items, ports_links=links(page, q))

    async def UpdatePort(self, request, ctx):
        p = await self.orch.update(require_id(request.id, "Port"), request.port,
                                   mask_paths(request), request.if_revision)
        return port_pb2.UpdatePortResponse(port=p)

    async def DeletePort(self, request, ctx):
        await self.orch.delete(require_id(request.id, "Port"), request.if_revision)
        return port_pb2.DeletePortResponse()

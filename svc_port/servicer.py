"""PortService: decode, call the orchestrator or store, encode."""
from __future__ import annotations

import asyncio

from google.rpc import status_pb2

from alcor.v1 import port_pb2, port_pb2_grpc
from runtime import context
from runtime.api import links, mask_paths, require_id, single_or_bulk
from runtime.errors import InvalidInput
from runtime.interceptors import as_own_call
from runtime.listing import parse_query
from svc_port import ports as portlogic
from svc_port.orchestrator import PortOrchestrator


CREATE_PORTS = "/alcor.v1.PortService/CreatePorts"
# Calls one CreatePortsBatch may hold (the gateway sends at most 64).
MAX_BATCH_CALLS = 1024


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

    async def CreatePortsBatch(self, request, ctx):
        if len(request.calls) > MAX_BATCH_CALLS:
            raise InvalidInput(f"A batch holds at most {MAX_BATCH_CALLS} calls, "
                               f"not {len(request.calls)}.")
        # Each call runs as a call of its own (its caller's context, its own
        # outcome); together they land in the same group commit.
        outcomes = await asyncio.gather(*(
            as_own_call(self.CreatePorts, c.request, c.metadata, CREATE_PORTS, ctx)
            for c in request.calls))
        return port_pb2.CreatePortsBatchResponse(outcomes=[
            port_pb2.CreatePortsOutcome(error=o) if isinstance(o, status_pb2.Status)
            else port_pb2.CreatePortsOutcome(created=o) for o in outcomes])

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

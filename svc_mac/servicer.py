"""MacService: concurrent calls are group-committed (one read, one
transaction per burst)."""
from __future__ import annotations

from alcor.v1 import mac_pb2, mac_pb2_grpc
from runtime.batcher import GroupCommit
from runtime.idempotency import Idempotency
from svc_mac.store import MacStore


class MacServicer(mac_pb2_grpc.MacServiceServicer):
    def __init__(self, store: MacStore):
        self._allocate = GroupCommit(store.allocate)
        self._release = GroupCommit(store.release)

    async def AllocateMacs(self, request, context):
        if not request.requests:
            return mac_pb2.AllocateMacsResponse()
        return mac_pb2.AllocateMacsResponse(
            mac_addresses=await self._allocate.submit((list(request.requests), Idempotency.call_key())))

    async def ReleaseMacs(self, request, context):
        if not request.mac_addresses:
            return mac_pb2.ReleaseMacsResponse()
        return mac_pb2.ReleaseMacsResponse(
            released=await self._release.submit(list(request.mac_addresses)))

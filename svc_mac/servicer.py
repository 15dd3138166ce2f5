"""MacService: concurrent calls are group-committed (one read, one
transaction per burst)."""
from __future__ import annotations

import asyncio

from alcor.v1 import mac_pb2, mac_pb2_grpc
from runtime import reservation
from runtime.errors import AlcorError, to_status_proto
from runtime.batcher import GroupCommit
from runtime.idempotency import Idempotency, Replayed
from svc_mac.store import MacStore


class MacServicer(mac_pb2_grpc.MacServiceServicer):
    def __init__(self, store: MacStore):
        self.store = store
        self._allocate = GroupCommit(store.allocate)
        self._release = GroupCommit(store.release)

    async def AllocateMacs(self, request, context):
        if not request.requests:
            return mac_pb2.AllocateMacsResponse()
        return mac_pb2.AllocateMacsResponse(
            mac_addresses=await self._allocate.submit((list(request.requests), Idempotency.call_key())))

    async def AllocateMacsBatch(self, request, context):
        keys = list(request.idempotency_keys) + [""] * (len(request.calls) - len(request.idempotency_keys))
        outcomes = await asyncio.gather(
            *(self._allocate.submit((list(c.requests), k)) for c, k in zip(request.calls, keys)),
            return_exceptions=True)
        return mac_pb2.AllocateMacsBatchResponse(outcomes=[
            mac_pb2.AllocateMacsOutcome(error=to_status_proto(o)) if isinstance(o, AlcorError)
            else _raise(o) if isinstance(o, BaseException)
            else mac_pb2.AllocateMacsOutcome(allocated=mac_pb2.AllocateMacsResponse(mac_addresses=o),
                                             replayed=isinstance(o, Replayed))
            for o in outcomes])

    async def ReserveMacs(self, request, context):
        outcomes, units, fresh_keys = await self.store.reserve(
            [list(c.requests) for c in request.calls], fresh=request.fresh, chain=request.chain,
            seq=request.chain_seq)
        return mac_pb2.ReserveMacsResponse(outcomes=[
            mac_pb2.AllocateMacsOutcome(error=to_status_proto(o)) if isinstance(o, AlcorError)
            else mac_pb2.AllocateMacsOutcome(allocated=mac_pb2.AllocateMacsResponse(mac_addresses=o))
            for o in outcomes], reservations=[reservation.to_proto(u) for u in units],
            fresh_keys=fresh_keys)

    async def ReleaseMacs(self, request, context):
        if not request.mac_addresses:
            return mac_pb2.ReleaseMacsResponse()
        return mac_pb2.ReleaseMacsResponse(
            released=await self._release.submit(list(request.mac_addresses)))


def _raise(e: BaseException):
    raise e

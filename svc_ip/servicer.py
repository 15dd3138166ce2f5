"""IpamService: concurrent calls are group-committed, so a burst of single
allocations on one subnet costs one read and one transaction per burst;
reservations are decided here and committed by the caller."""
from __future__ import annotations

import asyncio

from alcor.v1 import ipam_pb2, ipam_pb2_grpc
from runtime import reservation
from runtime.errors import AlcorError, to_status_proto
from runtime.batcher import GroupCommit
from runtime.idempotency import Idempotency, Replayed
from svc_ip.store import IpamStore


class IpamServicer(ipam_pb2_grpc.IpamServiceServicer):
    def __init__(self, ipam: IpamStore):
        self.ipam = ipam
        self._allocate = GroupCommit(ipam.allocate)
        self._release = GroupCommit(ipam.release)

    async def AllocateIps(self, request, context):
        if not request.requests:
            return ipam_pb2.AllocateIpsResponse()
        key = Idempotency.call_key()
        allocations = await self._allocate.submit((list(request.requests), key))
        return ipam_pb2.AllocateIpsResponse(allocations=allocations)

    async def AllocateIpsBatch(self, request, context):
        keys = list(request.idempotency_keys) + [""] * (len(request.calls) - len(request.idempotency_keys))
        # Each call joins the group commit on its own, so one bad call fails alone.
        outcomes = await asyncio.gather(
            *(self._allocate.submit((list(c.requests), k)) for c, k in zip(request.calls, keys)),
            return_exceptions=True)
        return ipam_pb2.AllocateIpsBatchResponse(outcomes=[
            ipam_pb2.AllocateIpsOutcome(error=to_status_proto(o)) if isinstance(o, AlcorError)
            else _raise(o) if isinstance(o, BaseException)
            else ipam_pb2.AllocateIpsOutcome(allocated=ipam_pb2.AllocateIpsResponse(allocations=o),
                                             replayed=isinstance(o, Replayed))
            for o in outcomes])

    async def ReserveIps(self, request, context):
        outcomes, units, fresh_keys = await self.ipam.reserve(
            [list(c.requests) for c in request.calls], fresh=request.fresh, chain=request.chain,
            seq=request.chain_seq)
        return ipam_pb2.ReserveIpsResponse(outcomes=[
            ipam_pb2.AllocateIpsOutcome(error=to_status_proto(o)) if isinstance(o, AlcorError)
            else ipam_pb2.AllocateIpsOutcome(allocated=ipam_pb2.AllocateIpsResponse(allocations=o))
            for o in outcomes], reservations=[reservation.to_proto(u) for u in units],
            fresh_keys=fresh_keys)

    async def ReleaseIps(self, request, context):
        if not request.allocations:
            return ipam_pb2.ReleaseIpsResponse()
        n = await self._release.submit(list(request.allocations))
        return ipam_pb2.ReleaseIpsResponse(released=n)


def _raise(e: BaseException):
    raise e

"""Bulk creates (more ports than one transaction holds): the allocators
allocate, recording each call's outcome under its key, then the ports are
persisted in as many compare transactions as they take, all or none; a call
that fails gives back whatever it was given (CreateCall.allocated_for_it)."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from alcor.v1 import common_pb2, ipam_pb2, ipam_pb2_grpc, mac_pb2, mac_pb2_grpc
from runtime.clients import call
from runtime.errors import AlcorError, Contention, from_status_proto
from runtime.idempotency import Idempotency
from runtime.store import StoreConflict
from svc_port.create_call import CreateCall, StaleNetwork
from svc_port.store import PortStore


class AllocatingCreates:
    def __init__(self, store: PortStore, ipam: ipam_pb2_grpc.IpamServiceStub,
                 macs: mac_pb2_grpc.MacServiceStub, idempotency: Idempotency,
                 forget_stale: Callable[[CreateCall, StoreConflict], bool],
                 replay: Callable[[bytes], Awaitable[list]],
                 release: Callable[[list, list], Awaitable[None]],
                 answer_recorded: Callable[[list, list, list, dict], Awaitable[list]]):
        self.store, self.ipam, self.macs = store, ipam, macs
        self.idempotency = idempotency
        self.forget_stale, self.replay = forget_stale, replay
        self.release, self.answer_recorded = release, answer_recorded

    async def create(self, calls: list[CreateCall], live: list[int], ip_calls: dict, spans: dict,
                     out: list, recorded_read) -> None:
        """Creates the calls of `live`, each succeeding or failing alone;
        outcomes go to `out`. `recorded_read` reads their recorded keys."""
        ip_keys = [f"{calls[i].alloc_key}/ips" if calls[i].key else "" for i in live]
        mac_keys = [f"{calls[i].alloc_key}/macs" if calls[i].key else "" for i in live]
        mac_calls = [mac_pb2.AllocateMacsRequest(
            requests=[mac_pb2.MacRequest(mac_address=p.mac_address) for p in calls[i].ports]) for i in live]
        ip_resp, mac_resp = await asyncio.gather(
            call(self.ipam.AllocateIpsBatch(ipam_pb2.AllocateIpsBatchRequest(
                calls=[ip_calls[i] for i in live], idempotency_keys=ip_keys))),
            call(self.macs.AllocateMacsBatch(mac_pb2.AllocateMacsBatchRequest(
                calls=mac_calls, idempotency_keys=mac_keys))))
        ready = []
        give_back_ips, give_back_macs = [], []
        for i, ipo, maco in zip(live, ip_resp.outcomes, mac_resp.outcomes):
            ips = list(ipo.allocated.allocations) if ipo.HasField("allocated") else None
            macs = list(maco.allocated.mac_addresses) if maco.HasField("allocated") else None
            calls[i].ips, calls[i].macs = ips or [], macs or []
            calls[i].replayed = (ipo.replayed, maco.replayed)
            if ips is None or macs is None:
                ours_ips, ours_macs = calls[i].allocated_for_it()
                give_back_ips += ours_ips
                give_back_macs += ours_macs
                out[i] = from_status_proto(ipo.error if ips is None else maco.error)
                continue
            for p, (a, b), mac in zip(calls[i].ports, spans[i], macs):
                del p.fixed_ips[:]
                p.fixed_ips.extend(common_pb2.FixedIp(subnet_id=x.subnet_id, ip_address=x.ip_address)
                                   for x in ips[a:b])
                p.mac_address = mac
            ready.append(i)
        if ready:
            for i in await self.answer_recorded(calls, ready, out, await recorded_read):
                ours_ips, ours_macs = calls[i].allocated_for_it()
                give_back_ips += ours_ips
                give_back_macs += ours_macs
        await self.release(give_back_ips, give_back_macs)
        await self._persist([calls[i] for i in ready])
        for i in ready:
            out[i] = calls[i].outcome

    async def _persist(self, calls: list[CreateCall]) -> None:
        """All ready calls in one etcd batch; if that fails, call by call, so
        one call's failure (a network deleted meanwhile, a duplicate that
        finished first) stays its own."""
        if not calls:
            return
        for c in calls:
            if c.key:
                c.units = [await self.idempotency.record_unit(
                    c.key, "\n".join(p.id for p in c.ports).encode())]
        try:
            await self.store.create_all([p for c in calls for p in c.ports], self._revisions(calls),
                                        [u for c in calls for u in c.units])
            for c in calls:
                c.outcome = c.ports
            return
        except (StoreConflict, AlcorError):
            pass  # nothing landed (all or none): sort it out call by call
        for c in calls:
            try:
                await self.store.create_all(c.ports, self._revisions([c]), c.units)
                c.outcome = c.ports
            except StoreConflict as e:
                if self.forget_stale(c, e):
                    await self.release(*c.allocated_for_it())
                    c.outcome = StaleNetwork()
                elif c.key and self.idempotency.record_key(c.key) in e.current:
                    # A concurrent duplicate of this create finished first: keep
                    # what its ports hold (the allocators may have shared their
                    # outcome with it), give back the rest.
                    try:
                        winner = await self.replay(await self.idempotency.recorded(c.key) or b"")
                        c.outcome = winner
                    except AlcorError as gone:
                        winner, c.outcome = [], gone
                    await self.release(*c.allocated_for_it(
                        held_ips={f.ip_address for p in winner for f in p.fixed_ips},
                        held_macs={p.mac_address for p in winner}))
                else:
                    await self.release(*c.allocated_for_it())
                    c.outcome = Contention("concurrent update, try again")
            except AlcorError as e:
                await self.release(*c.allocated_for_it())
                c.outcome = e

    def _revisions(self, calls: list[CreateCall]) -> dict[str, int]:
        return {k: v for c in calls for k, v in c.network_revisions().items()}


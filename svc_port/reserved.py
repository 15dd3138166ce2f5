"""Creates that fit one etcd transaction: single ports and small bulks, what
concurrent clients send. The allocators reserve (decide and write nothing),
and the ports are committed with both reservations and their idempotency
records in one compare transaction. So a create costs one etcd round trip,
not three, and one that fails has nothing to give back: its addresses were
never taken.

A reservation is decided from what the allocator last knew, including its
previous reservations; when a transaction fails on an allocator's guard, or
a reservation is dropped (some of its calls failed elsewhere), the next one
is asked `fresh`, decided from etcd as it is."""
from __future__ import annotations

import asyncio
import random
from typing import Awaitable, Callable

from alcor.v1 import common_pb2, ipam_pb2, ipam_pb2_grpc, mac_pb2, mac_pb2_grpc
from runtime import reservation
from runtime.clients import call
from runtime.errors import AlcorError, Contention, from_status_proto
from runtime.idempotency import Idempotency
from runtime.store import MAX_TXN_OPS, StoreConflict, Unit, merge
from svc_port.create_call import CreateCall, StaleNetwork
from svc_port.store import PortStore

# Calls of more ports than this are bulks: they take the path that commits
# in as many transactions as they need.
MAX_PORTS = 8
# Rounds of reserve-and-commit before the remaining calls are told to retry.
ATTEMPTS = 20


def operations(c: CreateCall, ip_call: ipam_pb2.AllocateIpsRequest, store: PortStore) -> tuple[int, int]:
    """At most how many (guards, writes) the call adds to a transaction."""
    guards = writes = 1 if c.key else 0
    for p in c.ports:
        guards += 2 + bool(p.binding_host_id) + len(p.security_groups)
        writes += 1 + len(store.ports.index_keys(p))
    n_ips = len(ip_call.requests)
    # Per address a block and its subnet; per port a MAC block.
    return guards + 2 * n_ips + len(c.ports), writes + n_ips + len(c.ports)


def chunks(sized: list[tuple[int, tuple[int, int]]]) -> tuple[list[list[int]], list[int]]:
    """Calls (index, operations) packed in order into transactions, and
    those that do not fit one alone."""
    out: list[list[int]] = []
    alone: list[int] = []
    cur: list[int] = []
    g = w = 0
    for i, (cg, cw) in sized:
        if cg > MAX_TXN_OPS or cw > MAX_TXN_OPS:
            alone.append(i)
            continue
        if cur and (g + cg > MAX_TXN_OPS or w + cw > MAX_TXN_OPS):
            out.append(cur)
            cur, g, w = [], 0, 0
        cur.append(i)
        g, w = g + cg, w + cw
    if cur:
        out.append(cur)
    return out, alone


class ReservedCreates:
    def __init__(self, store: PortStore, ipam: ipam_pb2_grpc.IpamServiceStub,
                 macs: mac_pb2_grpc.MacServiceStub, idempotency: Idempotency,
                 forget_stale: Callable[[CreateCall, StoreConflict], bool],
                 replay: Callable[[bytes], Awaitable[list]]):
        self.store, self.ipam, self.macs = store, ipam, macs
        self.idempotency = idempotency
        self.forget_stale, self.replay = forget_stale, replay
        # Whether an allocator's knowledge is off from etcd: a reservation of
        # its was not committed (so the next one is asked fresh).
        self._ips_stale = self._macs_stale = False

    async def create(self, calls: list[CreateCall], todo: list[int], ip_calls: dict, spans: dict,
                     out: list) -> None:
        """Creates the calls of `todo` (one transaction's worth), each
        succeeding or failing alone; outcomes go to `out`."""
        pending = list(todo)
        ips_res = macs_res = None
        for attempt in range(ATTEMPTS):
            if ips_res is None or macs_res is None:
                ips_res, macs_res = await self._reserve(calls, pending, ip_calls, ips_res, macs_res, out)
                pending = [i for i in pending if out[i] is None]
                if (ips_res is None or macs_res is None) and pending:
                    continue  # a reservation held calls that failed elsewhere
            if not pending:
                return
            for i in pending:
                self._fill(calls[i], spans[i])
            try:
                await self._commit(calls, pending, ips_res, macs_res)
            except StoreConflict as e:
                self._ips_stale = self._macs_stale = True
                ips_res = macs_res = None
                await self._sort_out(calls, pending, e, out)
                pending = [i for i in pending if out[i] is None]
                if pending:
                    # Another replica took the same addresses: let it land.
                    await asyncio.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** attempt)))
                continue
            self._ips_stale = self._macs_stale = False
            for i in pending:
                out[i] = calls[i].ports
            return
        for i in pending:
            out[i] = Contention("concurrent update, try again")

    async def _reserve(self, calls, pending, ip_calls, ips_res, macs_res, out):
        """Both reservations (whichever is missing) for the pending calls.
        A call refused by either allocator fails; the other's reservation,
        which holds that call's share, is then dropped (returned as None)."""
        want_ips, want_macs = ips_res is None, macs_res is None

        async def ips():
            return await call(self.ipam.ReserveIps(ipam_pb2.ReserveIpsRequest(
                calls=[ip_calls[i] for i in pending], fresh=self._ips_stale)))

        async def macs():
            return await call(self.macs.ReserveMacs(mac_pb2.ReserveMacsRequest(
                calls=[mac_pb2.AllocateMacsRequest(requests=[
                    mac_pb2.MacRequest(mac_address=p.mac_address) for p in calls[i].ports])
                    for i in pending], fresh=self._macs_stale)))

        got_ips, got_macs = await asyncio.gather(ips() if want_ips else _none(),
                                                 macs() if want_macs else _none())
        refused_ips, refused_macs = set(), set()
        if got_ips is not None:
            ips_res = got_ips
            for i, o in zip(pending, got_ips.outcomes):
                if o.HasField("allocated"):
                    calls[i].ips = list(o.allocated.allocations)
                else:
                    refused_ips.add(i)
                    out[i] = from_status_proto(o.error)
        if got_macs is not None:
            macs_res = got_macs
            for i, o in zip(pending, got_macs.outcomes):
                if o.HasField("allocated"):
                    calls[i].macs = list(o.allocated.mac_addresses)
                else:
                    refused_macs.add(i)
                    if out[i] is None:
                        out[i] = from_status_proto(o.error)
        # A call one allocator refused has its share in the other's reservation.
        if refused_ips - refused_macs:
            macs_res, self._macs_stale = None, True
        if refused_macs - refused_ips:
            ips_res, self._ips_stale = None, True
        return ips_res, macs_res

    @staticmethod
    def _fill(c: CreateCall, cuts: list[tuple[int, int]]) -> None:
        for p, (a, b), mac in zip(c.ports, cuts, c.macs):
            del p.fixed_ips[:]
            p.fixed_ips.extend(common_pb2.FixedIp(subnet_id=x.subnet_id, ip_address=x.ip_address)
                               for x in c.ips[a:b])
            p.mac_address = mac

    async def _commit(self, calls, pending, ips_res, macs_res) -> None:
        units: list[Unit] = []
        for i in pending:
            c = calls[i]
            if c.key:
                units.append(await self.idempotency.record_unit(
                    c.key, "\n".join(p.id for p in c.ports).encode()))
            revisions = c.network_revisions()
            units += [self.store.create_unit(p, revisions[p.network_id]) for p in c.ports]
        units += [reservation.to_unit(ips_res.reservation), reservation.to_unit(macs_res.reservation)]
        revision = await self.store.store.commit(merge(units))
        for i in pending:
            for p in calls[i].ports:
                p.revision_number = revision

    async def _sort_out(self, calls, pending, e: StoreConflict, out) -> None:
        """After a failed transaction, the calls it says are done: a retry
        whose key was recorded (answered with what the first made), a stale
        network look-up (goes round again), a network, host or group gone.
        The others were failed by an allocator's guard and go again."""
        for i in pending:
            c = calls[i]
            stale = self.forget_stale(c, e)
            record = e.current.get(self.idempotency.record_key(c.key)) if c.key else None
            if record is not None:
                try:
                    out[i] = await self.replay(record.value)
                except AlcorError as gone:
                    out[i] = gone
            elif stale:
                out[i] = StaleNetwork()
            else:
                out[i] = self.store.placement_error(c.ports, e.current)


async def _none():
    return None

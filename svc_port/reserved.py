"""Creates that fit one etcd transaction: single ports and small bulks, what
concurrent clients send. The allocators reserve (decide and write nothing),
and the ports are committed with their reservations and idempotency records
in one compare transaction. So a create costs one etcd round trip, and one
that fails has nothing to give back: its addresses were never taken.

Each batch also reserves ahead (a network's next address, a few MACs), held
for the next creates (see held.py): a single create usually finds its
addresses held and goes straight to etcd, and the refill follows its commit.

A reservation is only as good as the allocator's knowledge: when a
transaction fails on an allocator's guard, or a held reservation is dropped,
what is held goes and the next request is asked `fresh`."""
from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter
from typing import Awaitable, Callable

from alcor.v1 import common_pb2, ipam_pb2, ipam_pb2_grpc, mac_pb2, mac_pb2_grpc
from runtime import reservation
from runtime.reservation import BrokenChain
from runtime.clients import call
from runtime.errors import AlcorError, Contention, from_status_proto
from runtime.idempotency import Idempotency
from runtime.store import MAX_TXN_OPS, StoreConflict, Unit, merge
from svc_port.create_call import CreateCall, StaleNetwork
from svc_port.held import Chain, Held
from svc_port.store import PortStore

log = logging.getLogger("alcor.svc_port.reserved")

# Calls of more ports than this are bulks: they take the path that commits
# in as many transactions as they need.
MAX_PORTS = 8
# The most ports a transaction of this path holds: svc_dpm delivers the
# ports of a transaction this small at once (svc_dpm/delivery.URGENT_TXN_PORTS,
# the same number). Concurrent single creates (the gateway sends them in
# batches) share transactions up to it: 32 rather than 8 took a quarter more
# creates a second through the API.
TXN_PORTS = 32
# Rounds of reserve-and-commit before the remaining calls are told to retry.
ATTEMPTS = 20
# Held ahead: addresses per network (of each IP version it has), and MACs.
AHEAD_IPS = 1
AHEAD_MACS = 4
# Seconds after a commit before what it used is reserved again.
REFILL_DELAY = 0.002
# Networks addresses are held for, at most (each holds its next addresses).
HELD_NETWORKS = 1024


def operations(c: CreateCall, ip_call: ipam_pb2.AllocateIpsRequest, store: PortStore) -> tuple[int, int, int]:
    """At most how many (guards, writes) the call adds to a transaction,
    and its ports."""
    guards = writes = 1 if c.key else 0
    for p in c.ports:
        guards += 2 + bool(p.binding_host_id) + len(p.security_groups)
        writes += 1 + len(store.ports.index_keys(p))
    n_ips = len(ip_call.requests)
    # Per address a block and its subnet; per port a MAC block.
    return guards + 2 * n_ips + len(c.ports), writes + n_ips + len(c.ports), len(c.ports)


def chunks(sized: list[tuple[int, tuple[int, int, int]]],
           max_ports: int = TXN_PORTS) -> tuple[list[list[int]], list[int]]:
    """Calls (index, (guards, writes, ports)) packed in order into
    transactions of at most `max_ports` ports, and those that do not fit
    one alone. Small transactions are what svc_dpm delivers at once (a
    transaction of a few ports is someone's create, waited on); a full one
    it paces like a bulk's."""
    out: list[list[int]] = []
    alone: list[int] = []
    cur: list[int] = []
    g = w = n = 0
    for i, (cg, cw, cn) in sized:
        if cg > MAX_TXN_OPS or cw > MAX_TXN_OPS:
            alone.append(i)
            continue
        if cur and (g + cg > MAX_TXN_OPS or w + cw > MAX_TXN_OPS or n + cn > max_ports):
            out.append(cur)
            cur, g, w, n = [], 0, 0, 0
        cur.append(i)
        g, w, n = g + cg, w + cw, n + cn
    if cur:
        out.append(cur)
    return out, alone


def ip_purpose(c: CreateCall, port, requests) -> tuple | None:
    """What a port's address requests are, when a held reservation can
    serve them: the network's next address of each version it has."""
    if not requests or any(r.subnet_id or r.ip_address for r in requests):
        return None
    rev = c.networks[port.network_id].network.revision_number
    return (port.network_id, rev, tuple(r.ip_version for r in requests))


class ReservedCreates:
    def __init__(self, store: PortStore, ipam: ipam_pb2_grpc.IpamServiceStub,
                 macs: mac_pb2_grpc.MacServiceStub, idempotency: Idempotency,
                 forget_stale: Callable[[CreateCall, StoreConflict], bool],
                 replay: Callable[[bytes], Awaitable[list]]):
        self.store, self.ipam, self.macs = store, ipam, macs
        self.idempotency = idempotency
        self.forget_stale, self.replay = forget_stale, replay
        self.ips, self.mac_chain = Chain(), Chain()
        # This process's name for its chains: the allocators decide its
        # reservations on its own earlier ones, not on another replica's.
        self.chain_name = uuid.uuid4().hex
        # Reservations are asked one request at a time, in the order their
        # transactions commit: a batch's are decided on those before it.
        self._serving = asyncio.Lock()
        self._last_commit: asyncio.Future | None = None
        # Held reservations a batch in flight is to commit (ids): not for
        # another batch to take.
        self._in_use: set[int] = set()
        # Bumped whenever what is held is forgotten: an answer to a request
        # asked before that was decided on what is gone.
        self._epoch = 0

    async def create(self, calls: list[CreateCall], todo: list[int], ip_calls: dict, spans: dict,
                     out: list) -> None:
        """Creates the calls of `todo` (one transaction's worth), each
        succeeding or failing alone; outcomes go to `out`. Safe to run for
        several batches at once: each is served in turn, and commits in
        that order, while the next is served."""
        pending = list(todo)
        per_port = {i: _port_requests(ip_calls[i], spans[i]) for i in pending}
        # The MACs asked for, as asked: a round that fails leaves ports filled.
        asked_macs = {i: [p.mac_address for p in calls[i].ports] for i in pending}
        again: Counter[str] = Counter()  # why each round went round again
        for attempt in range(ATTEMPTS):
            if attempt:
                # Every reason to go round is another batch's work landing
                # (or an allocator replica failing over): give it time to.
                await asyncio.sleep(random.uniform(0, min(0.05, 0.0005 * 2 ** attempt)))
            async with self._serving:
                self._check_held(calls, pending, per_port, asked_macs)
                epoch = self._epoch
                try:
                    served = await self._serve(calls, pending, ip_calls, per_port, asked_macs, out)
                except _Outdated:
                    served = None
                pending = [i for i in pending if out[i] is None]
                if not pending:
                    return
                if served is None or epoch != self._epoch:
                    again["held reservations went"] += 1
                    continue
                ip_used, mac_used = served
                used_ips = self.ips.order([h for i in pending for h in ip_used[i]])
                used_macs = self.mac_chain.order([h for i in pending for h in mac_used[i]])
                used_ids = {id(h) for h in used_ips + used_macs}
                self._in_use |= used_ids
                turn, mine = self._last_commit, asyncio.get_running_loop().create_future()
                self._last_commit = mine
            try:
                if turn is not None:
                    await turn  # the batch served before this one has committed (or not)
                alive = {id(h) for h in self.ips.items + self.mac_chain.items}
                if not used_ids <= alive:
                    again["held reservations went before the commit"] += 1
                    continue
                for i in pending:
                    _fill(calls[i], spans[i], [a for h in ip_used[i] for a in h.got],
                          [m for h in mac_used[i] for m in h.got])
                await self._commit(calls, pending, used_ips + used_macs)
            except BrokenChain:
                again["reservations did not chain"] += 1
                self._forget_all()  # not decided one on the other: ask afresh
                continue
            except StoreConflict as e:
                again["commit conflict"] += 1
                self._forget_all()
                await self._sort_out(calls, pending, e, out)
                pending = [i for i in pending if out[i] is None]
                if not pending:
                    return
                continue
            finally:
                self._in_use -= used_ids
                if not mine.done():
                    mine.set_result(None)
            self.ips.committed(used_ips)
            self.mac_chain.committed(used_macs)
            for i in pending:
                out[i] = calls[i].ports
            asyncio.ensure_future(self._reserve_ahead(
                {h.purpose for h in used_ips if h.purpose is not None}))
            return
        log.warning("%d creates went round %d times (%s): ABORTED", len(pending), ATTEMPTS,
                    ", ".join(f"{why} {n}" for why, n in again.items()))
        for i in pending:
            out[i] = Contention("concurrent update, try again")

    # --- reserving -------------------------------------------------------------

    async def _serve(self, calls, pending, ip_calls, per_port, asked_macs, out):
        """Per pending call, the reservations that serve it: held ones, or
        asked for now (one request per allocator, with reservations ahead
        for the networks of this batch). Returns ({call: [Held] for its
        IPs}, {call: [Held] for its MACs}), or None when what is held could
        not be used in the order it was decided and went (try again)."""
        for chain in (self.ips, self.mac_chain):
            if chain.stale:
                chain.items = []  # the next request is fresh: it may hand these out again
        ip_used: dict[int, list[Held]] = {}
        mac_used: dict[int, list[Held]] = {}
        ask_ips, ask_macs = [], []
        taken: set[int] = set(self._in_use)  # a batch before this one commits those
        purposes = set()
        for i in pending:
            c = calls[i]
            helds: list[Held] = []
            whole = True
            for port, reqs in zip(c.ports, per_port[i]):
                if not reqs:
                    continue
                purpose = ip_purpose(c, port, reqs)
                if purpose is None:
                    whole = False
                    continue
                purposes.add(purpose)
                got = self.ips.take(purpose, 1, taken | {id(h) for h in helds})
                if got:
                    helds.append(got[0])
                else:
                    whole = False
            if whole:
                taken.update(id(h) for h in helds)
                ip_used[i] = helds
            else:
                ask_ips.append(i)
            got = self.mac_chain.take(None, len(c.ports), taken, prefix=True) \
                if not any(asked_macs[i]) else []
            if len(got) == len(c.ports):
                taken.update(id(h) for h in got)
                mac_used[i] = got
            else:
                ask_macs.append(i)
        # What is asked for now is decided after everything held: it can
        # commit only with all that was held before it on the same blocks.
        if (ask_macs and self.mac_chain.unused(taken)) or any(
                self.ips.unused(taken, p.network_id) for i in ask_ips for p in calls[i].ports):
            self._forget_all()
            return None
        if ask_ips or ask_macs:
            ip_ahead = self._ahead_for(purposes, taken)
            mac_ahead = max(0, AHEAD_MACS - self.mac_chain.count(None, taken))
            await self._ask(ask_ips, ask_macs, ip_calls, asked_macs, ip_used, mac_used, out,
                            ip_ahead, mac_ahead)
        # A call one allocator refused holds reservations of the other's:
        # they go, with whatever was decided on top of them.
        refused = [i for i in pending if out[i] is not None]
        self.ips.drop([h for i in refused for h in ip_used.get(i, ())])
        self.mac_chain.drop([h for i in refused for h in mac_used.get(i, ())])
        # What went (with those, or because an answer was decided fresh)
        # cannot serve: the calls it was to serve go round again.
        alive = {id(h) for h in self.ips.items + self.mac_chain.items}
        if any(id(h) not in alive for i in pending if out[i] is None
               for h in ip_used.get(i, []) + mac_used.get(i, [])):
            # Once more from nothing held, asked fresh: going round on what
            # is held could go round for ever on an allocator's stale view.
            self._forget_all()
            return None
        return ip_used, mac_used

    def _check_held(self, calls, pending, per_port, asked_macs) -> None:
        """A network whose revision changed, or a call asking for specific
        addresses of a network (or a specific MAC) while reservations of it
        are held: those reservations cannot all be used in the order they
        were decided, so what is held goes (the next request is fresh)."""
        for i in pending:
            c = calls[i]
            for port, reqs in zip(c.ports, per_port[i]):
                rev = c.networks[port.network_id].network.revision_number
                if self.ips.holds_other_revision_of(port.network_id, rev) or (
                        reqs and ip_purpose(c, port, reqs) is None
                        and self.ips.unused(self._in_use, port.network_id)):
                    self._forget_all()
            if any(asked_macs[i]) and self.mac_chain.unused(self._in_use):
                self._forget_all()

    async def _ask(self, ask_ips, ask_macs, ip_calls, asked_macs, ip_used, mac_used, out,
                   ip_ahead, mac_ahead) -> None:
        """One request per allocator for the calls not served by what is
        held, plus reservations ahead; refusals go to `out`."""
        ip_resp, mac_resp = await asyncio.gather(
            self._reserve_ips([ip_calls[i] for i in ask_ips], ip_ahead) if ask_ips else _none(),
            self._reserve_macs([asked_macs[i] for i in ask_macs], mac_ahead)
            if ask_macs else _none())
        for i, (o, held) in zip(ask_ips, ip_resp or ()):
            if held is None:
                out[i] = from_status_proto(o.error)
            else:
                ip_used[i] = [held]
        for i, (o, held) in zip(ask_macs, mac_resp or ()):
            if held is None:
                if out[i] is None:
                    out[i] = from_status_proto(o.error)
            else:
                mac_used[i] = [held]

    def _ahead_for(self, purposes, taken: set[int] = frozenset()) -> list[tuple]:
        """(purpose, request) for what to hold ahead for these purposes."""
        if self.ips.networks() >= HELD_NETWORKS:
            return []
        out = []
        for purpose in purposes:
            for _ in range(AHEAD_IPS - self.ips.count(purpose, taken)):
                net, _rev, versions = purpose
                out.append((purpose, ipam_pb2.AllocateIpsRequest(requests=[
                    ipam_pb2.IpRequest(network_id=net, ip_version=v) for v in versions])))
        return out

    async def _reserve_ips(self, asked: list, ahead: list) -> list[tuple]:
        """(outcome, Held or None) per asked call; those ahead are held."""
        request = ipam_pb2.ReserveIpsRequest(calls=asked + [r for _, r in ahead])
        resp = await self._request(self.ips, request, self.ipam.ReserveIps)
        return self._take_response(self.ips, resp, len(asked), [p for p, _ in ahead],
                                   lambda o: list(o.allocated.allocations))

    async def _reserve_macs(self, asked: list[list[str]], ahead: int) -> list[tuple]:
        request = mac_pb2.ReserveMacsRequest(calls=[
            mac_pb2.AllocateMacsRequest(requests=[mac_pb2.MacRequest(mac_address=m) for m in c])
            for c in asked + [[""]] * ahead])
        resp = await self._request(self.mac_chain, request, self.macs.ReserveMacs)
        return self._take_response(self.mac_chain, resp, len(asked), [None] * ahead,
                                   lambda o: list(o.allocated.mac_addresses))

    async def _request(self, chain: Chain, request, rpc):
        """One reservation request; fresh when the chain is stale (then
        nothing held survives it: a fresh decision may hand it out). Raises
        _Outdated when what is held was forgotten while it was asked."""
        chain.seq += 1
        request.fresh, request.chain, request.chain_seq = chain.stale, self.chain_name, chain.seq
        if request.fresh:
            chain.items = []
        epoch = self._epoch
        try:
            resp = await call(rpc(request))
        except BaseException:
            self._forget_all()  # it may have decided: its knowledge is off
            raise
        if epoch != self._epoch:
            raise _Outdated()
        chain.stale = False
        return resp

    @staticmethod
    def _take_response(chain: Chain, resp, n_asked: int, ahead_purposes: list, got_of):
        """Adds a response's reservations to the chain, in the order they
        were decided; returns (outcome, Held or None) per asked call."""
        if resp.fresh_keys:
            # Decided on etcd as it is, without what is held: held ones on
            # those keys may overlap these, and go.
            chain.without_keys(set(resp.fresh_keys))
        out, add = [], []
        for k, (o, r) in enumerate(zip(resp.outcomes, resp.reservations)):
            held = None
            if o.HasField("allocated"):
                held = Held(ahead_purposes[k - n_asked] if k >= n_asked else None, got_of(o),
                            reservation.to_unit(r))
                add.append(held)
            if k < n_asked:
                out.append((o, held))
        chain.add(add)
        return out

    def hold_for_new_networks(self, view) -> None:
        """Networks that get subnets (as watched) have their first addresses
        reserved ahead too, so even a network's first port finds them held."""
        def changed(network_ids: set[str]) -> None:
            purposes = set()
            for nid in network_ids:
                n = view.get(nid)
                if n is not None and n.subnets:
                    versions = tuple(sorted({s.ip_version for s in n.subnets}))
                    purposes.add((nid, n.network.revision_number, versions))
            if purposes:
                asyncio.ensure_future(self._reserve_ahead(purposes))
        view.listeners.append(changed)

    async def _reserve_ahead(self, purposes) -> None:
        """After a commit: refill what it used (one request per allocator,
        in turn with the batches'), once the commit's answers are on their
        way: asked at once, its requests would go out before them."""
        await asyncio.sleep(REFILL_DELAY)
        async with self._serving:
            ip_ahead = self._ahead_for(purposes)
            mac_ahead = max(0, AHEAD_MACS - self.mac_chain.count(None))
            try:
                await asyncio.gather(self._reserve_ips([], ip_ahead) if ip_ahead else _none(),
                                     self._reserve_macs([], mac_ahead) if mac_ahead else _none())
            except (_Outdated, AlcorError):
                pass  # held ahead only: the next create asks for itself

    def _forget_all(self) -> None:
        self.ips.forget()
        self.mac_chain.forget()
        self._epoch += 1

    # --- committing ------------------------------------------------------------

    async def _commit(self, calls, pending, used: list[Held]) -> None:
        units: list[Unit] = []
        for i in pending:
            c = calls[i]
            if c.key:
                units.append(await self.idempotency.record_unit(
                    c.key, "\n".join(p.id for p in c.ports).encode()))
            revisions = c.network_revisions()
            units += [self.store.create_unit(p, revisions[p.network_id]) for p in c.ports]
        units.append(reservation.compose([h.unit for h in used]))
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


class _Outdated(Exception):
    """What was held was forgotten while a reservation request was out."""


def _port_requests(ip_call: ipam_pb2.AllocateIpsRequest, cuts) -> list[list]:
    reqs = list(ip_call.requests)
    return [reqs[a:b] for a, b in cuts]


def _fill(c: CreateCall, cuts: list[tuple[int, int]], ips: list, macs: list[str]) -> None:
    for p, (a, b), mac in zip(c.ports, cuts, macs):
        del p.fixed_ips[:]
        p.fixed_ips.extend(common_pb2.FixedIp(subnet_id=x.subnet_id, ip_address=x.ip_address)
                           for x in ips[a:b])
        p.mac_address = mac


async def _none():
    return None

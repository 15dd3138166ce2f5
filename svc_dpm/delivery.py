"""Goal-state delivery: svc_dpm lists and watches ports, networks, subnets and
nodes, keeps each connected agent's host up to date over its stream, and turns
agents' reports into port status.

Level-triggered: a change only marks hosts dirty; a worker computes the
host's whole desired state from the snapshot and sends the difference from
what that stream was last sent. A host is never worked by two workers at
once (KeyedQueue), and a host hears from us at most once per min_interval
while changes keep coming, so a bulk create reaches each host in a bounded
number of messages however many ports it holds.

Durability: the desired state of every host is a pure function of what etcd
holds (the ports and what they reference), and a reconnecting agent states
the revision it applied: the delta from there is computed from etcd's own
history (a read at that revision), or a FULL state is sent when etcd has
compacted it. A restart of any process loses nothing."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from alcor.v1 import goalstate_pb2 as gs
from alcor.v1 import goalstate_pb2_grpc
from runtime import keys
from runtime.errors import InvalidInput
from runtime.store import Store
from runtime.watch import Change, _scan_at, list_and_watch
from runtime.workqueue import KeyedQueue
from svc_dpm.goalstate import (HostState, TableDeltas, compile_host, delta_message, full_message,
                               port_state)
from svc_dpm.snapshot import PORTS, PREFIXES, Snapshot
from svc_dpm.status import StatusWriter, from_resource_status

log = logging.getLogger("alcor.svc_dpm.delivery")


@dataclass
class AgentStream:
    host: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    sent: HostState | None = None
    sent_revision: int = 0
    messages: int = 0

    def close(self) -> None:
        self.queue.put_nowait(None)


class Delivery(goalstate_pb2_grpc.GoalStateServiceServicer):
    def __init__(self, store: Store, min_interval: float = 0.05, workers: int = 1):
        self.store = store
        self.snap = Snapshot()
        self.ready = asyncio.Event()
        self.queue = KeyedQueue()
        self.streams: dict[str, AgentStream] = {}
        self.status = StatusWriter(store)
        self.min_interval = min_interval
        self.workers = workers
        self._next_allowed: dict[str, float] = {}
        self._deferred: set[str] = set()
        # Hosts whose own ports changed: someone waits for those ports to be
        # ACTIVE, so they skip the per-host rate limit (which is there for
        # the fan-out: neighbor and member updates of other hosts' ports)
        # unless their last push skipped it too: a bulk binding many ports
        # to a host still reaches it in a bounded number of messages.
        self._urgent: set[str] = set()
        self._last_urgent: dict[str, float] = {}

    # --- the watch side ------------------------------------------------------

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        try:
            await list_and_watch(self.store, PREFIXES, self._on_snapshot, self._on_changes)
        finally:
            for t in tasks:
                t.cancel()

    async def _on_snapshot(self, listed, revision: int) -> None:
        self.snap = Snapshot.from_kvs(listed, revision)
        kvs, _ = await _scan_at(self.store, keys.PORT_STATUSES, revision)
        records = {kv.key.rsplit(b"/", 1)[1].decode(): gs.PortStatusRecord.FromString(kv.value)
                   for kv in kvs}
        self.status.known(records)
        stale = [pid for pid in records if pid not in self.snap.ports]
        if stale:
            asyncio.create_task(self.status.forget(stale))
        self.ready.set()
        self.queue.add_all(self.streams)  # re-sync every connected host

    async def _on_changes(self, changes: list[Change], revision: int) -> None:
        hosts, nets, deleted = self.snap.apply(changes, revision)
        for c in changes:
            if c.value is not None and c.key.startswith(PORTS):
                p = self.snap.ports.get(c.key[len(PORTS):].decode())
                if p is None or not p.binding_host_id:
                    continue
                # Built now, once: every compile of its host shares it, and a
                # host that connects later finds its ports ready.
                port_state(self.snap, p)
                if p.binding_host_id in self.streams:
                    self._urgent.add(p.binding_host_id)
        for n in nets:
            hosts |= self.snap.hosts_of_network(n)
        for h in hosts:
            if h in self.streams:
                self.queue.add(h)
        if deleted:
            asyncio.create_task(self.status.forget(deleted))

    async def _worker(self) -> None:
        """Rounds: take every dirty host, push to each, then pause so the
        watch can apply everything that landed meanwhile. A round's per-VPC
        neighbor deltas are computed once and shared by all its hosts."""
        while True:
            batch = await self.queue.get_batch()
            if self._urgent:
                # Hosts with new ports of their own first: someone waits on those.
                batch.sort(key=lambda h: h not in self._urgent)
            started = time.monotonic()
            deltas = TableDeltas()
            for host in batch:
                try:
                    wait = self._next_allowed.get(host, 0.0) - started
                    if host in self._urgent:
                        self._urgent.discard(host)
                        if started - self._last_urgent.get(host, -1e9) >= self.min_interval:
                            self._last_urgent[host] = started
                            wait = 0
                    if wait > 0:
                        # Rate-limit per host: one timer brings it back when allowed.
                        if host not in self._deferred:
                            self._deferred.add(host)
                            asyncio.get_running_loop().call_later(wait, self._undefer, host)
                        continue
                    self._push(host, deltas)
                except Exception:
                    log.exception("pushing goal state to %s", host)
                finally:
                    self.queue.done(host)
            # Let the watch catch up before the next round; a round that took
            # long waits in proportion, so rounds never outrun transactions.
            # (Not capped: a pause of min_interval after a round of seconds
            # left the watch one transaction further per round, and every
            # host got a message per transaction of a bulk create.)
            busy = time.monotonic() - started
            await asyncio.sleep(busy if busy > 0.002 else 0)

    def _undefer(self, host: str) -> None:
        self._deferred.discard(host)
        self.queue.add(host)

    def _push(self, host: str, deltas: TableDeltas) -> None:
        stream = self.streams.get(host)
        if stream is None or stream.sent is None:
            return
        new = compile_host(self.snap, host)
        msg = delta_message(host, stream.sent, new, stream.sent_revision, self.snap.revision, deltas)
        if msg is None:
            return
        stream.sent, stream.sent_revision = new, self.snap.revision
        stream.messages += 1
        self._next_allowed[host] = time.monotonic() + self.min_interval
        stream.queue.put_nowait(msg)

    # --- the agent side --------------------------------------------------------

    async def _initial(self, host: str, applied: int) -> tuple[gs.HostGoalState, HostState]:
        """A DELTA from the agent's applied revision when etcd still has that
        history; a FULL state otherwise."""
        if 0 < applied <= self.snap.revision:
            try:
                listed = {p: (await _scan_at(self.store, p, applied))[0] for p in PREFIXES}
                before = compile_host(Snapshot.from_kvs(listed, applied), host)
                now = compile_host(self.snap, host)
                msg = delta_message(host, before, now, applied, self.snap.revision)
                if msg is None:
                    msg = gs.HostGoalState(host_name=host, update_type=gs.UPDATE_TYPE_DELTA,
                                           revision=self.snap.revision, base_revision=applied)
                return msg, now
            except Exception as e:  # compacted (or unreadable): start over
                log.info("no history at %d for %s (%s): sending FULL", applied, host, e)
        now = compile_host(self.snap, host)
        return full_message(host, now, self.snap.revision), now

    async def StreamGoalStates(self, request_iterator, context):
        first = await request_iterator.__anext__()
        if first.WhichOneof("kind") != "hello" or not first.hello.host_name:
            raise InvalidInput("The first message on the stream must be a hello naming the host.")
        host = first.hello.host_name
        await self.ready.wait()
        stream = AgentStream(host)
        old = self.streams.get(host)
        if old is not None:
            old.close()  # the newest connection of a host wins
        self.streams[host] = stream
        reader = asyncio.create_task(self._read_reports(host, request_iterator))
        try:
            msg, state = await self._initial(host, first.hello.applied_revision)
            stream.sent, stream.sent_revision = state, msg.revision
            stream.messages += 1
            self.queue.add(host)  # anything that changed while we computed
            yield gs.StreamGoalStatesResponse(goal_state=msg)
            while True:
                done = asyncio.ensure_future(stream.queue.get())
                await asyncio.wait({done, reader}, return_when=asyncio.FIRST_COMPLETED)
                if not done.done():
                    done.cancel()
                    return  # the agent hung up
                msg = done.result()
                if msg is None:
                    return
                yield gs.StreamGoalStatesResponse(goal_state=msg)
        finally:
            reader.cancel()
            if self.streams.get(host) is stream:
                del self.streams[host]

    async def _read_reports(self, host: str, request_iterator) -> None:
        async for req in request_iterator:
            if req.WhichOneof("kind") != "report":
                continue
            reports = [r for r in (from_resource_status(host, s) for s in req.report.statuses) if r]
            # Only ports currently bound to this host may be made ACTIVE by it.
            reports = [r for r in reports
                       if (p := self.snap.ports.get(r.port_id)) is not None and p.binding_host_id == host]
            if reports:
                await self.status.report(reports)

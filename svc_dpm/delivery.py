"""Goal-state delivery: svc_dpm lists and watches ports, networks, subnets and
nodes, keeps each connected agent's host up to date over its stream, and turns
agents' reports into port status.

Level-triggered: a change only marks hosts dirty; a worker computes the
host's whole desired state from the snapshot and sends the difference from
what that stream was last sent. A host is never worked by two workers at
once (KeyedQueue). A host's pushes are paced on two tracks: changes of its
own ports (someone waits for them to be ACTIVE) and the fan-out of other
hosts' changes (neighbors, members). On each track, after a push the host
waits an interval that starts at min_interval and grows fourfold up to
MAX_INTERVAL while pushes keep coming, and starts over once the track has
been quiet. So a host's own new port goes out at once unless its own ports
are part of a burst, and fan-out never delays it.

A bulk create (transactions of more than URGENT_TXN_PORTS ports) is held on
the fan-out track while it lands: no host hears of it until no bulk
transaction has come for SETTLE seconds, or until MAX_INTERVAL after the bulk
began or after the host's last push, whichever is later. So each host gets
one message per bulk (one per MAX_INTERVAL of a longer one) with all its new
ports and neighbors, not a message per round while etcd still takes the
rest, and those rounds no longer take the CPU the writes need.

Durability: the desired state of every host is a pure function of what etcd
holds (the ports and what they reference), and a reconnecting agent states
the revision it applied: the delta from there is computed from etcd's own
history (a read at that revision), or a FULL state is sent when etcd has
compacted it. A restart of any process loses nothing."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc

from alcor.v1 import goalstate_pb2 as gs
from alcor.v1 import goalstate_pb2_grpc
from runtime import keys
from runtime.errors import InvalidInput
from runtime.store import Store
from runtime.watch import Change, _scan_at, list_and_watch
from runtime.workqueue import KeyedQueue
from svc_dpm.goalstate import (HostState, TableDeltas, compile_host, delta_message, delta_response,
                               full_message, port_state)
from svc_dpm.snapshot import PORTS, PREFIXES, Snapshot
from svc_dpm.status import StatusWriter, from_resource_status

log = logging.getLogger("alcor.svc_dpm.delivery")

# Pacing of a host's pushes while changes keep coming (see the module doc).
PACE_GROWTH = 4
MAX_INTERVAL = 2.0
OWN_QUIET = 1.0  # seconds without a push of its own ports: a new one goes at once
# At most this many ports in a transaction: single creates, not a bulk's
# (svc_port/reserved.TXN_PORTS packs them up to it).
URGENT_TXN_PORTS = 32
SETTLE = 0.2  # seconds without watched changes that end pacing
FAN_QUIET = 3.0
ROUND_SLICE = 0.002  # seconds of a round's pushes between turns of the event loop
TAKEN_WAIT = 0.005  # at most this long for urgent messages to be taken by their streams


@dataclass
class AgentStream:
    host: str
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    sent: HostState | None = None
    sent_revision: int = 0
    messages: int = 0
    # Set when the stream takes its next message to send.
    taken: asyncio.Event = field(default_factory=asyncio.Event)

    def close(self) -> None:
        self.queue.put_nowait(None)


def encoded_response(response) -> bytes:
    """The stream's serializer: pushed deltas are encoded already."""
    return response if isinstance(response, bytes) else response.SerializeToString()


def add_GoalStateServiceServicer_to_server(delivery: "Delivery", server) -> None:
    """The generated registration's twin, with responses that are encoded
    as they are queued passed through (mesh.callgraph reads the name)."""
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "alcor.v1.GoalStateService", {"StreamGoalStates": grpc.stream_stream_rpc_method_handler(
            delivery.StreamGoalStates, request_deserializer=gs.StreamGoalStatesRequest.FromString,
            response_serializer=encoded_response)}),))


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
        self._deferred: set[str] = set()
        # Pacing is for while changes keep coming: once the watch has been
        # quiet for SETTLE seconds, deferred hosts are pushed at once (the
        # end of a bulk reaches every host without waiting out its interval).
        self._last_change = 0.0
        self._flushed: set[str] = set()
        # Per track and host: (current interval, last push on that track).
        self._own: dict[str, tuple[float, float]] = {}
        self._fan: dict[str, tuple[float, float]] = {}
        # Hosts whose own ports changed since their last push.
        self._urgent: set[str] = set()
        # Whether a bulk is landing (its last transaction came less than
        # SETTLE ago), since when, and when its last transaction came.
        self._bulk_landing = False
        self._bulk_since = self._bulk_last = 0.0

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
        if changes:
            self._last_change = time.monotonic()
            asyncio.get_running_loop().call_later(SETTLE, self._flush_if_quiet)
        hosts, nets, deleted = self.snap.apply(changes, revision)
        per_txn = Counter(c.mod_revision for c in changes if c.key.startswith(PORTS))
        if any(n > URGENT_TXN_PORTS for n in per_txn.values()):
            self._bulk_last = time.monotonic()
            if not self._bulk_landing:
                self._bulk_landing, self._bulk_since = True, self._bulk_last
            asyncio.get_running_loop().call_later(SETTLE, self._end_bulk_if_landed)
        for c in changes:
            if c.value is not None and c.key.startswith(PORTS):
                p = self.snap.ports.get(c.key[len(PORTS):].decode())
                if p is None or not p.binding_host_id:
                    continue
                # Built now, once: every compile of its host shares it, and a
                # host that connects later finds its ports ready.
                port_state(self.snap, p)
                # A port of a small transaction is someone's single create,
                # waited on; a bulk's ports arrive 128 a transaction and go
                # with the fan-out, held until the bulk has landed.
                if p.binding_host_id in self.streams and per_txn[c.mod_revision] <= URGENT_TXN_PORTS:
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
            deltas = TableDeltas(self.snap.members_log)
            urgent = self._urgent.intersection(batch)
            mark = started
            for k, host in enumerate(batch):
                if k and batch[k - 1] in urgent and host not in urgent:
                    # The hosts with new ports of their own went first; their
                    # streams take those messages before the fan-out is
                    # computed (taking one is a few turns of the event loop,
                    # and a round of a thousand hosts takes milliseconds).
                    await self._taken([h for h in batch[:k] if h in urgent])
                    mark = time.monotonic()
                elif k and time.monotonic() - mark > ROUND_SLICE:
                    # Agents' reports (statuses someone waits for) come in
                    # between slices of a long round.
                    await asyncio.sleep(0)
                    mark = time.monotonic()
                try:
                    own = host in self._urgent
                    track = self._own if own else self._fan
                    interval, last = track.get(host, (0.0, -1e9))
                    wait = last + interval - started
                    if not own and self._bulk_landing:
                        wait = max(wait, max(last, self._bulk_since) + MAX_INTERVAL - started)
                    if host in self._flushed:
                        self._flushed.discard(host)
                        wait = 0
                    if wait > 0:
                        # Rate-limit per host: one timer brings it back when allowed.
                        if host not in self._deferred:
                            self._deferred.add(host)
                            asyncio.get_running_loop().call_later(wait, self._undefer, host)
                        continue
                    if self._push(host, deltas):
                        self._urgent.discard(host)
                        self._pace(track, host, started, OWN_QUIET if own else FAN_QUIET)
                except Exception:
                    log.exception("pushing goal state to %s", host)
                finally:
                    self.queue.done(host)
            # Let the watch catch up before the next round; a round that took
            # long waits in proportion, so rounds never outrun transactions.
            # (Not capped: a pause of min_interval after a round of seconds
            # left the watch one transaction further per round, and every
            # host got a message per transaction of a bulk create.)
            await self._pause(started)

    async def _pause(self, started: float) -> None:
        """As long as the round took, while the watch keeps bringing changes;
        not at all once it has been quiet for SETTLE (a round of seconds at
        the end of a bulk was followed by as many seconds of doing nothing)."""
        deadline = time.monotonic() + (time.monotonic() - started)
        while (now := time.monotonic()) < deadline - 0.002:
            if now - self._last_change >= SETTLE:
                break
            await asyncio.sleep(min(deadline - now, SETTLE / 4))
        await asyncio.sleep(0)

    def _flush_if_quiet(self) -> None:
        if time.monotonic() - self._last_change < SETTLE * 0.99:
            return  # more came since: a later timer checks again
        self._bulk_landing = False
        self._flush()

    def _end_bulk_if_landed(self) -> None:
        """Ends a bulk SETTLE seconds after its last transaction, even while
        other changes keep coming, and pushes what it held."""
        if self._bulk_landing and time.monotonic() - self._bulk_last >= SETTLE * 0.99:
            self._bulk_landing = False
            self._flush()

    def _flush(self) -> None:
        for host in list(self._deferred):
            self._deferred.discard(host)
            self._flushed.add(host)
            self.queue.add(host)

    def _undefer(self, host: str) -> None:
        self._deferred.discard(host)
        self.queue.add(host)

    async def _taken(self, hosts: list[str]) -> None:
        waits = [asyncio.ensure_future(s.taken.wait()) for h in hosts
                 if (s := self.streams.get(h)) is not None and not s.taken.is_set()]
        if waits:
            await asyncio.wait(waits, timeout=TAKEN_WAIT)
            for w in waits:
                w.cancel()

    def _push(self, host: str, deltas: TableDeltas) -> bool:
        """Sends the host what changed; False when nothing did (or no stream)."""
        stream = self.streams.get(host)
        if stream is None or stream.sent is None:
            return False
        new = compile_host(self.snap, host)
        msg = delta_response(host, stream.sent, new, stream.sent_revision, self.snap.revision, deltas)
        if msg is None:
            return False
        stream.sent, stream.sent_revision = new, self.snap.revision
        stream.messages += 1
        stream.taken.clear()
        stream.queue.put_nowait(msg)
        return True

    def _pace(self, track: dict, host: str, now: float, quiet: float) -> None:
        interval, last = track.get(host, (0.0, -1e9))
        if now - last > quiet:
            interval = self.min_interval  # the track was quiet: start over
        else:
            interval = min(max(interval, self.min_interval) * PACE_GROWTH, MAX_INTERVAL)
        track[host] = (interval, now)

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
        reader = asyncio.create_task(self._read_reports(host, request_iterator, stream))
        try:
            msg, state = await self._initial(host, first.hello.applied_revision)
            stream.sent, stream.sent_revision = state, msg.revision
            stream.messages += 1
            self.queue.add(host)  # anything that changed while we computed
            yield gs.StreamGoalStatesResponse(goal_state=msg)
            while True:
                # One queue ends the stream too (the reader closes it when the
                # agent hangs up): no future and wait per message pushed.
                msg = await stream.queue.get()
                if msg is None:
                    return
                stream.taken.set()
                yield msg  # encoded already (see encoded_response)
        finally:
            reader.cancel()
            if self.streams.get(host) is stream:
                del self.streams[host]

    async def _read_reports(self, host: str, request_iterator, stream: AgentStream) -> None:
        try:
            async for req in request_iterator:
                if req.WhichOneof("kind") != "report":
                    continue
                reports = [r for r in (from_resource_status(host, s) for s in req.report.statuses)
                           if r]
                # Only ports currently bound to this host may be made ACTIVE by it.
                reports = [r for r in reports if (p := self.snap.ports.get(r.port_id)) is not None
                           and p.binding_host_id == host]
                if reports:
                    await self.status.report(reports)
        finally:
            stream.close()  # the agent hung up (or its stream failed): end ours

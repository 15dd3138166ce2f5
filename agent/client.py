"""The agent's side of GoalStateService.StreamGoalStates.

The agent dials svc_dpm and keeps one bidirectional stream open. It first
sends a hello with the revision it last applied (0 on a fresh start, which
the controller answers with a FULL state); then, for every goal state it
receives, it updates its desired state (agent.model), reconciles the host
through its driver and answers with a ProgrammingReport for that revision:
a status for every entry the message carried (SUCCESS is what makes a port
ACTIVE; resources that were not programmed say why) and for every entry whose
status changed since the last report.

Goal states that arrive while a reconcile runs are applied together and
reconciled once; each still gets its own report. A DELTA that does not apply
on top of the applied revision is answered with OUT_OF_ORDER statuses, and
the agent reconnects saying it has applied nothing, to get a FULL state.
When the stream breaks it reconnects with a capped, jittered backoff.

Independently of the stream, the agent re-reconciles every `resync_seconds`
to repair drift (somebody deleted an entry by hand); when that changes a
status, it sends a report for the applied revision. Before the first goal
state arrives it reconciles nothing, so a restarting agent never tears the
host down while it waits for the controller.

`Agent` holds no thread and no socket besides the stream: hundreds of them
run in one process for scale tests (see `run_agent`).
"""
from __future__ import annotations

import asyncio
import logging
import random
import time

import grpc

from agent.dataplane import DataPlane, Outcome, Status
from agent.model import (EMPTY, HostState, InvalidGoalState, Kind, OutOfOrder,
                         apply_goal_state, entry_ids)
from alcor.v1 import goalstate_pb2 as gs_pb2
from alcor.v1 import goalstate_pb2_grpc
from runtime.clients import channel

log = logging.getLogger("alcor.agent")

_END = object()  # the stream ended
_STOP = object()  # the agent is stopping


async def _put_when_set(event: asyncio.Event, queue: asyncio.Queue) -> None:
    await event.wait()
    queue.put_nowait(_STOP)


class Backoff:
    """Delays between reconnects: doubling from `initial` up to `cap`, with
    +-20% jitter so a fleet of agents does not reconnect in lockstep."""

    def __init__(self, initial: float = 0.2, cap: float = 3.0):
        self.initial = initial
        self.cap = cap
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = self.initial


def _answer_all(msg: gs_pb2.HostGoalState, status: Status, reason: str) -> gs_pb2.ProgrammingReport:
    """A report giving every entry of `msg` the same status."""
    return gs_pb2.ProgrammingReport(revision=msg.revision, statuses=[
        gs_pb2.ResourceStatus(type=kind, id=id_, status=status, reason=reason, revision=rev)
        for kind, id_, rev in entry_ids(msg)])


def _signature(outcomes: list[Outcome]) -> frozenset:
    return frozenset((o.kind, o.id, o.status, o.reason) for o in outcomes)


class Agent:
    def __init__(self, host_name: str, driver: DataPlane, resync_seconds: float = 10.0,
                 backoff: Backoff | None = None):
        self.host_name = host_name
        self.driver = driver
        self.resync_seconds = resync_seconds
        self.backoff = backoff or Backoff()
        self.state: HostState = EMPTY
        # Nothing is reconciled before the first goal state.
        self.has_goal_state = False
        # After an out-of-order DELTA: say "nothing applied" on reconnect.
        self.resync_wanted = False
        self.reconciles = 0
        self.last_outcomes: list[Outcome] = []
        self.last_reconcile_seconds = 0.0
        self._reported: frozenset | None = None
        self._reconcile_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._call = None

    @property
    def applied_revision(self) -> int:
        return self.state.revision

    # --- the work ----------------------------------------------------------

    async def _reconcile(self) -> list[Outcome]:
        """Runs the driver on the current state; the caller holds the lock."""
        started = time.perf_counter()
        try:
            outcomes = await self.driver.reconcile(self.state)
        except Exception as e:  # a driver bug must not kill the agent
            log.exception("%s: reconcile failed", self.host_name)
            outcomes = [Outcome(Kind.PORT, p.id, Status.FAILURE, f"agent error: {e}", 0,
                                p.revision) for p in self.state.ports.values()]
        self.last_reconcile_seconds = time.perf_counter() - started
        self.reconciles += 1
        self.last_outcomes = outcomes
        return outcomes

    async def handle_goal_states(self, batch: list[gs_pb2.HostGoalState]
                                 ) -> list[gs_pb2.ProgrammingReport]:
        """Applies `batch` in order, reconciles once, and returns the reports
        to send: one per message refused, and one for the messages applied
        (at the last one's revision) when it has a status to give. Sets
        `resync_wanted` on an out-of-order DELTA; what follows it in the
        batch is answered OUT_OF_ORDER too."""
        async with self._reconcile_lock:
            answers: list[gs_pb2.ProgrammingReport | None] = []
            applied = None  # the index of the last message applied
            for msg in batch:
                if self.resync_wanted and msg.update_type != gs_pb2.UPDATE_TYPE_FULL:
                    answers.append(_answer_all(msg, Status.OUT_OF_ORDER,
                                               "agent is waiting for a FULL state"))
                    continue
                try:
                    self.state = apply_goal_state(self.state, msg, consume=True)
                except OutOfOrder as e:
                    log.warning("%s: %s; asking for a FULL state", self.host_name, e)
                    self.resync_wanted = True
                    answers.append(_answer_all(msg, Status.OUT_OF_ORDER, str(e)))
                    continue
                except InvalidGoalState as e:
                    answers.append(_answer_all(msg, Status.INVALID_ARG, str(e)))
                    continue
                if msg.update_type == gs_pb2.UPDATE_TYPE_FULL:
                    self.resync_wanted = False
                self.has_goal_state = True
                applied = len(answers)
                answers.append(None)
            if applied is None:
                return answers  # type: ignore[return-value]
            outcomes = await self._reconcile()
            signature = _signature(outcomes)
            changed = signature - (self._reported or frozenset())
            self._reported = signature
            # Each message hears about its own entries, and about whatever
            # else changed status: a neighbor update to a host of 1,000 ports
            # is answered in a few bytes, not with 1,000 unchanged statuses.
            if any(msg.update_type == gs_pb2.UPDATE_TYPE_FULL for msg in batch):
                statuses = [o.to_proto() for o in outcomes]  # a FULL state carries everything
            else:
                # Nearly every outcome is a port's: name the message's ports
                # first, and walk its other entries (thousands of neighbors)
                # only when an outcome of another kind needs them.
                carried = {(Kind.PORT, p.id) for msg in batch for p in msg.ports}
                if any(o.kind is not Kind.PORT for o in outcomes):
                    carried |= {(kind, id_) for msg in batch for kind, id_, _ in entry_ids(msg)}
                statuses = [o.to_proto() for o in outcomes if (o.kind, o.id) in carried
                            or (o.kind, o.id, o.status, o.reason) in changed]
            # The messages applied share one report, placed where the last of
            # them was. None at all when there is nothing to tell: a neighbor
            # update to a host, the most common message by far, changes no
            # status, and svc_dpm waits on statuses, not on revisions.
            if statuses:
                answers[applied] = gs_pb2.ProgrammingReport(revision=batch[applied].revision,
                                                            statuses=statuses)
            return [a for a in answers if a is not None]

    async def resync(self) -> gs_pb2.ProgrammingReport | None:
        """Reconciles the current state again; returns a report when a status
        changed since the last report, else None."""
        if not self.has_goal_state:
            return None
        async with self._reconcile_lock:
            outcomes = await self._reconcile()
            signature = _signature(outcomes)
            if signature == self._reported:
                return None
            self._reported = signature
            return gs_pb2.ProgrammingReport(revision=self.state.revision,
                                            statuses=[o.to_proto() for o in outcomes])

    async def _resync_loop(self) -> None:
        while True:
            failing = any(o.status == Status.FAILURE for o in self.last_outcomes)
            # Failures are retried sooner than the drift check runs.
            await asyncio.sleep(min(self.resync_seconds, 1.0) if failing else self.resync_seconds)
            report = await self.resync()
            if report is not None:
                await self._send(report)

    # --- the stream -------------------------------------------------------------

    async def _send(self, report: gs_pb2.ProgrammingReport) -> None:
        call = self._call
        if call is None:
            return  # every new stream starts with the current statuses anyway
        try:
            async with self._write_lock:
                await call.write(gs_pb2.StreamGoalStatesRequest(report=report))
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError) as e:
            log.debug("%s: report %d not sent: %s", self.host_name, report.revision, e)

    async def _half_close(self, call) -> None:
        """Ends our side of the stream and gives the controller a moment to
        take the reports already written: cancelling at once could drop
        them in flight."""
        try:
            async with self._write_lock:
                await call.done_writing()
            await asyncio.wait_for(call.code(), timeout=1.0)
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError,
                asyncio.TimeoutError):
            pass

    @staticmethod
    async def _read(call, queue: asyncio.Queue) -> None:
        try:
            while True:
                msg = await call.read()
                if msg is grpc.aio.EOF:
                    break
                queue.put_nowait(msg.goal_state)
        except Exception as e:  # noqa: BLE001 - handed to the session, which logs it
            queue.put_nowait(e)
        finally:
            queue.put_nowait(_END)

    async def _session(self, stub: goalstate_pb2_grpc.GoalStateServiceStub,
                       stop: asyncio.Event) -> bool:
        """One stream, until it ends, `stop` is set or a resync is wanted.
        Returns whether any goal state was applied."""
        progressed = False
        hello_revision = 0 if self.resync_wanted else self.applied_revision
        call = stub.StreamGoalStates()
        # Everything the session waits for arrives on one queue: goal states,
        # the stream's end or error (from the reader), and the stop signal.
        queue: asyncio.Queue = asyncio.Queue()
        reader = asyncio.create_task(self._read(call, queue))
        stopper = asyncio.create_task(_put_when_set(stop, queue))
        try:
            await call.write(gs_pb2.StreamGoalStatesRequest(hello=gs_pb2.AgentHello(
                host_name=self.host_name, applied_revision=hello_revision)))
            self._call = call
            log.info("%s: connected, applied revision %d", self.host_name, hello_revision)
            if self.has_goal_state and not self.resync_wanted:
                # Statuses may have changed while no stream was up (a resync
                # repaired something), and a write that "succeeded" on a
                # dying stream proves nothing: restate them on every stream.
                await self._send(gs_pb2.ProgrammingReport(
                    revision=self.state.revision,
                    statuses=[o.to_proto() for o in self.last_outcomes]))
            while True:
                items = [await queue.get()]
                items += [queue.get_nowait() for _ in range(queue.qsize())]
                if _STOP in items:
                    return progressed
                batch = [i for i in items if isinstance(i, gs_pb2.HostGoalState)]
                if batch:
                    for report in await self.handle_goal_states(batch):
                        await self._send(report)
                    progressed = progressed or not self.resync_wanted
                for item in items:
                    if isinstance(item, grpc.aio.AioRpcError):
                        log.warning("%s: stream failed: %s %s", self.host_name, item.code(),
                                    item.details())
                    elif isinstance(item, Exception):
                        log.warning("%s: stream failed: %r", self.host_name, item)
                if _END in items:
                    return progressed
                if self.resync_wanted:
                    await self._half_close(call)
                    return progressed
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError, grpc.aio.UsageError) as e:
            log.warning("%s: stream failed: %s", self.host_name, e)
            return progressed
        finally:
            self._call = None
            call.cancel()
            reader.cancel()
            stopper.cancel()

    async def run(self, dpm_addr: str, stop: asyncio.Event) -> None:
        """Serves the host until `stop` is set; the data plane stays as
        programmed afterwards."""
        resyncer = asyncio.create_task(self._resync_loop())
        ch = channel(dpm_addr)
        try:
            stub = goalstate_pb2_grpc.GoalStateServiceStub(ch)
            while not stop.is_set():
                if await self._session(stub, stop):
                    self.backoff.reset()
                if stop.is_set():
                    break
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.backoff.next())
                except asyncio.TimeoutError:
                    pass
        finally:
            resyncer.cancel()
            await asyncio.gather(resyncer, return_exceptions=True)
            await ch.close()


async def run_agent(host_name: str, dpm_addr: str, driver: DataPlane, stop_event: asyncio.Event,
                    resync_seconds: float = 10.0) -> Agent:
    """Runs one host's agent until `stop_event` is set; returns it (with its
    final state) for inspection. Many can run side by side in one loop."""
    agent = Agent(host_name, driver, resync_seconds)
    await agent.run(dpm_addr, stop_event)
    return agent

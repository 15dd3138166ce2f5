"""Concurrent requests of one route coalesced into calls of its batch twin
(gateway.routes.BatchTwin).

Single POSTs that arrive while earlier ones are in flight go together in one
call, so the service pays one RPC for them instead of one each: under load,
the per-call cost of gRPC is most of what the gateway and svc_port spend on
a single create. Nothing waits for company: a request that finds a free slot
goes at once, on the route's own method, exactly as it would without
coalescing, so sequential requests see no change. Each request keeps what
its own call would have carried (deadline, request id, project, roles,
idempotency key, trace context) and gets its own outcome back.

A request that carries a list (a bulk) always goes on its own: it is atomic
and long, and single requests must not queue behind it.
"""
from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from opentelemetry import context as otel_context

from gateway.errors import HttpError, from_status
from gateway.routes import BatchTwin
from runtime import context, tracing
from runtime.batcher import GroupCommit
from runtime.context import IDEMPOTENCY_KEY


@dataclass(slots=True)
class _Call:
    request: Message
    deadline: float  # on the event loop's clock
    idempotency_key: str
    rc: context.RequestContext
    trace: otel_context.Context


def _keyed(key: str) -> tuple[tuple[str, str], ...] | None:
    return ((IDEMPOTENCY_KEY, key),) if key else None


def is_bulk(request: Message) -> bool:
    """Whether the request carries a list (a bulk of resources)."""
    return any(fd.is_repeated for fd, _ in request.ListFields())


def batch_key(keys: list[str]) -> str:
    """The batch call's own idempotency key, only when every call in it has
    one: the mesh then retries it like any keyed call, and each call, replayed
    by its own key, returns its first outcome. One call without a key makes
    the batch unsafe to retry after it reached the service."""
    if not keys or not all(keys):
        return ""
    return "batch-" + hashlib.sha256("\n".join(keys).encode()).hexdigest()[:40]


def deadline_exceeded() -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, grpc.aio.Metadata(),
                                grpc.aio.Metadata(), details="Deadline Exceeded")


class Coalescer:
    """`call` is the route's call. Raises what a call of its own would (an
    AioRpcError), or the HttpError of its outcome in a batch."""

    def __init__(self, single, batch, twin: BatchTwin, max_batch: int = 64, overlap: int = 4):
        self._single, self._batch, self._twin = single, batch, twin
        # Up to `overlap` calls in flight; requests that come meanwhile queue
        # and go together in the next one.
        self._commit = GroupCommit(self._handle, max_batch=max_batch, overlap=overlap)
        self.batches = 0  # batch calls made (stats and tests)
        self.coalesced = 0  # requests that went in them

    async def call(self, request: Message, *, timeout: float, idempotency_key: str = ""):
        if is_bulk(request):
            return await self._single(request, timeout=timeout, metadata=_keyed(idempotency_key))
        loop = asyncio.get_running_loop()
        c = _Call(request, loop.time() + timeout, idempotency_key, context.current(),
                  otel_context.get_current())
        try:
            # A batch's deadline is its longest call's: each request still
            # ends at its own (and a call of its own, by gRPC, at the same).
            async with asyncio.timeout(timeout):
                return await self._commit.submit(c)
        except TimeoutError:
            raise deadline_exceeded() from None

    async def _handle(self, calls: list[_Call]):
        # An awaitable of the outcomes: the group commit sends the next
        # batch while this one is in flight.
        return self._send(calls)

    async def _send(self, calls: list[_Call]) -> list:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if any(c.deadline <= now for c in calls):
            # Their callers have had their 504: what nobody waits for is not created.
            live = [c for c in calls if c.deadline > now]
            sent = iter(await self._send(live) if live else ())
            return [next(sent) if c.deadline > now else deadline_exceeded() for c in calls]
        if len(calls) == 1:
            return [await self._one(calls[0])]
        twin = self._twin
        request = twin.request_cls(calls=[twin.call_cls(
            request=c.request, metadata=self._metadata_of(c)) for c in calls])
        # The batch call is nobody's in particular; it joins the first
        # request's trace, and each call carries its own trace context.
        context.activate(context.RequestContext(request_id=f"batch-{uuid.uuid4().hex}", roles=()))
        otel_context.attach(calls[0].trace)
        timeout = max(c.deadline for c in calls) - loop.time()
        key = batch_key([c.idempotency_key for c in calls])
        try:
            response = await self._batch(request, timeout=max(timeout, 0.001), metadata=_keyed(key))
        except grpc.aio.AioRpcError as e:
            if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                # A service without the twin (an older one, mid grey release).
                return list(await asyncio.gather(*(self._one(c) for c in calls)))
            return [e] * len(calls)
        self.batches += 1
        self.coalesced += len(calls)
        if len(response.outcomes) != len(calls):
            return [HttpError(502, "HTTPBadGateway", "The service answered a batch of "
                              f"{len(calls)} calls with {len(response.outcomes)} outcomes.")] * len(calls)
        return [from_status(o.error) if o.WhichOneof("result") == "error" else getattr(o, twin.result)
                for o in response.outcomes]

    async def _one(self, c: _Call):
        """A call of its own, as the route would make it without coalescing
        (each runs in a task of its own: the contexts set here stay in it)."""
        context.activate(c.rc)
        otel_context.attach(c.trace)
        timeout = c.deadline - asyncio.get_running_loop().time()
        if timeout <= 0:
            return deadline_exceeded()
        try:
            return await self._single(c.request, timeout=timeout, metadata=_keyed(c.idempotency_key))
        except grpc.aio.AioRpcError as e:
            return e

    @staticmethod
    def _metadata_of(c: _Call) -> dict[str, str]:
        """What the client interceptor would have sent with the call's own."""
        token = otel_context.attach(c.trace)
        try:
            md = dict(c.rc.metadata() + tracing.inject())
        finally:
            otel_context.detach(token)
        if c.idempotency_key:
            md[IDEMPOTENCY_KEY] = c.idempotency_key
        return md

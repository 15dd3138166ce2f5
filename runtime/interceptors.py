"""The interceptors every server and client uses.

Server side, one wrapper around each handler: activate the request context
from metadata, open a SERVER span joined to the caller's trace, and turn
domain errors into a gRPC status with ErrorInfo. Nothing else in a service
builds a gRPC status.

Client side: forward request id, project, roles and trace context; give calls
without a deadline the default one.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

import grpc
from opentelemetry import trace

from runtime import context, tracing
from runtime.errors import AlcorError, Contention, to_status, to_status_proto
from runtime.store import StoreConflict

log = logging.getLogger("alcor.rpc")


async def _abort(ctx: grpc.aio.ServicerContext, err: AlcorError):
    await ctx.abort_with_status(to_status(err))


@contextlib.contextmanager
def _serving(method: str, metadata: Mapping[str, str]):
    """A unary call being served: its caller's context (from `metadata`)
    current, inside a SERVER span in its caller's trace."""
    token = context.activate(context.from_metadata(metadata))
    try:
        with tracing.tracer().start_as_current_span(
            method, context=tracing.extract(metadata.items()), kind=trace.SpanKind.SERVER
        ):
            yield
    finally:
        context.reset(token)


def _wrap_unary(behavior, method: str):
    async def handler(request, ctx: grpc.aio.ServicerContext):
        with _serving(method, dict(ctx.invocation_metadata() or ())):
            try:
                return await behavior(request, ctx)
            except (grpc.aio.AbortError, asyncio.CancelledError):
                raise
            except Exception as e:
                await _abort(ctx, _domain_error(method, e))

    return handler


def _domain_error(method: str, e: Exception) -> AlcorError:
    """What a failed call answers; call it where `e` is being handled."""
    if isinstance(e, AlcorError):
        log.debug("%s: %s", method, e)
        return e
    if isinstance(e, StoreConflict):
        log.debug("%s: a conflict no retry resolved", method, exc_info=True)
        return Contention("concurrent update, try again")
    # A bug, not a user error: log it whole, answer INTERNAL without
    # leaking internals.
    log.exception("%s failed", method)
    return AlcorError("internal error")


async def as_own_call(behavior, request, metadata: Mapping[str, str], method: str,
                      ctx: grpc.aio.ServicerContext):
    """Runs one call of a batch (see PortService.CreatePortsBatch) as the
    server wrapper runs a call of its own with `metadata`: its caller's
    context, a SERVER span in its caller's trace, and its failure as the
    google.rpc.Status a call of its own would have ended with. Returns the
    response or that status."""
    with _serving(method, dict(metadata)):
        try:
            return await behavior(request, ctx)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            return to_status_proto(_domain_error(method, e))


def _wrap_stream(behavior, method: str):
    async def handler(request_or_iterator, ctx: grpc.aio.ServicerContext):
        md = ctx.invocation_metadata() or ()
        token = context.activate(context.from_metadata(dict(md)))
        try:
            try:
                async for item in behavior(request_or_iterator, ctx):
                    yield item
            except AlcorError as e:
                await _abort(ctx, e)
        finally:
            try:
                context.reset(token)
            except ValueError:
                # A stream cancelled at shutdown is closed from another
                # context; the context it set dies with its task anyway.
                pass

    return handler


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Runs on every call: each method's wrapped handler is made once."""

    def __init__(self):
        self._wrapped: dict[str, tuple] = {}

    async def intercept_service(self, continuation, details):
        h = await continuation(details)
        if h is None or details.method.startswith(("/grpc.health", "/grpc.reflection")):
            return h
        hit = self._wrapped.get(details.method)
        if hit is not None and hit[0] is h:
            return hit[1]
        wrapped = self._wrap(h, details.method)
        self._wrapped[details.method] = (h, wrapped)
        return wrapped

    @staticmethod
    def _wrap(h, m: str):
        if h.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(h.unary_unary, m), h.request_deserializer, h.response_serializer
            )
        if h.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                _wrap_stream(h.stream_stream, m), h.request_deserializer, h.response_serializer
            )
        if h.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(h.unary_stream, m), h.request_deserializer, h.response_serializer
            )
        return h


def _outgoing(details: grpc.aio.ClientCallDetails, default_timeout: float):
    md = list(details.metadata or ())
    have = {k for k, _ in md}
    for k, v in context.current().metadata() + tracing.inject():
        if k not in have:
            md.append((k, v))
    return grpc.aio.ClientCallDetails(
        method=details.method,
        timeout=details.timeout if details.timeout is not None else default_timeout,
        metadata=md,
        credentials=details.credentials,
        wait_for_ready=details.wait_for_ready,
    )


class UnaryClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, default_timeout: float):
        self.default_timeout = default_timeout

    async def intercept_unary_unary(self, continuation, details, request):
        name = details.method.decode() if isinstance(details.method, bytes) else details.method
        with tracing.client_span(name):
            return await continuation(_outgoing(details, self.default_timeout), request)


class StreamClientInterceptor(grpc.aio.StreamStreamClientInterceptor):
    """Streams are long-lived: forward context, set no default deadline."""

    async def intercept_stream_stream(self, continuation, details, request_iterator):
        md = list(details.metadata or ()) + context.current().metadata() + tracing.inject()
        return await continuation(
            grpc.aio.ClientCallDetails(
                details.method, details.timeout, md, details.credentials, details.wait_for_ready
            ),
            request_iterator,
        )

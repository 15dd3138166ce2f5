"""OpenTelemetry set-up and W3C trace-context propagation over gRPC metadata.

Spans are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and as
JSON lines to a file when ALCOR_TRACE_FILE is (each process appends its own
spans: `python tools/trace_breakdown.py FILE ROUTE` shows where a request's
time went). A process with neither records only the traces a caller asked to
be sampled (its traceparent says so): recording a span nothing reads cost the
gateway and svc_port a tenth of their CPU per create. Trace ids flow and show
in logs either way: an unrecorded span still has its ids and propagates them.
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Iterable

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

_configured = False
_exporting = False


def setup(service_name: str) -> None:
    global _configured, _exporting
    if _configured:
        return
    _configured = True
    _exporting = exports(os.environ)
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                              sampler=sampler_for(os.environ))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if os.environ.get("ALCOR_TRACE_FILE"):
        provider.add_span_processor(BatchSpanProcessor(_JsonLinesExporter(
            os.environ["ALCOR_TRACE_FILE"], service_name)))
    trace.set_tracer_provider(provider)


def exports(environ) -> bool:
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("ALCOR_TRACE_FILE"))


def sampler_for(environ) -> Sampler | None:
    """None (the SDK's default, every span recorded, or OTEL_TRACES_SAMPLER:
    the operator's choice) when spans go somewhere; else only the traces a
    caller sampled."""
    if exports(environ) or environ.get("OTEL_TRACES_SAMPLER"):
        return None
    return ParentBased(ALWAYS_OFF)


class _JsonLinesExporter(SpanExporter):
    """One JSON object per span: enough to line up a request's hops."""

    def __init__(self, path: str, service: str):
        self.path, self.service = path, service

    def export(self, spans) -> SpanExportResult:
        lines = []
        for s in spans:
            ctx, parent = s.get_span_context(), s.parent
            lines.append(json.dumps({
                "service": self.service, "name": s.name, "trace": format(ctx.trace_id, "032x"),
                "span": format(ctx.span_id, "016x"),
                "parent": format(parent.span_id, "016x") if parent else "",
                "start": s.start_time, "end": s.end_time}))
        with open(self.path, "a") as f:  # O_APPEND: processes' lines do not interleave
            f.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS


_tracer: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    global _tracer
    if _tracer is None:  # get_tracer is costly per call; one is enough
        _tracer = trace.get_tracer("alcor")
    return _tracer


def client_span(name: str):
    """A CLIENT span for an outgoing hop, when the trace it is part of is
    recorded; else nothing (the caller's span already carries the ids the
    hop propagates, and an unrecorded span still cost 20 us)."""
    if not records_hop(trace.get_current_span(), _exporting):
        return contextlib.nullcontext()
    return tracer().start_as_current_span(name, kind=trace.SpanKind.CLIENT)


def records_hop(current, exporting: bool) -> bool:
    """Whether an outgoing hop gets a span of its own: inside a recorded
    trace, or outside any trace (a background call: a root) where spans go."""
    return current.is_recording() or (exporting and not current.get_span_context().is_valid)


def extract(metadata: Iterable[tuple[str, str]]):
    """The caller's trace context from incoming metadata."""
    return propagate.extract({k: v for k, v in metadata})


def inject() -> list[tuple[str, str]]:
    """Metadata entries carrying the current trace context (traceparent...)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return list(carrier.items())


def current_trace_id() -> str:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""

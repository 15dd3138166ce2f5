"""OpenTelemetry set-up and W3C trace-context propagation over gRPC metadata.

Spans are always created (so trace ids flow and show in logs); they are
exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
"""
from __future__ import annotations

import os
from typing import Iterable

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_configured = False


def setup(service_name: str) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


_tracer: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    global _tracer
    if _tracer is None:  # get_tracer is costly per call; one is enough
        _tracer = trace.get_tracer("alcor")
    return _tracer


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

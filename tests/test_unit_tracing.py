"""Which spans a process records: all of them when they are exported, else
only the traces a caller asked to be sampled; ids propagate either way."""
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from runtime.tracing import sampler_for

SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
UNSAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"


def spans(environ, traceparent=None):
    tracer = TracerProvider(sampler=sampler_for(environ)).get_tracer("t")
    ctx = TraceContextTextMapPropagator().extract({"traceparent": traceparent} if traceparent else {})
    with tracer.start_as_current_span("s", context=ctx) as span:
        carrier = {}
        TraceContextTextMapPropagator().inject(carrier)
        return span.is_recording(), span.get_span_context(), carrier["traceparent"]


def test_not_exported_records_only_what_the_caller_sampled():
    recording, ctx, out = spans({})
    assert not recording and ctx.is_valid  # ids still made, for logs and the next hop
    assert out.split("-")[1] == f"{ctx.trace_id:032x}" and not int(out.split("-")[3], 16) & 1
    recording, ctx, out = spans({}, SAMPLED)
    assert recording and f"{ctx.trace_id:032x}" == SAMPLED.split("-")[1] and int(out.split("-")[3], 16) & 1
    assert not spans({}, UNSAMPLED)[0]


def test_exported_or_operator_chosen_records_as_the_sdk_does():
    assert spans({"ALCOR_TRACE_FILE": "/tmp/x"})[0]
    assert spans({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"})[0]
    assert sampler_for({"OTEL_TRACES_SAMPLER": "always_on"}) is None


def test_an_outgoing_hop_has_a_span_only_where_one_is_recorded():
    from opentelemetry import trace
    from runtime.tracing import records_hop
    recorded = TracerProvider().get_tracer("t").start_span("r")
    unrecorded = TracerProvider(sampler=sampler_for({})).get_tracer("t").start_span("u")
    assert records_hop(recorded, exporting=False)
    assert not records_hop(unrecorded, exporting=True)  # ids carried by the caller's span
    assert records_hop(trace.INVALID_SPAN, exporting=True)  # a background call, where spans go
    assert not records_hop(trace.INVALID_SPAN, exporting=False)

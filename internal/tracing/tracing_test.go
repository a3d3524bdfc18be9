package tracing

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestOffCostsNothing: with tracing off, Start returns the caller's
// context and a span that records nothing, and Inject writes no header,
// even when the context carries a caller's valid trace.
func TestOffCostsNothing(t *testing.T) {
	Disable()
	remote := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
	}))
	ctx, span := Start(remote, "x")
	if ctx != remote || span.IsRecording() {
		t.Error("Start with tracing off changed the context or records")
	}
	h := map[string]string{}
	Inject(remote, h)
	if len(h) != 0 {
		t.Errorf("Inject with tracing off wrote %v", h)
	}
	if s, err := Setup(context.Background(), Config{}); err != nil || s(context.Background()) != nil || Enabled() {
		t.Error("Setup without an endpoint turned tracing on or failed")
	}
}

// TestHeadersRoundTrip: a span's context written into task headers comes
// back out as the remote parent of the worker's span, in the same trace.
func TestHeadersRoundTrip(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	Enable(tp)
	t.Cleanup(Disable)
	ctx, parent := Start(context.Background(), "enqueue")
	h := map[string]string{}
	Inject(ctx, h)
	parent.End()
	if h["traceparent"] == "" {
		t.Fatalf("no traceparent in %v", h)
	}
	_, child := Start(Extract(context.Background(), h), "task")
	End(child, nil)
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	p, c := spans[0], spans[1]
	if c.SpanContext.TraceID() != p.SpanContext.TraceID() || c.Parent.SpanID() != p.SpanContext.SpanID() || !c.Parent.IsRemote() {
		t.Errorf("child %v parent %v, want a remote child of %v", c.SpanContext, c.Parent, p.SpanContext)
	}
	// Garbage in the headers starts a new trace rather than failing.
	_, fresh := Start(Extract(context.Background(), map[string]string{"traceparent": "zz-not-a-trace"}), "task")
	if !fresh.SpanContext().IsValid() || fresh.SpanContext().TraceID() == p.SpanContext.TraceID() {
		t.Error("an invalid traceparent was not ignored")
	}
	fresh.End()
}

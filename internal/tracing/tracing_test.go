package tracing

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
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

// TestSetupExportsOverOTLP: with an endpoint, Setup exports spans there
// over OTLP/HTTP (a local receiver stands for the collector), and its
// shutdown flushes them.
func TestSetupExportsOverOTLP(t *testing.T) {
	got := make(chan *http.Request, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		got <- r
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	t.Cleanup(Disable)
	shutdown, err := Setup(context.Background(), Config{Endpoint: srv.URL + "/v1/traces", ServiceName: "quizflow-test", Release: "v0.0.1", Environment: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !Enabled() {
		t.Fatal("Setup with an endpoint left tracing off")
	}
	_, span := Start(context.Background(), "exported-span")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || !bytes.Contains(body, []byte("exported-span")) || !bytes.Contains(body, []byte("quizflow-test")) {
			t.Errorf("collector got %s %s (%d bytes) without the span or the service name", r.Method, r.URL.Path, len(body))
		}
	default:
		t.Fatal("the collector received nothing after shutdown")
	}
}

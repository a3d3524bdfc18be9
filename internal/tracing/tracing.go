// Package tracing is QuizFlow's optional OpenTelemetry tracing: a span per
// HTTP request, per task and per model call, with the trace context
// carried from the API into the tasks it enqueues (asynq task headers,
// "traceparent"), so one upload is one trace across processes.
//
// Tracing is off unless Setup finds OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, or a test calls Enable. Off, no
// middleware is installed, Start returns its context unchanged with a
// no-op span, and nothing is written into task headers: the cost is one
// atomic load per call site.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of QuizFlow's spans.
const ScopeName = "github.com/quizflow/quizflow"

var (
	enabled atomic.Bool
	// propagator carries W3C trace context (traceparent, tracestate); it
	// is fixed rather than the global one, so what goes into a task's
	// headers does not depend on other code's settings.
	propagator = propagation.TraceContext{}
)

// Enabled reports whether spans are being recorded.
func Enabled() bool { return enabled.Load() }

// Enable makes tp the global tracer provider and turns QuizFlow's spans
// on. Setup calls it; tests call it with a provider over an in-memory
// exporter. Middleware is installed only if it was called before the
// server or worker was built.
func Enable(tp trace.TracerProvider) {
	otel.SetTracerProvider(tp)
	enabled.Store(true)
}

// Disable turns QuizFlow's spans off again and restores a no-op provider
// (tests).
func Disable() {
	enabled.Store(false)
	otel.SetTracerProvider(noop.NewTracerProvider())
}

// Config is what Setup reads (config.Config's OTel fields).
type Config struct {
	// Endpoint is the full URL spans are posted to (config.OTelEndpoint);
	// empty leaves tracing off. The exporter itself reads the other
	// standard OTEL_EXPORTER_OTLP_* variables (headers, timeout,
	// compression, TLS) and the SDK OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG (default: parentbased_always_on).
	Endpoint string
	// ServiceName is OTEL_SERVICE_NAME, else "quizflow-" + the role
	// (the caller's default).
	ServiceName string
	// Release is the service.version resource attribute ("" for none).
	Release string
	// Environment is the deployment.environment.name attribute (APP_ENV).
	Environment string
}

// Setup starts exporting spans over OTLP/HTTP when cfg.Endpoint is set
// and returns the function that flushes and stops the exporter; with no
// endpoint it changes nothing and returns a no-op.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	if cfg.Endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	// The endpoint is the configuration's; the exporter reads the other
	// OTEL_EXPORTER_OTLP_* variables (headers, timeout, TLS) itself.
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.Endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.ServiceName)}
	if cfg.Release != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.Release))
	}
	if cfg.Environment != "" {
		attrs = append(attrs, semconv.DeploymentEnvironmentName(cfg.Environment))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	Enable(tp)
	return tp.Shutdown, nil
}

// Start starts a span named name as a child of ctx's span. Off, it
// returns ctx and a no-op span.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, trace.SpanFromContext(context.Background())
	}
	return otel.Tracer(ScopeName).Start(ctx, name, opts...)
}

// End records err (if any) on span and ends it.
func End(span trace.Span, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Inject writes ctx's trace context into headers (a task's headers).
// Off, or without a span in ctx, it writes nothing.
func Inject(ctx context.Context, headers map[string]string) {
	if headers == nil || !enabled.Load() || !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	propagator.Inject(ctx, propagation.MapCarrier(headers))
}

// Extract returns ctx with the remote trace context found in headers, if
// any. Headers come from the queue or a client: invalid values are
// ignored by the propagator.
func Extract(ctx context.Context, headers map[string]string) context.Context {
	if len(headers) == 0 {
		return ctx
	}
	return propagator.Extract(ctx, propagation.MapCarrier(headers))
}

package tracing

import (
	"context"
	"net/http"
	"strconv"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Echo returns middleware that runs each request in a server span named
// "METHOD /route/template" (never the raw URL), continuing a caller's
// traceparent if it sent one. Register it after the request ID middleware,
// so the span carries quizflow.request_id. A handler's error is handed to
// Echo's error handler (c.Error) here, so the status recorded is the one
// the client gets. Off (Enabled false when it is called) it returns a
// middleware that only calls next.
//
// Nothing of the request but its method, route template and request ID is
// recorded: no query, headers or body.
func Echo() echo.MiddlewareFunc {
	if !Enabled() {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ctx := propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
			ctx, span := Start(ctx, req.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", req.Method)))
			defer span.End()
			c.SetRequest(req.WithContext(ctx))
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			span.SetName(req.Method + " " + route)
			span.SetAttributes(attribute.String("http.route", route),
				attribute.Int("http.response.status_code", status),
				attribute.String("quizflow.request_id", quizflow.RequestID(ctx)))
			if status >= http.StatusInternalServerError {
				span.SetStatus(codes.Error, strconv.Itoa(status))
			}
			return nil
		}
	}
}

// Task returns asynq middleware that runs each task in a consumer span
// named "task TYPE", the child of the span whose context the enqueuer
// put in the task's headers (see Inject), and ends it with the handler's
// error. Register it outermost. Off (Enabled false when it is called) it
// returns next unchanged.
func Task() asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		if !Enabled() {
			return next
		}
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			ctx = Extract(ctx, t.Headers())
			id, _ := asynq.GetTaskID(ctx)
			queue, _ := asynq.GetQueueName(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			ctx, span := Start(ctx, "task "+t.Type(), trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithAttributes(attribute.String("messaging.system", "asynq"),
					attribute.String("messaging.destination.name", queue),
					attribute.String("messaging.message.id", id),
					attribute.String("quizflow.task.type", t.Type()),
					attribute.Int("quizflow.task.retried", retried)))
			defer func() {
				if p := recover(); p != nil {
					span.SetStatus(codes.Error, "panic")
					span.End()
					panic(p)
				}
				End(span, err)
			}()
			return next.ProcessTask(ctx, t)
		})
	}
}

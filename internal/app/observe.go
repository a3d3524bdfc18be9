package app

import (
	"context"
	"time"

	"github.com/quizflow/quizflow/internal/errtrack"
	"github.com/quizflow/quizflow/internal/httpapi"
	"github.com/quizflow/quizflow/internal/tracing"
	"github.com/quizflow/quizflow/internal/worker"
)

// openObservability starts error tracking (SENTRY_DSN) and tracing
// (OTEL_EXPORTER_OTLP_ENDPOINT) when configured; both stay off, and cost
// nothing, otherwise.
func (a *App) openObservability(ctx context.Context) error {
	cfg := a.Cfg
	var err error
	a.Errors, err = errtrack.New(errtrack.Config{
		DSN: cfg.SentryDSN, Environment: cfg.SentryEnvironment, Release: cfg.SentryRelease,
	})
	if err != nil {
		return err
	}
	if a.Errors != nil {
		a.Log.Info().Str("environment", cfg.SentryEnvironment).Msg("error tracking on (SENTRY_DSN)")
	}
	service := cfg.OTelServiceName
	if service == "" {
		service = "quizflow"
	}
	a.stopTracing, err = tracing.Setup(ctx, tracing.Config{
		Endpoint: cfg.OTelEndpoint, ServiceName: service, Release: cfg.SentryRelease, Environment: cfg.Env,
	})
	if err != nil {
		return err
	}
	if cfg.OTelEndpoint != "" {
		a.Log.Info().Str("service", service).Msg("tracing on (OTLP/HTTP)")
	}
	return nil
}

// closeObservability flushes queued error events and spans.
func (a *App) closeObservability() {
	a.Errors.Close()
	if a.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.stopTracing(ctx); err != nil {
			a.Log.Warn().Err(err).Msg("tracing: flush spans")
		}
	}
}

// httpErrors is the API's error reporter: nil (not a nil pointer) when
// error tracking is off, so no middleware is installed.
func (a *App) httpErrors() httpapi.ErrorReporter {
	if a.Errors == nil {
		return nil
	}
	return a.Errors
}

// taskErrors is the worker's error reporter, nil when off.
func (a *App) taskErrors() worker.ErrorReporter {
	if a.Errors == nil {
		return nil
	}
	return a.Errors
}

// dependencyChecks are the readiness checks of the backing services, run
// by GET /readyz and, at each scrape, for quizflow_dependency_up.
func (a *App) dependencyChecks() map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"redis":   func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() },
		"mongodb": a.Store.Ping,
		"s3":      a.Blobs.Ping,
	}
}

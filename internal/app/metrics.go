package app

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quizflow/quizflow/internal/serve"
)

// RunWorkerProcess runs a standalone worker (cmd/worker): RunWorker, plus
// GET /metrics on METRICS_ADDR unless that is "off". ready, if set, is
// told the metrics listener's address.
func (a *App) RunWorkerProcess(ctx context.Context, ready func(metricsAddr string)) error {
	if a.Cfg.MetricsAddr == "" {
		return a.RunWorker(ctx)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.ServeMetrics(ctx, a.Cfg.MetricsAddr, ready) })
	g.Go(func() error { return a.RunWorker(ctx) })
	return g.Wait()
}

// ServeMetrics serves a.Metrics at GET /metrics on addr (behind
// METRICS_TOKEN when set) until ctx ends. Other paths answer 404.
func (a *App) ServeMetrics(ctx context.Context, addr string, ready func(addr string)) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", serve.RequireBearer("metrics", a.Cfg.MetricsToken, a.Metrics.Handler()))
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	return serve.Run(ctx, srv, 5*time.Second, ready)
}

package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quizflow/quizflow/internal/metrics"
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
	mux.Handle("GET /metrics", metrics.RequireToken(a.Cfg.MetricsToken, a.Metrics.Handler()))
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Package serve runs an http.Server until its context ends, then shuts it
// down gracefully: the one lifecycle the API and the worker's metrics
// listener share. It also holds the bearer-token check both put in front
// of GET /metrics (RequireBearer, ValidBearer).
package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Run listens on srv.Addr, tells ready (if set) the address it listens on
// (useful with port 0), and serves until ctx ends; then it lets in-flight
// requests finish for up to grace.
func Run(ctx context.Context, srv *http.Server, grace time.Duration, ready func(addr string)) error {
	ln, err := net.Listen("tcp", srv.Addr)
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
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

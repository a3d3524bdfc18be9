package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process is alive.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when every backing service in Deps.Ready (Redis,
// MongoDB and S3 in production) answers, else 503 naming what failed (names only: never connection strings or error details).
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	result := map[string]string{}
	failed := []string{}
	for name, check := range s.Ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				result[name] = "unavailable"
				failed = append(failed, name)
				s.Log.Warn().Err(err).Str("service", name).Msg("readiness check failed")
				return
			}
			result[name] = "ok"
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failed": failed, "checks": result})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ok", "checks": result})
}

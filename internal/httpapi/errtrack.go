package httpapi

import (
	"context"
	"fmt"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quizflow/quizflow/internal/errtrack"
)

// ErrorReporter receives the API's panics and 5xx answers
// (*errtrack.Tracker). It is given the method, route template, request
// ID and status only, never the request itself.
type ErrorReporter interface {
	ReportHTTP(ctx context.Context, r errtrack.Request, err error, panicked bool)
}

const panicReportedKey = "errtrack.panic"

// recoverPanics is Echo's Recover middleware that also reports the panic
// (with its stack: the report is made while the panicking frames are
// still on the goroutine's stack) and logs it with the request ID.
func (s *Server) recoverPanics() echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.Log.Error().Err(err).Str("request_id", requestID(c)).Str("route", c.Path()).
				Bytes("stack", stack).Msg("panic recovered")
			if s.Errors != nil {
				c.Set(panicReportedKey, true)
				s.Errors.ReportHTTP(c.Request().Context(), errtrack.Request{
					Method: c.Request().Method, Route: c.Path(), RequestID: requestID(c), Status: 500,
				}, fmt.Errorf("panic: %w", err), true)
			}
			return err
		},
	})
}

// reportServerErrors reports every 5xx answer but those of a panic
// (already reported by recoverPanics) and 503s of the readiness check
// (a dependency is down: the alert rules' business, not a bug).
func (s *Server) reportServerErrors() echo.MiddlewareFunc {
	return afterServe(func(c echo.Context, err error, _ time.Duration) {
		status := c.Response().Status
		if status < 500 || c.Path() == "/readyz" {
			return
		}
		if reported, _ := c.Get(panicReportedKey).(bool); reported {
			return
		}
		s.Errors.ReportHTTP(c.Request().Context(), errtrack.Request{
			Method: c.Request().Method, Route: c.Path(), RequestID: requestID(c), Status: status,
		}, err, false)
	})
}

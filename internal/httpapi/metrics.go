package httpapi

import (
	"errors"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/serve"
)

// WithMetrics instruments the server with m and serves m at GET /metrics,
// open to anyone when token is empty and otherwise only to requests with
// "Authorization: Bearer <token>" (401 without it). A nil m changes
// nothing. It returns s; call it once, before serving.
//
// The request middleware runs before routing (Echo's Pre chain), so it
// wraps every other middleware: rate-limited, recovered (panicking) and
// unrouted requests are counted too, with the status the client got.
func (s *Server) WithMetrics(m *metrics.Registry, token string) *Server {
	if m == nil {
		return s
	}
	s.echo.Pre(requestMetrics(m))
	h := echo.WrapHandler(m.Handler())
	s.echo.GET("/metrics", func(c echo.Context) error {
		if !serve.ValidBearer(c.Request(), token) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return quizflow.Errorf(quizflow.EUNAUTHORIZED, "Metrics need 'Authorization: Bearer <METRICS_TOKEN>'.")
		}
		return h(c)
	})
	return s
}

// unmatchedRoute is the route label of requests that matched no route, so
// that scanners probing random URLs cannot grow the label set.
const unmatchedRoute = "unmatched"

// requestMetrics counts and times every request in m by method, route
// template (c.Path(), never the raw URL, so IDs never become label values;
// requests that match no route are labelled "unmatched") and status. A
// handler's error is handed to Echo's error handler here (c.Error), as
// Echo itself would, so the status recorded is the one the client gets.
func requestMetrics(m *metrics.Registry) echo.MiddlewareFunc {
	return afterServe(func(c echo.Context, err error, d time.Duration) {
		route := c.Path()
		if route == "" || errors.Is(err, echo.ErrNotFound) {
			route = unmatchedRoute
		}
		m.ObserveRequest(c.Request().Method, route, c.Response().Status, d)
	})
}

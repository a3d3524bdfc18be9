package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/quizflow"
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
	s.echo.Pre(m.EchoMiddleware())
	h := echo.WrapHandler(m.Handler())
	s.echo.GET("/metrics", func(c echo.Context) error {
		if !metrics.ValidToken(c.Request(), token) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return quizflow.Errorf(quizflow.EUNAUTHORIZED, "Metrics need 'Authorization: Bearer <METRICS_TOKEN>'.")
		}
		return h(c)
	})
	return s
}

package httpapi

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Limiter counts events per key and refuses past a limit (ratelimit.Gate).
type Limiter interface {
	// Allow takes one event; false, with the wait, when none is left.
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// limitByIP refuses requests past l's limit for the client's IP with 429
// and Retry-After. The IP is the connection's, or what a trusted proxy
// says (Config.TrustedProxies), so a client cannot rotate its way past.
// When the limiter itself fails the request goes through, logged: an
// outage of the limit is no reason to refuse every user.
func (s *Server) limitByIP(l Limiter, skip func(echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip != nil && skip(c) {
				return next(c)
			}
			ok, wait, err := l.Allow(c.Request().Context(), c.RealIP())
			if err != nil {
				s.Log.Warn().Err(err).Msg("rate limit unavailable; request let through")
				return next(c)
			}
			if !ok {
				return &quizflow.Error{Code: quizflow.ERATELIMIT, RetryAfter: wait,
					Message: "Too many requests from this address; slow down and retry shortly."}
			}
			return next(c)
		}
	}
}

// limitRegistrations applies Deps.RegisterLimit to a registration.
func (s *Server) limitRegistrations(next echo.HandlerFunc) echo.HandlerFunc {
	if s.RegisterLimit == nil {
		return next
	}
	return s.limitByIP(s.RegisterLimit, nil)(next)
}

package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func newRequestID() string { return quizflow.NewID("req") }

// sanitizeRequestID replaces a caller-supplied X-Request-ID that is long or
// holds anything but letters, digits, '-', '_' and '.', so it can travel into
// logs and task headers safely, and puts the ID in the request's context
// (quizflow.WithRequestID), where the services find it.
func sanitizeRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Response().Header().Get(echo.HeaderXRequestID)
		ok := len(id) > 0 && len(id) <= 64
		for _, r := range id {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				ok = false
				break
			}
		}
		if !ok {
			id = newRequestID()
			c.Response().Header().Set(echo.HeaderXRequestID, id)
		}
		c.SetRequest(c.Request().WithContext(quizflow.WithRequestID(c.Request().Context(), id)))
		return next(c)
	}
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// afterServe returns middleware that runs the handler, hands its error to
// Echo's error handler (c.Error, as Echo itself would, so the response and
// its status are final), then calls done with the error and the time taken.
func afterServe(done func(c echo.Context, err error, d time.Duration)) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			done(c, err, time.Since(start))
			return nil
		}
	}
}

// requestLogger logs one JSON line per request with its request ID.
func requestLogger(log zerolog.Logger) echo.MiddlewareFunc {
	return afterServe(func(c echo.Context, _ error, d time.Duration) {
		status := c.Response().Status
		ev := log.Info()
		if status >= 500 {
			ev = log.Error()
		} else if status == StatusClientClosedRequest || c.Path() == "/healthz" || c.Path() == "/readyz" || strings.HasPrefix(c.Path(), "/admin/queues") {
			ev = log.Debug()
		}
		ev.Str("request_id", requestID(c)).Str("method", c.Request().Method).Str("route", c.Path()).
			Int("status", status).Int64("bytes", c.Response().Size).Dur("duration", d).Msg("http")
	})
}

const principalKey = "principal"

// requireUser authenticates the bearer credential (an access token or an
// API key) and checks an API key's scope: read for GET and HEAD, write for
// everything else.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return s.authenticate(s.Accounts.Authenticate, next)
}

// idAuthenticator is implemented by account services (auth.Service) that
// can check an access token without reading the store, for routes that
// need only the caller's ID.
type idAuthenticator interface {
	AuthenticateID(ctx context.Context, bearer string) (*quizflow.Principal, error)
}

// requireUserID is requireUser for hot routes whose handlers use only the
// current user's ID (job status, job events): with an account service that
// can, the access token is checked without a store read per request.
func (s *Server) requireUserID(next echo.HandlerFunc) echo.HandlerFunc {
	if a, ok := s.Accounts.(idAuthenticator); ok {
		return s.authenticate(a.AuthenticateID, next)
	}
	return s.requireUser(next)
}

func (s *Server) authenticate(check func(context.Context, string) (*quizflow.Principal, error), next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow"`)
			return quizflow.Errorf(quizflow.EUNAUTHORIZED, "Log in first: send the access token as 'Authorization: Bearer <token>'.")
		}
		p, err := check(c.Request().Context(), strings.TrimSpace(tok))
		if err != nil {
			return bearerChallenge(c, err)
		}
		scope := quizflow.ScopeWrite
		if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
			scope = quizflow.ScopeRead
		}
		if !p.Can(scope) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="quizflow", error="insufficient_scope", scope="`+scope+`"`)
			return quizflow.Errorf(quizflow.EFORBIDDEN, "This API key lacks the %q scope this request needs.", scope)
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// bearerChallenge returns err, the failure of checking a bearer token,
// with the challenge RFC 6750 asks of a 401: error="invalid_token" when
// the token was refused, a plain one when the check itself failed.
func bearerChallenge(c echo.Context, err error) error {
	h := `Bearer realm="quizflow"`
	if quizflow.ErrorCode(err) == quizflow.EUNAUTHORIZED {
		h += `, error="invalid_token"`
	}
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, h)
	return err
}

func currentPrincipal(c echo.Context) *quizflow.Principal {
	return c.Get(principalKey).(*quizflow.Principal)
}

func currentUser(c echo.Context) *quizflow.User { return currentPrincipal(c).User }

// Package httpapi is QuizFlow's HTTP API on Echo: accounts, documents, jobs,
// quizzes, health and the operators' queue UI. routes.go lists the whole
// surface.
package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/quizflow/quizflow/internal/auth"
	"github.com/quizflow/quizflow/internal/mongostore"
	"github.com/quizflow/quizflow/internal/s3blob"
	"github.com/quizflow/quizflow/internal/serve"
)

// Config holds the API's own settings.
type Config struct {
	// MaxFileSize is the largest accepted upload, in bytes.
	MaxFileSize int64
	// APIRequestsPerMinute limits requests per client IP; 0 disables.
	APIRequestsPerMinute int
	// CORSOrigins lists allowed browser origins; empty allows none.
	CORSOrigins []string
	// AdminSecret signs the operators' UI cookie.
	AdminSecret []byte
	// RedisConnOpt lets the queue UI reach Redis.
	RedisConnOpt asynq.RedisConnOpt
	// QuestionTypes lists the question types the configured generator can
	// write; empty means all. A request for none of them is refused.
	QuestionTypes []string
}

// Deps are the adapters the API uses.
type Deps struct {
	Log    zerolog.Logger
	Auth   *auth.Service
	Store  *mongostore.Store
	Blobs  *s3blob.Store
	Queue  *asynq.Client
	Redis  redis.UniversalClient
	Config Config
}

// Server is the API.
type Server struct {
	Deps
	echo *echo.Echo
	// closing is closed when a graceful shutdown starts, so long-lived
	// streams end instead of holding the shutdown up.
	closing   chan struct{}
	closeOnce sync.Once
}

// New returns the API server; Handler serves it.
func New(d Deps) *Server {
	s := &Server{Deps: d, echo: echo.New(), closing: make(chan struct{})}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	// Client IPs (for rate limits and logs) come from X-Forwarded-For only
	// when the hop that set it is a trusted proxy (loopback or a private
	// network, as load balancers are); otherwise from the connection, so
	// a client cannot spoof its way past the limit.
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		// Accept a caller's ID only if it is short and plain.
		Generator: func() string { return newRequestID() },
	}))
	e.Use(sanitizeRequestID)
	e.Use(middleware.Recover())
	e.Use(requestLogger(d.Log))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "no-referrer",
	}))
	if len(d.Config.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: d.Config.CORSOrigins}))
	}
	if n := d.Config.APIRequestsPerMinute; n > 0 {
		e.Use(middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
			Skipper: func(c echo.Context) bool { return c.Path() == "/healthz" || c.Path() == "/readyz" },
			Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
				Rate: rate.Limit(float64(n) / 60), Burst: max(n/6, 10), ExpiresIn: 3 * time.Minute,
			}),
			DenyHandler: func(c echo.Context, _ string, _ error) error {
				c.Response().Header().Set("Retry-After", "10")
				return echo.NewHTTPError(http.StatusTooManyRequests, "Too many requests; slow down and retry shortly.")
			},
		}))
	}
	s.routes()
	return s
}

// Handler returns the http.Handler of the API.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve serves on addr until ctx ends, then shuts down gracefully, letting
// in-flight requests finish for up to 15 seconds.
func (s *Server) Serve(ctx context.Context, addr string, ready func(addr string)) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	srv.RegisterOnShutdown(func() { s.closeOnce.Do(func() { close(s.closing) }) })
	return serve.Run(ctx, srv, 15*time.Second, ready)
}

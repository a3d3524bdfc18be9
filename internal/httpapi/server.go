// Package httpapi is QuizFlow's HTTP API on Echo: accounts, documents, jobs,
// quizzes, health and the operators' queue UI. routes.go lists the whole
// surface.
package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/serve"
)

// Config holds the API's own settings.
type Config struct {
	// MaxFileSize is the largest accepted upload, in bytes; the request
	// body may be 64 KiB larger, for the other form fields.
	MaxFileSize int64
	// APIRequestsPerMinute limits requests per client IP; 0 disables.
	APIRequestsPerMinute int
	// CORSOrigins lists allowed browser origins; empty allows none.
	CORSOrigins []string
	// AdminSecret signs the operators' UI cookie.
	AdminSecret []byte
}

// Deps are the services the API calls. Handlers parse a request, call one
// service method and encode its answer; the rules live behind these
// interfaces (internal/usecase and internal/auth in production, in-memory
// fakes in this package's tests).
type Deps struct {
	Log       zerolog.Logger
	Accounts  quizflow.AccountService
	Documents quizflow.DocumentService
	Jobs      quizflow.JobService
	Quizzes   quizflow.QuizService
	Exports   quizflow.ExportService
	// Ready lists, by name, the checks of the backing services that
	// GET /readyz runs.
	Ready map[string]func(context.Context) error
	// JobEvents, if set, wakes a job's event stream as soon as this
	// process changes the job; streams poll the store as well, for changes
	// made by other processes.
	JobEvents JobWatcher
	// AdminUI, if set, is the operators' queue UI (asynqmon), served at
	// /admin/queues to operators only.
	AdminUI http.Handler
	Config  Config
}

// JobWatcher signals changes of a job's record (jobwatch.Hub).
type JobWatcher interface {
	Watch(jobID string) (changed <-chan struct{}, stop func())
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

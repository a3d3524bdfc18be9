// Package httpapi is QuizFlow's HTTP API on Echo: accounts, documents, jobs,
// quizzes, health and the operators' queue UI. routes.go lists the whole
// surface.
package httpapi

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/serve"
	"github.com/quizflow/quizflow/internal/tracing"
)

// Config holds the API's own settings.
type Config struct {
	// MaxFileSize is the largest accepted upload, in bytes; the request
	// body may be 64 KiB larger, for the other form fields.
	MaxFileSize int64
	// CORSOrigins lists allowed browser origins; empty allows none.
	CORSOrigins []string
	// AdminSecret signs the operators' UI cookie.
	AdminSecret []byte
	// PublicURL is where users reach the server (PUBLIC_URL, no trailing
	// slash): share links are built on it, and its origin is the one
	// cookie-mode auth requests must send as Origin. Empty (or one on
	// port 0) takes the request's own scheme and Host as the origin.
	PublicURL string
	// RefreshTTL is the refresh token's lifetime, the Max-Age of the
	// qf_refresh cookie. Zero means 7 days (JWT_REFRESH_EXPIRES' default).
	RefreshTTL time.Duration

	// TrustedProxies are the networks of the reverse proxies in front of
	// the API. Only a request whose connection comes from one of them is
	// believed about its client: X-Forwarded-For, read from the right up
	// to the first address that is not a trusted proxy, gives the client
	// IP (for rate limits and logs), and X-Forwarded-Proto the scheme (for
	// HSTS, the queue UI's cookie and its same-origin check). Empty (the
	// default) trusts no one: the client is the connection's peer, both
	// headers are ignored. Loopback and private networks are trusted only
	// if listed.
	TrustedProxies []netip.Prefix

	// Request bodies are bounded in time, so a client trickling its body
	// cannot hold connections open; one that is too slow is answered 408
	// (code request_timeout) and its connection closed.
	//
	// BodyIdleTimeout is the longest a request body may pause between
	// reads. Zero (or negative) means 10 seconds.
	BodyIdleTimeout time.Duration
	// BodyTimeout bounds the whole body of every request but an upload:
	// small JSON bodies. Zero means 10 seconds.
	BodyTimeout time.Duration
	// UploadMinRate is the average rate, in bytes per second, the body of
	// an upload (POST /v1/documents) must keep once UploadGrace has
	// passed, so an upload may take at most UploadGrace + (MaxFileSize +
	// 64 KiB) / UploadMinRate. Zero means 16 KiB/s.
	UploadMinRate int64
	// UploadGrace is how long an upload may run before UploadMinRate
	// applies. Zero means 10 seconds.
	UploadGrace time.Duration
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
	// Billing serves plans and billing; nil answers the billing routes
	// 503 billing_disabled.
	Billing quizflow.BillingService
	// Shares serves share links and attempts; nil answers those routes
	// 503. Limits tells users their upload limits; nil answers 503.
	Shares quizflow.ShareService
	Limits quizflow.LimitsService
	// Backups, if set, serves the operators' backup routes
	// (/v1/admin/backups); nil answers them 503.
	Backups quizflow.BackupService
	// Ready lists, by name, the checks of the backing services that
	// GET /readyz runs.
	Ready map[string]func(context.Context) error
	// IPLimit, if set, limits requests per client IP on every route but
	// the health checks; RegisterLimit, registrations per client IP. Both
	// are shared by all replicas (ratelimit.Gate in Redis).
	IPLimit, RegisterLimit Limiter
	// ShareLimit, if set, limits requests per client IP to the public
	// share routes (/v1/shared/...).
	ShareLimit Limiter
	// JobEvents, if set, wakes a job's event stream as soon as this
	// process changes the job; streams poll the store as well, for changes
	// made by other processes.
	JobEvents JobWatcher
	// StreamCap, if set, caps the job event streams each user may hold
	// open (SSE_MAX_PER_USER, shared by all replicas); over the cap a
	// stream is refused with 429.
	StreamCap StreamLimiter
	// AdminUI, if set, is the operators' queue UI (asynqmon), served at
	// /admin/queues to operators only. New asks it once for its index
	// page, to allow that page's inline scripts (by hash) in the UI's
	// Content-Security-Policy.
	AdminUI http.Handler
	// Errors, if set, is told of panics and 5xx answers (error tracking,
	// SENTRY_DSN); nil reports nothing.
	Errors ErrorReporter
	Config Config
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
	// adminCSP is the Content-Security-Policy of the queue UI's answers
	// (adminPolicy), "" without AdminUI.
	adminCSP string
}

// New returns the API server; Handler serves it.
func New(d Deps) *Server {
	s := &Server{Deps: d, echo: echo.New(), closing: make(chan struct{})}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	// Client IPs (for rate limits and logs) and the scheme come from
	// forwarding headers only when the hop that set them is one of
	// Config.TrustedProxies; otherwise from the connection, so a client
	// cannot spoof its way past the limit.
	s.setProxyTrust(d.Config.TrustedProxies)
	if d.AdminUI != nil {
		page, err := indexPage(d.AdminUI)
		if err != nil {
			d.Log.Warn().Err(err).Msg("queue UI: no index page; its inline scripts will be refused")
		}
		s.adminCSP = adminPolicy(inlineScripts(page))
	}
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		// Accept a caller's ID only if it is short and plain.
		Generator: func() string { return newRequestID() },
	}))
	e.Use(sanitizeRequestID)
	e.Use(tracing.Echo())
	e.Use(s.recoverPanics())
	e.Use(requestLogger(d.Log))
	if d.Errors != nil {
		// Inside the logger, so it sees the handler's error before Echo's
		// error handler turns it into a response.
		e.Use(s.reportServerErrors())
	}
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "no-referrer",
	}))
	e.Use(s.securityHeaders)
	e.Use(limitBodies(d.Config.bodyLimits()))
	if len(d.Config.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins: d.Config.CORSOrigins}))
	}
	if d.IPLimit != nil {
		e.Use(s.limitByIP(d.IPLimit, func(c echo.Context) bool { return c.Path() == "/healthz" || c.Path() == "/readyz" }))
	}
	s.routes()
	return s
}

// Handler returns the http.Handler of the API.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve serves on addr until ctx ends, then shuts down gracefully, letting
// in-flight requests finish for up to 15 seconds.
//
// The server bounds the request head (ReadHeaderTimeout) and idle
// keep-alive connections; it sets no ReadTimeout, which would cut large
// uploads, and no WriteTimeout, which would cut job event streams: bodies
// are bounded per request instead (limitBodies, Config.BodyIdleTimeout and
// the fields after it).
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

// Package errtrack is QuizFlow's optional error tracking with Sentry
// (github.com/getsentry/sentry-go): panics and 5xx answers of the API and
// tasks that failed for good are reported with the request ID (and the
// task and job IDs), the environment and the release.
//
// What is sent is built here from a few named fields, never from the
// request: no headers (Authorization, Cookie), no query, no body, no user.
// Error messages pass through Scrub, which removes quoted text (where Go
// errors put document or model text), e-mail addresses, bearer tokens and
// JWTs, and long runs that look like secrets; BeforeSend scrubs every
// event once more and drops the request, user and breadcrumbs whatever
// put them there.
//
// A nil *Tracker is valid and reports nothing: with SENTRY_DSN empty the
// application builds none, and the middleware is not installed.
package errtrack

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/getsentry/sentry-go"
)

// Config configures a Tracker.
type Config struct {
	// DSN is SENTRY_DSN; empty turns error tracking off.
	DSN string
	// Environment is SENTRY_ENVIRONMENT, else APP_ENV.
	Environment string
	// Release is SENTRY_RELEASE, else the module version the binary was
	// built from (debug.ReadBuildInfo; "(devel)" builds report none).
	Release string
	// ServerName names the process in events ("" lets Sentry use the host
	// name); the application passes its role.
	ServerName string
}

// Tracker reports errors to one Sentry project.
type Tracker struct {
	client *sentry.Client
}

// New returns a Tracker for cfg, or nil (off) when cfg.DSN is empty. A
// malformed DSN is an error.
func New(cfg Config) (*Tracker, error) {
	if cfg.DSN == "" {
		return nil, nil
	}
	if cfg.Release == "" {
		cfg.Release = buildRelease()
	}
	c, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:              cfg.DSN,
		Environment:      cfg.Environment,
		Release:          cfg.Release,
		ServerName:       cfg.ServerName,
		SendDefaultPII:   false,
		AttachStacktrace: true,
		MaxBreadcrumbs:   -1,
		BeforeSend:       func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event { return scrubEvent(e) },
	})
	if err != nil {
		return nil, fmt.Errorf("SENTRY_DSN: %w", err)
	}
	return &Tracker{client: c}, nil
}

// buildRelease is the main module's version, or "" for a development build.
func buildRelease() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}

// Flush waits up to timeout for queued events to be sent and reports
// whether they all were.
func (t *Tracker) Flush(timeout time.Duration) bool {
	if t == nil {
		return true
	}
	return t.client.Flush(timeout)
}

// Close flushes for up to 5 seconds and stops the transport.
func (t *Tracker) Close() {
	if t == nil {
		return
	}
	t.client.Flush(5 * time.Second)
	t.client.Close()
}

// Request is what is reported of an HTTP request: nothing else of it is.
type Request struct {
	Method    string
	Route     string // the route template (c.Path()), never the raw URL
	RequestID string
	Status    int
}

// ReportHTTP reports a 5xx answer (err is the handler's error, may be
// nil) or, with panicked set, a recovered panic whose value is err.
func (t *Tracker) ReportHTTP(ctx context.Context, r Request, err error, panicked bool) {
	if t == nil {
		return
	}
	if err == nil {
		err = errors.New("HTTP " + strconv.Itoa(r.Status))
	}
	scope := sentry.NewScope()
	scope.SetTag("request_id", r.RequestID)
	scope.SetTag("http.method", r.Method)
	scope.SetTag("http.route", r.Route)
	scope.SetTag("http.status_code", strconv.Itoa(r.Status))
	kind, level := "http_5xx", sentry.LevelError
	if panicked {
		kind, level = "panic", sentry.LevelFatal
	}
	scope.SetTag("kind", kind)
	scope.SetFingerprint([]string{kind, r.Method, r.Route, errorType(err)})
	t.capture(ctx, err, level, scope)
}

// Task is what is reported of a task: nothing of its payload but the IDs.
type Task struct {
	Type      string
	TaskID    string
	Queue     string
	JobID     string
	RequestID string
	Retried   int
	MaxRetry  int
}

// ReportTask reports a task that failed for good (a permanent error or
// its last retry), or, with panicked set, one whose handler panicked.
func (t *Tracker) ReportTask(ctx context.Context, k Task, err error, panicked bool) {
	if t == nil || err == nil {
		return
	}
	scope := sentry.NewScope()
	scope.SetTag("task.type", k.Type)
	scope.SetTag("task.id", k.TaskID)
	scope.SetTag("task.queue", k.Queue)
	if k.JobID != "" {
		scope.SetTag("job_id", k.JobID)
	}
	if k.RequestID != "" {
		scope.SetTag("request_id", k.RequestID)
	}
	scope.SetTag("task.retried", strconv.Itoa(k.Retried))
	scope.SetTag("task.max_retry", strconv.Itoa(k.MaxRetry))
	kind, level := "task_failed", sentry.LevelError
	if panicked {
		kind, level = "task_panic", sentry.LevelFatal
	}
	scope.SetTag("kind", kind)
	scope.SetFingerprint([]string{kind, k.Type, errorType(err)})
	t.capture(ctx, err, level, scope)
}

// capture sends err with scope; the message is scrubbed before it leaves
// (and again in BeforeSend).
func (t *Tracker) capture(_ context.Context, err error, level sentry.Level, scope *sentry.Scope) {
	scope.SetLevel(level)
	ev := t.client.EventFromException(err, level)
	for i := range ev.Exception {
		ev.Exception[i].Value = Scrub(ev.Exception[i].Value)
	}
	ev.Message = Scrub(ev.Message)
	t.client.CaptureEvent(ev, nil, scope)
}

// errorType is the Go type of err's innermost wrapped error, for grouping.
func errorType(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return fmt.Sprintf("%T", err)
		}
		err = u
	}
}

// MaxMessage bounds a scrubbed message, in bytes.
const MaxMessage = 512

var scrubbers = []struct {
	re   *regexp.Regexp
	with string
}{
	// Quoted text: Go errors quote what they were given (%q), which may
	// be document, question or model text.
	{regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`"), `"[redacted]"`},
	{regexp.MustCompile(`(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`), `$1 [redacted]`},
	{regexp.MustCompile(`eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`), `[jwt]`},
	{regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`), `[email]`},
	// What an upstream server said (go-openai's "..., message: <text>"):
	// it may echo the key or the prompt.
	{regexp.MustCompile(`(?s)\bmessage: .*`), `message: [redacted]`},
	// API keys (OpenAI's sk-..., Stripe's sk_live_..., whsec_...).
	{regexp.MustCompile(`\b(sk|rk|pk|whsec)[-_][A-Za-z0-9_-]{3,}`), `[key]`},
	// user:password@ in URLs (connection strings).
	{regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`), `://[redacted]@`},
	// Long unbroken runs of letters and digits look like keys and tokens.
	{regexp.MustCompile(`[A-Za-z0-9_\-+/=]{32,}`), `[redacted]`},
}

// Scrub removes from an error message what must not leave the process:
// quoted text, bearer credentials, JWTs, e-mail addresses, URL passwords
// and secret-like runs, and cuts it to MaxMessage bytes.
func Scrub(s string) string {
	for _, sc := range scrubbers {
		s = sc.re.ReplaceAllString(s, sc.with)
	}
	if len(s) > MaxMessage {
		s = s[:MaxMessage] + "…"
	}
	return s
}

// scrubEvent is the BeforeSend hook: whatever built e, it leaves without
// the request, the user or breadcrumbs, with its messages
// scrubbed and only stack frames' function and file names.
func scrubEvent(e *sentry.Event) *sentry.Event {
	e.Request = nil
	e.User = sentry.User{}
	e.Breadcrumbs = nil
	e.Message = Scrub(e.Message)
	for i := range e.Exception {
		e.Exception[i].Value = Scrub(e.Exception[i].Value)
		if st := e.Exception[i].Stacktrace; st != nil {
			scrubFrames(st)
		}
	}
	for i := range e.Threads {
		if st := e.Threads[i].Stacktrace; st != nil {
			scrubFrames(st)
		}
	}
	return e
}

// scrubFrames drops frame variables (none are collected in Go, but a
// custom integration could add them).
func scrubFrames(st *sentry.Stacktrace) {
	for i := range st.Frames {
		st.Frames[i].Vars = nil
	}
}

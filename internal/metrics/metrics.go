// Package metrics is QuizFlow's Prometheus instrumentation: HTTP requests
// by route, tasks by type and outcome, LLM usage and cost, quizzes made,
// and (in one process only) the asynq queue gauges.
//
// A nil *Registry is valid and does nothing, so code and tests that do not
// care about metrics need not build one.
package metrics

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Namespace prefixes every QuizFlow metric name.
const Namespace = "quizflow"

// Task outcomes, the values of the "outcome" label of quizflow_tasks_total.
const (
	// OutcomeSuccess: the handler finished the task.
	OutcomeSuccess = "success"
	// OutcomeRetry: a transient error; asynq will run the task again.
	OutcomeRetry = "retry"
	// OutcomeFailed: the task will not run again (a user error, SkipRetry,
	// or the last retry failed).
	OutcomeFailed = "failed"
	// OutcomeSkipped: a duplicate delivery found its job already finished
	// (see MarkSkipped), or the task was revoked.
	OutcomeSkipped = "skipped"
)

// UnmatchedRoute is the route label of requests that matched no route, so
// that scanners probing random URLs cannot grow the label set.
const UnmatchedRoute = "unmatched"

// Registry holds QuizFlow's metric families on its own
// prometheus.Registry (never the global one).
type Registry struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	tasks        *prometheus.CounterVec
	taskDuration *prometheus.HistogramVec
	llmTokens    *prometheus.CounterVec
	llmCalls     *prometheus.CounterVec
	llmCost      *prometheus.CounterVec
	quizzes      *prometheus.CounterVec

	queuesOnce sync.Once
}

// New returns a registry with the Go runtime and process collectors and
// every QuizFlow family registered. Queue gauges are added by WithQueues.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests answered, by method, route template and status code.",
	}, []string{"method", "route", "status"})
	r.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method and route template.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route"})
	r.tasks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "tasks_total",
		Help: "Tasks processed, by task type and outcome (success, retry, failed, skipped).",
	}, []string{"type", "outcome"})
	r.taskDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "task_duration_seconds",
		Help:    "Time a task's handler ran, by task type, whatever the outcome.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
	}, []string{"type"})
	r.llmTokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_tokens_total",
		Help: "LLM tokens spent on generated quizzes, by model and kind (prompt, completion).",
	}, []string{"model", "kind"})
	r.llmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_calls_total",
		Help: "LLM calls made for generated quizzes, by model.",
	}, []string{"model"})
	r.llmCost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_cost_usd_total",
		Help: "Estimated LLM cost of generated quizzes in US dollars, by model.",
	}, []string{"model"})
	r.quizzes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "quizzes_generated_total",
		Help: "Quiz jobs finished, by model and whether an identical earlier quiz was reused (cached).",
	}, []string{"model", "cached"})
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.httpRequests, r.httpDuration, r.tasks, r.taskDuration,
		r.llmTokens, r.llmCalls, r.llmCost, r.quizzes,
	)
	return r
}

// Prometheus returns the underlying registry (nil for a nil Registry), to
// register more collectors or gather in tests.
func (r *Registry) Prometheus() *prometheus.Registry {
	if r == nil {
		return nil
	}
	return r.reg
}

// WithQueues adds asynq's queue collector (github.com/hibiken/asynq/x/metrics)
// reading through insp: per queue asynq_queue_size,
// asynq_queue_latency_seconds, asynq_tasks_enqueued_total{state=active,
// pending, scheduled, retry, archived, completed},
// asynq_tasks_processed_total, asynq_tasks_failed_total, asynq_queue_paused_total
// and asynq_queue_memory_usage_approx_bytes. It walks Redis on every
// scrape, so call it in one process only (the API). Calls after the first
// are ignored; it returns r for chaining.
func (r *Registry) WithQueues(insp *asynq.Inspector) *Registry {
	if r == nil || insp == nil {
		return r
	}
	r.queuesOnce.Do(func() {
		r.reg.MustRegister(uncheckedCollector{asynqmetrics.NewQueueMetricsCollector(insp)})
	})
	return r
}

// uncheckedCollector describes nothing, which makes it an "unchecked"
// collector: registering it does not run a collection (the asynq collector
// describes itself by collecting, i.e. by walking Redis).
type uncheckedCollector struct{ c prometheus.Collector }

func (uncheckedCollector) Describe(chan<- *prometheus.Desc) {}

func (u uncheckedCollector) Collect(ch chan<- prometheus.Metric) { u.c.Collect(ch) }

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// exposition format. A nil Registry's handler answers 404.
func (r *Registry) Handler() http.Handler {
	if r == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		Registry:          r.reg, // promhttp_metric_handler_errors_total
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// ValidToken reports whether the request carries "Authorization: Bearer
// token", compared in constant time. An empty token accepts every request.
func ValidToken(req *http.Request, token string) bool {
	if token == "" {
		return true
	}
	got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// RequireToken wraps h so that, when token is not empty, only requests
// with "Authorization: Bearer token" reach it; others get 401.
func RequireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !ValidToken(req, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need 'Authorization: Bearer <METRICS_TOKEN>'", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// EchoMiddleware counts and times every request by method, route template
// (c.Path(), never the raw URL, so IDs never become label values; requests
// that match no route are labelled "unmatched") and status. A handler's
// error is handed to Echo's error handler here (c.Error), as Echo itself
// would, so the status recorded is the one the client gets.
func (r *Registry) EchoMiddleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if r == nil {
			return next
		}
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" || errors.Is(err, echo.ErrNotFound) {
				route = UnmatchedRoute
			}
			method := c.Request().Method
			status := c.Response().Status
			r.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
			r.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// skipMark is what MarkSkipped sets; TaskMiddleware puts one in each
// task's context.
type skipMark struct{ skipped atomic.Bool }

type skipKey struct{}

// MarkSkipped records that the task running under ctx did nothing because
// its work was already done (a duplicate delivery): a nil error from it
// then counts as outcome "skipped" rather than "success". Outside
// TaskMiddleware it does nothing.
func MarkSkipped(ctx context.Context) {
	if m, ok := ctx.Value(skipKey{}).(*skipMark); ok {
		m.skipped.Store(true)
	}
}

// TaskMiddleware counts and times every task by type and outcome. Register
// it as the outermost middleware, so the outcome is what asynq acts on:
//   - nil: "success", or "skipped" if the handler called MarkSkipped;
//   - an error wrapping asynq.SkipRetry: "failed"; asynq.RevokeTask: "skipped";
//   - any other error (or a panic): "retry", or "failed" on the last retry
//     (asynq.GetRetryCount >= asynq.GetMaxRetry).
func (r *Registry) TaskMiddleware() asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		if r == nil {
			return next
		}
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			mark := &skipMark{}
			ctx = context.WithValue(ctx, skipKey{}, mark)
			start := time.Now()
			panicked := true
			defer func() {
				typ := t.Type()
				if !slices.Contains(jobs.Types, typ) {
					typ = "unknown" // bound the label's values
				}
				r.taskDuration.WithLabelValues(typ).Observe(time.Since(start).Seconds())
				outcome := Outcome(ctx, err)
				if panicked {
					// asynq recovers the panic and treats it as an error.
					outcome = Outcome(ctx, errors.New("panic"))
				} else if err == nil && mark.skipped.Load() {
					outcome = OutcomeSkipped
				}
				r.tasks.WithLabelValues(typ, outcome).Inc()
			}()
			err = next.ProcessTask(ctx, t)
			panicked = false
			return err
		})
	}
}

// Outcome classifies a task's final error as asynq will treat it (see
// TaskMiddleware); ctx is the task's context, for its retry count.
func Outcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return OutcomeSuccess
	case errors.Is(err, asynq.SkipRetry):
		return OutcomeFailed
	case errors.Is(err, asynq.RevokeTask):
		return OutcomeSkipped
	}
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	if ok1 && ok2 && retried >= maxRetry {
		return OutcomeFailed
	}
	return OutcomeRetry
}

// ObserveQuiz records one finished quiz job from its usage: a reused
// (cached) quiz counts in quizflow_quizzes_generated_total{cached="true"}
// only, since it spent nothing; a generated one also adds its calls,
// tokens and cost to the LLM families.
func (r *Registry) ObserveQuiz(u quizflow.Usage) {
	if r == nil {
		return
	}
	model := u.Model
	if model == "" {
		model = "unknown"
	}
	r.quizzes.WithLabelValues(model, strconv.FormatBool(u.Cached)).Inc()
	if u.Cached {
		return
	}
	r.llmCalls.WithLabelValues(model).Add(float64(max(u.Calls, 0)))
	r.llmTokens.WithLabelValues(model, "prompt").Add(float64(max(u.PromptTokens, 0)))
	r.llmTokens.WithLabelValues(model, "completion").Add(float64(max(u.CompletionTokens, 0)))
	r.llmCost.WithLabelValues(model).Add(max(u.CostUSD, 0))
}

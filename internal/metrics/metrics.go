// Package metrics is QuizFlow's Prometheus registry: HTTP requests by
// route, tasks by type and outcome, LLM usage and cost, quizzes made, and
// (in one process only) the asynq queue gauges.
//
// It knows nothing of Echo, asynq or the task types: the code that sees an
// event reports it with an Observe method (the API's request middleware,
// the worker's task middleware) and is responsible for keeping label
// values bounded.
//
// A nil *Registry is valid and does nothing, so code and tests that do not
// care about metrics need not build one.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Namespace prefixes every QuizFlow metric name.
const Namespace = "quizflow"

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
	llmRefusals  *prometheus.CounterVec
	extractPeak  prometheus.Histogram
	extractCPU   prometheus.Histogram

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
		Help: "LLM tokens spent, counted as each call is answered (calls of attempts that later crashed or failed included), by model and kind (prompt, completion).",
	}, []string{"model", "kind"})
	r.llmCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_calls_total",
		Help: "LLM calls answered, counted as each completes (re-asks and answer checks included), by model.",
	}, []string{"model"})
	r.llmCost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_cost_usd_total",
		Help: "Estimated LLM cost in US dollars, counted as each call is answered, by model.",
	}, []string{"model"})
	r.quizzes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "quizzes_generated_total",
		Help: "Quiz jobs finished, by model and whether an identical earlier quiz was reused (cached).",
	}, []string{"model", "cached"})
	r.llmRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "llm_refusals_total",
		Help: "Jobs failed because the model server refused the key, model or request (HTTP 400, 401, 403, 404), by status: an operator must fix a setting. Alert on any increase.",
	}, []string{"status"})
	r.extractPeak = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "extract_peak_rss_bytes",
		Help:    "Peak resident memory of each extraction child process (the kernel's rusage), whatever the outcome.",
		Buckets: prometheus.ExponentialBuckets(16<<20, 2, 8), // 16 MiB to 2 GiB
	})
	r.extractCPU = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "extract_cpu_seconds",
		Help:    "CPU time of each extraction child process, whatever the outcome.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	})
	// Every status a refusal can have starts at 0, so rate() and
	// increase() see the first one.
	for _, st := range []string{"400", "401", "403", "404"} {
		r.llmRefusals.WithLabelValues(st)
	}
	r.reg.MustRegister(
		r.extractPeak, r.extractCPU,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.httpRequests, r.httpDuration, r.tasks, r.taskDuration,
		r.llmTokens, r.llmCalls, r.llmCost, r.quizzes, r.llmRefusals,
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

// WithQueues registers the asynq queue collector c, which the caller
// builds as asynqmetrics.NewQueueMetricsCollector(inspector) (package
// github.com/hibiken/asynq/x/metrics): per queue asynq_queue_size,
// asynq_queue_latency_seconds, asynq_tasks_enqueued_total{state=active,
// pending, scheduled, retry, archived, completed},
// asynq_tasks_processed_total, asynq_tasks_failed_total, asynq_queue_paused_total
// and asynq_queue_memory_usage_approx_bytes. It walks Redis on every
// scrape, so call it in one process only (the API). c is registered
// unchecked (see uncheckedCollector), so registering does not walk Redis.
// A nil c is ignored; so are calls after the first. It returns r for
// chaining.
func (r *Registry) WithQueues(c prometheus.Collector) *Registry {
	if r == nil || c == nil {
		return r
	}
	r.queuesOnce.Do(func() {
		r.reg.MustRegister(uncheckedCollector{c})
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

// ObserveRequest records one answered HTTP request: its method, its
// route template (never the raw URL, so IDs never become label values),
// the status the client got and how long it took.
func (r *Registry) ObserveRequest(method, route string, status int, d time.Duration) {
	if r == nil {
		return
	}
	r.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	r.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// ObserveExtraction records one extraction child's peak resident memory
// (bytes) and CPU time.
func (r *Registry) ObserveExtraction(peakRSS int64, cpu time.Duration) {
	if r == nil {
		return
	}
	r.extractPeak.Observe(float64(peakRSS))
	r.extractCPU.Observe(cpu.Seconds())
}

// ObserveTask records one run of a task: its type (from a bounded set),
// its outcome (success, retry, failed or skipped) and how long the
// handler ran.
func (r *Registry) ObserveTask(typ, outcome string, d time.Duration) {
	if r == nil {
		return
	}
	r.taskDuration.WithLabelValues(typ).Observe(d.Seconds())
	r.tasks.WithLabelValues(typ, outcome).Inc()
}

// ObserveQuiz records one finished quiz job in
// quizflow_quizzes_generated_total, by model and whether it reused an
// earlier quiz (cached). What its calls cost is counted by ObserveLLMCall
// as each completes, not here, so calls of attempts that never finished
// count too, and none twice.
func (r *Registry) ObserveQuiz(u quizflow.Usage) {
	if r == nil {
		return
	}
	r.quizzes.WithLabelValues(modelLabel(u.Model), strconv.FormatBool(u.Cached)).Inc()
}

// ObserveLLMCall adds one completed model call's usage (u.Calls calls,
// usually 1, its tokens and cost) to the LLM families. Call it once per
// call, as the call completes.
func (r *Registry) ObserveLLMCall(u quizflow.Usage) {
	if r == nil {
		return
	}
	model := modelLabel(u.Model)
	r.llmCalls.WithLabelValues(model).Add(float64(max(u.Calls, 0)))
	r.llmTokens.WithLabelValues(model, "prompt").Add(float64(max(u.PromptTokens, 0)))
	r.llmTokens.WithLabelValues(model, "completion").Add(float64(max(u.CompletionTokens, 0)))
	r.llmCost.WithLabelValues(model).Add(max(u.CostUSD, 0))
}

// ObserveLLMRefusal counts one job failed by a refusal of the model server
// with HTTP status (a 4xx: bounded), in quizflow_llm_refusals_total, the
// series operators alert on.
func (r *Registry) ObserveLLMRefusal(status int) {
	if r == nil {
		return
	}
	r.llmRefusals.WithLabelValues(strconv.Itoa(status)).Inc()
}

// modelLabel is the model label of usage of model m.
func modelLabel(m string) string {
	if m == "" {
		return "unknown"
	}
	return m
}

package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	asynqmetrics "github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/metrics/metricstest"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
)

// gather scrapes r's handler and parses the text exposition.
func gather(t *testing.T, r *metrics.Registry) metricstest.Families {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return metricstest.Parse(t, rec.Body)
}

type series struct {
	name   string
	labels map[string]string
	want   float64
}

func checkSeries(t *testing.T, mfs metricstest.Families, want []series) {
	t.Helper()
	for _, s := range want {
		if got, ok := mfs.Value(s.name, s.labels); !ok || got != s.want {
			t.Errorf("%s%v = %v (present %v), want %v", s.name, s.labels, got, ok, s.want)
		}
	}
}

func TestNilRegistryIsANoOp(t *testing.T) {
	var r *metrics.Registry
	if r.Prometheus() != nil {
		t.Error("nil registry has a prometheus registry")
	}
	if r.WithQueues(prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"})) != nil {
		t.Error("WithQueues on nil returned non-nil")
	}
	r.ObserveQuiz(quizflow.Usage{Model: "m", Calls: 1})
	r.ObserveLLMCall(quizflow.Usage{Model: "m", Calls: 1})
	r.ObserveLLMRefusal(http.StatusUnauthorized)
	r.ObserveRequest(http.MethodGet, "/x", http.StatusOK, time.Second)
	r.ObserveTask("t", "success", time.Second)

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil handler: %d, want 404", rec.Code)
	}
}

func TestNewHasRuntimeCollectors(t *testing.T) {
	mfs := gather(t, metrics.New())
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}

func TestObserveRequest(t *testing.T) {
	r := metrics.New()
	for range 3 {
		r.ObserveRequest(http.MethodGet, "/v1/items/:id", http.StatusOK, 20*time.Millisecond)
	}
	r.ObserveRequest(http.MethodPost, "/v1/items", http.StatusConflict, time.Millisecond)
	mfs := gather(t, r)
	checkSeries(t, mfs, []series{
		{"quizflow_http_requests_total", map[string]string{"method": "GET", "route": "/v1/items/:id", "status": "200"}, 3},
		{"quizflow_http_requests_total", map[string]string{"method": "POST", "route": "/v1/items", "status": "409"}, 1},
		{"quizflow_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/v1/items/:id"}, 3},
	})
	if n := len(mfs["quizflow_http_requests_total"].GetMetric()); n != 2 {
		t.Errorf("%d request series, want 2", n)
	}
}

func TestObserveTask(t *testing.T) {
	r := metrics.New()
	r.ObserveTask("document:extract", "success", time.Second)
	r.ObserveTask("document:extract", "success", time.Second)
	r.ObserveTask("email:send", "retry", time.Second)
	r.ObserveTask("email:send", "failed", time.Second)
	mfs := gather(t, r)
	checkSeries(t, mfs, []series{
		{"quizflow_tasks_total", map[string]string{"type": "document:extract", "outcome": "success"}, 2},
		{"quizflow_tasks_total", map[string]string{"type": "email:send", "outcome": "retry"}, 1},
		{"quizflow_tasks_total", map[string]string{"type": "email:send", "outcome": "failed"}, 1},
		// The duration counts every run, whatever its outcome.
		{"quizflow_task_duration_seconds", map[string]string{"type": "email:send"}, 2},
	})
}

func TestObserveQuiz(t *testing.T) {
	r := metrics.New()
	r.ObserveQuiz(quizflow.Usage{Model: "gpt-4o-mini", Calls: 3, PromptTokens: 1000, CompletionTokens: 200, CostUSD: 0.25})
	r.ObserveQuiz(quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 500, CompletionTokens: 100, CostUSD: 0.125})
	r.ObserveQuiz(quizflow.Usage{Model: "gpt-4o-mini", Cached: true})
	r.ObserveQuiz(quizflow.Usage{Model: "offline", Calls: 2})
	r.ObserveQuiz(quizflow.Usage{})

	mfs := gather(t, r)
	checkSeries(t, mfs, []series{
		{"quizflow_quizzes_generated_total", map[string]string{"model": "gpt-4o-mini", "cached": "false"}, 2},
		{"quizflow_quizzes_generated_total", map[string]string{"model": "gpt-4o-mini", "cached": "true"}, 1},
		{"quizflow_quizzes_generated_total", map[string]string{"model": "offline", "cached": "false"}, 1},
		{"quizflow_quizzes_generated_total", map[string]string{"model": "unknown", "cached": "false"}, 1},
	})
	// The calls were counted as they completed (ObserveLLMCall), so a
	// finished quiz does not count them again.
	for _, name := range []string{"quizflow_llm_calls_total", "quizflow_llm_tokens_total", "quizflow_llm_cost_usd_total"} {
		if n := len(mfs[name].GetMetric()); n != 0 {
			t.Errorf("%s has %d series after quizzes alone, want none", name, n)
		}
	}
}

func TestObserveLLMCall(t *testing.T) {
	r := metrics.New()
	for _, u := range []quizflow.Usage{
		{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 1000, CompletionTokens: 200, CostUSD: 0.25},
		{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 500, CompletionTokens: 100, CostUSD: 0.125},
		{Model: "offline", Calls: 2},
		{Calls: 1},
	} {
		r.ObserveLLMCall(u)
	}
	checkSeries(t, gather(t, r), []series{
		{"quizflow_llm_calls_total", map[string]string{"model": "gpt-4o-mini"}, 2},
		{"quizflow_llm_calls_total", map[string]string{"model": "offline"}, 2},
		{"quizflow_llm_calls_total", map[string]string{"model": "unknown"}, 1},
		{"quizflow_llm_tokens_total", map[string]string{"model": "gpt-4o-mini", "kind": "prompt"}, 1500},
		{"quizflow_llm_tokens_total", map[string]string{"model": "gpt-4o-mini", "kind": "completion"}, 300},
		{"quizflow_llm_cost_usd_total", map[string]string{"model": "gpt-4o-mini"}, 0.375},
	})
}

func TestObserveLLMRefusal(t *testing.T) {
	r := metrics.New()
	r.ObserveLLMRefusal(http.StatusUnauthorized)
	r.ObserveLLMRefusal(http.StatusUnauthorized)
	r.ObserveLLMRefusal(http.StatusBadRequest)
	checkSeries(t, gather(t, r), []series{
		{"quizflow_llm_refusals_total", map[string]string{"status": "401"}, 2},
		{"quizflow_llm_refusals_total", map[string]string{"status": "400"}, 1},
	})
}

// countingCollector counts its Describe and Collect calls and collects one
// gauge.
type countingCollector struct {
	gauge              prometheus.Gauge
	describe, collects atomic.Int32
}

func (c *countingCollector) Describe(ch chan<- *prometheus.Desc) {
	c.describe.Add(1)
	c.gauge.Describe(ch)
}

func (c *countingCollector) Collect(ch chan<- prometheus.Metric) {
	c.collects.Add(1)
	c.gauge.Collect(ch)
}

// TestWithQueuesIsUncheckedAndOnce: registering the collector neither
// describes nor collects it (for asynq's, either would walk Redis), each
// scrape collects it, and calls after the first are ignored.
func TestWithQueuesIsUncheckedAndOnce(t *testing.T) {
	c := &countingCollector{gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "asynq_fake_gauge"})}
	c.gauge.Set(7)
	r := metrics.New()
	if r.WithQueues(c) != r {
		t.Fatal("WithQueues does not return its registry")
	}
	if c.describe.Load() != 0 || c.collects.Load() != 0 {
		t.Errorf("registration described %d and collected %d times, want 0", c.describe.Load(), c.collects.Load())
	}
	r.WithQueues(c) // registered twice, it would be collected twice
	other := &countingCollector{gauge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "asynq_other_gauge"})}
	r.WithQueues(other)
	r.WithQueues(nil)
	mfs := gather(t, r)
	checkSeries(t, mfs, []series{{"asynq_fake_gauge", nil, 7}})
	if _, ok := mfs["asynq_other_gauge"]; ok {
		t.Error("a second WithQueues was registered")
	}
	if n := c.collects.Load(); n != 1 {
		t.Errorf("one scrape collected %d times", n)
	}
}

// TestWithQueuesExportsQueueGauges registers asynq's collector as
// internal/app does and reads real queue state through it.
func TestWithQueuesExportsQueueGauges(t *testing.T) {
	rdb := testenv.Redis(t)
	client := asynq.NewClientFromRedisClient(rdb)
	for range 3 {
		if _, err := client.Enqueue(asynq.NewTask("t:x", nil), asynq.Queue("extract")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Enqueue(asynq.NewTask("t:x", nil), asynq.Queue("export"), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r := metrics.New().WithQueues(asynqmetrics.NewQueueMetricsCollector(asynq.NewInspectorFromRedisClient(rdb)))
	mfs := gather(t, r)
	checkSeries(t, mfs, []series{
		{"asynq_queue_size", map[string]string{"queue": "extract"}, 3},
		{"asynq_queue_size", map[string]string{"queue": "export"}, 1},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "pending"}, 3},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "active"}, 0},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "retry"}, 0},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "archived"}, 0},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "export", "state": "scheduled"}, 1},
	})
	if lat, ok := mfs.Value("asynq_queue_latency_seconds", map[string]string{"queue": "extract"}); !ok || lat < 0 {
		t.Errorf("latency of extract = %v (present %v)", lat, ok)
	}
}

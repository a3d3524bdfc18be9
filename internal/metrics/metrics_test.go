package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	dto "github.com/prometheus/client_model/go"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/metrics/metricstest"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/jobs"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// scrape GETs /metrics through h and parses the text exposition.
func scrape(t *testing.T, h http.Handler, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return parse(t, rec.Body)
}

func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	return metricstest.Parse(t, r)
}

// value returns the value of the series of family name whose labels
// include want (see metricstest.Families.Value).
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	return metricstest.Families(mfs).Value(name, want)
}

func gather(t *testing.T, r *metrics.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	return scrape(t, r.Handler(), "")
}

func TestNilRegistryIsANoOp(t *testing.T) {
	var r *metrics.Registry
	if r.Prometheus() != nil {
		t.Error("nil registry has a prometheus registry")
	}
	if r.WithQueues(asynq.NewInspector(asynq.RedisClientOpt{Addr: "127.0.0.1:1"})) != nil {
		t.Error("WithQueues on nil returned non-nil")
	}
	r.ObserveQuiz(quizflow.Usage{Model: "m", Calls: 1})

	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil handler: %d, want 404", rec.Code)
	}

	e := echo.New()
	e.Use(r.EchoMiddleware())
	e.GET("/x", func(c echo.Context) error { return c.String(http.StatusTeapot, "tea") })
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("through nil middleware: %d", rec.Code)
	}

	want := errors.New("boom")
	h := r.TaskMiddleware()(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		metrics.MarkSkipped(ctx) // no-op outside the middleware
		return want
	}))
	if err := h.ProcessTask(context.Background(), asynq.NewTask("t", nil)); err != want {
		t.Errorf("nil task middleware changed the error: %v", err)
	}
	metrics.MarkSkipped(context.Background())
}

func TestNewHasRuntimeCollectors(t *testing.T) {
	mfs := gather(t, metrics.New())
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
}

func TestEchoMiddlewareLabelsByRouteTemplate(t *testing.T) {
	r := metrics.New()
	e := echo.New()
	e.Use(r.EchoMiddleware())
	e.Use(middleware.Recover())
	e.GET("/v1/items/:id", func(c echo.Context) error { return c.JSON(http.StatusOK, c.Param("id")) })
	e.POST("/v1/items", func(c echo.Context) error { return echo.NewHTTPError(http.StatusConflict, "taken") })
	e.GET("/panic", func(c echo.Context) error { panic("handler bug") })

	do := func(method, path string) int {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	for _, id := range []string{"itm_secret1", "itm_secret2", "itm_secret3"} {
		if c := do(http.MethodGet, "/v1/items/"+id); c != 200 {
			t.Fatalf("GET item: %d", c)
		}
	}
	if c := do(http.MethodPost, "/v1/items"); c != http.StatusConflict {
		t.Fatalf("POST: %d", c)
	}
	if c := do(http.MethodGet, "/no/such/path/usr_12345"); c != http.StatusNotFound {
		t.Fatalf("unknown path: %d", c)
	}
	if c := do(http.MethodGet, "/panic"); c != http.StatusInternalServerError {
		t.Fatalf("panic: %d", c)
	}

	mfs := gather(t, r)
	for _, tc := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"method": "GET", "route": "/v1/items/:id", "status": "200"}, 3},
		{map[string]string{"method": "POST", "route": "/v1/items", "status": "409"}, 1},
		{map[string]string{"method": "GET", "route": metrics.UnmatchedRoute, "status": "404"}, 1},
		{map[string]string{"method": "GET", "route": "/panic", "status": "500"}, 1},
	} {
		got, ok := value(mfs, "quizflow_http_requests_total", tc.labels)
		if !ok || got != tc.want {
			t.Errorf("requests %v = %v (present %v), want %v", tc.labels, got, ok, tc.want)
		}
	}
	if n, ok := value(mfs, "quizflow_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/v1/items/:id"}); !ok || n != 3 {
		t.Errorf("duration histogram count = %v (present %v), want 3", n, ok)
	}
	// No raw URL (and so no ID) may become a label value.
	for _, name := range []string{"quizflow_http_requests_total", "quizflow_http_request_duration_seconds"} {
		for _, m := range mfs[name].GetMetric() {
			for _, lp := range m.GetLabel() {
				if strings.Contains(lp.GetValue(), "secret") || strings.Contains(lp.GetValue(), "usr_") {
					t.Errorf("%s has label %s=%q", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

func TestObserveQuiz(t *testing.T) {
	r := metrics.New()
	r.ObserveQuiz(quizflow.Usage{Model: "gpt-4o-mini", Calls: 3, PromptTokens: 1000, CompletionTokens: 200, CostUSD: 0.25})
	r.ObserveQuiz(quizflow.Usage{Model: "gpt-4o-mini", Calls: 1, PromptTokens: 500, CompletionTokens: 100, CostUSD: 0.125})
	r.ObserveQuiz(quizflow.Usage{Model: "gpt-4o-mini", Cached: true})
	r.ObserveQuiz(quizflow.Usage{Model: "offline", Calls: 2})
	r.ObserveQuiz(quizflow.Usage{})

	mfs := gather(t, r)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"quizflow_quizzes_generated_total", map[string]string{"model": "gpt-4o-mini", "cached": "false"}, 2},
		{"quizflow_quizzes_generated_total", map[string]string{"model": "gpt-4o-mini", "cached": "true"}, 1},
		{"quizflow_quizzes_generated_total", map[string]string{"model": "offline", "cached": "false"}, 1},
		{"quizflow_quizzes_generated_total", map[string]string{"model": "unknown", "cached": "false"}, 1},
		{"quizflow_llm_calls_total", map[string]string{"model": "gpt-4o-mini"}, 4},
		{"quizflow_llm_calls_total", map[string]string{"model": "offline"}, 2},
		{"quizflow_llm_tokens_total", map[string]string{"model": "gpt-4o-mini", "kind": "prompt"}, 1500},
		{"quizflow_llm_tokens_total", map[string]string{"model": "gpt-4o-mini", "kind": "completion"}, 300},
		{"quizflow_llm_cost_usd_total", map[string]string{"model": "gpt-4o-mini"}, 0.375},
	} {
		if got, ok := value(mfs, tc.name, tc.labels); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
}

func TestRequireToken(t *testing.T) {
	r := metrics.New()
	h := metrics.RequireToken("s3cret-token", r.Handler())
	for _, auth := range []string{"", "Bearer wrong", "s3cret-token", "Basic s3cret-token"} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d, want 401 with WWW-Authenticate", auth, rec.Code)
		}
	}
	if _, ok := scrape(t, h, "s3cret-token")["go_goroutines"]; !ok {
		t.Error("authorised scrape has no go_goroutines")
	}
	if metrics.RequireToken("", r.Handler()) == nil {
		t.Error("no handler without a token")
	}
}

// TestTaskMiddlewareOutcomes runs tasks through a real asynq server on a
// real Redis and checks how each ending is counted.
func TestTaskMiddlewareOutcomes(t *testing.T) {
	env := testenv.New(t)
	redisOpt, err := asynq.ParseRedisURI(env.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	r := metrics.New()
	mux := asynq.NewServeMux()
	mux.Use(r.TaskMiddleware())
	mux.HandleFunc(jobs.TypeDocumentExtract, func(context.Context, *asynq.Task) error { return nil })
	mux.HandleFunc("rogue:type", func(context.Context, *asynq.Task) error { return nil })
	mux.HandleFunc(jobs.TypeQuizGenerate, func(ctx context.Context, _ *asynq.Task) error {
		metrics.MarkSkipped(ctx)
		return nil
	})
	mux.HandleFunc(jobs.TypeQuizExport, func(context.Context, *asynq.Task) error {
		return fmt.Errorf("unreadable: %w", asynq.SkipRetry)
	})
	mux.HandleFunc(jobs.TypeEmailSend, func(context.Context, *asynq.Task) error { return errors.New("store outage") })
	mux.HandleFunc(jobs.TypeMaintenanceBackup, func(context.Context, *asynq.Task) error { panic("handler bug") })

	srv := asynq.NewServer(redisOpt, asynq.Config{
		Concurrency:       4,
		Queues:            map[string]int{"default": 1},
		RetryDelayFunc:    func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval: 20 * time.Millisecond,
		// Retries wait in the retry set; move them back promptly.
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	client := asynq.NewClient(redisOpt)
	t.Cleanup(func() { _ = client.Close() })
	for _, task := range []struct {
		typ  string
		opts []asynq.Option
	}{
		{jobs.TypeDocumentExtract, nil}, {jobs.TypeDocumentExtract, nil}, {"rogue:type", nil}, {jobs.TypeQuizGenerate, nil}, {jobs.TypeQuizExport, []asynq.Option{asynq.MaxRetry(5)}},
		{jobs.TypeEmailSend, []asynq.Option{asynq.MaxRetry(2)}}, {jobs.TypeMaintenanceBackup, []asynq.Option{asynq.MaxRetry(0)}},
	} {
		if _, err := client.Enqueue(asynq.NewTask(task.typ, nil), task.opts...); err != nil {
			t.Fatal(err)
		}
	}

	want := []struct {
		typ, outcome string
		n            float64
	}{
		{jobs.TypeDocumentExtract, metrics.OutcomeSuccess, 2},
		{"unknown", metrics.OutcomeSuccess, 1}, // types outside jobs.Types share one label
		{jobs.TypeQuizGenerate, metrics.OutcomeSkipped, 1},
		{jobs.TypeQuizExport, metrics.OutcomeFailed, 1},
		{jobs.TypeEmailSend, metrics.OutcomeRetry, 2}, // attempts 1 and 2 of 3
		{jobs.TypeEmailSend, metrics.OutcomeFailed, 1},
		{jobs.TypeMaintenanceBackup, metrics.OutcomeFailed, 1},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mfs := gather(t, r)
		var missing []string
		for _, w := range want {
			got, _ := value(mfs, "quizflow_tasks_total", map[string]string{"type": w.typ, "outcome": w.outcome})
			if got != w.n {
				missing = append(missing, fmt.Sprintf("%s/%s=%v want %v", w.typ, w.outcome, got, w.n))
			}
		}
		if len(missing) == 0 {
			// Nothing else was counted: no success for a failing task, etc.
			if n := len(mfs["quizflow_tasks_total"].GetMetric()); n != len(want) {
				t.Errorf("%d task series, want %d", n, len(want))
			}
			if c, ok := value(mfs, "quizflow_task_duration_seconds", map[string]string{"type": jobs.TypeEmailSend}); !ok || c != 3 {
				t.Errorf("flaky task duration count = %v, want 3", c)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task outcomes: %s", strings.Join(missing, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestOutcomeWithoutTaskContext(t *testing.T) {
	ctx := context.Background()
	if got := metrics.Outcome(ctx, nil); got != metrics.OutcomeSuccess {
		t.Errorf("nil: %s", got)
	}
	if got := metrics.Outcome(ctx, fmt.Errorf("x: %w", asynq.SkipRetry)); got != metrics.OutcomeFailed {
		t.Errorf("SkipRetry: %s", got)
	}
	if got := metrics.Outcome(ctx, asynq.RevokeTask); got != metrics.OutcomeSkipped {
		t.Errorf("RevokeTask: %s", got)
	}
	if got := metrics.Outcome(ctx, errors.New("x")); got != metrics.OutcomeRetry {
		t.Errorf("plain error: %s", got)
	}
}

func TestWithQueuesExportsQueueGauges(t *testing.T) {
	env := testenv.New(t)
	redisOpt, err := asynq.ParseRedisURI(env.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	for range 3 {
		if _, err := client.Enqueue(asynq.NewTask("t:x", nil), asynq.Queue("extract")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Enqueue(asynq.NewTask("t:x", nil), asynq.Queue("export"), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()

	r := metrics.New()
	if r.WithQueues(insp) != r {
		t.Fatal("WithQueues does not return its registry")
	}
	r.WithQueues(insp) // a second call is ignored, not a duplicate registration
	mfs := gather(t, r)
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"asynq_queue_size", map[string]string{"queue": "extract"}, 3},
		{"asynq_queue_size", map[string]string{"queue": "export"}, 1},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "pending"}, 3},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "active"}, 0},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "retry"}, 0},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "extract", "state": "archived"}, 0},
		{"asynq_tasks_enqueued_total", map[string]string{"queue": "export", "state": "scheduled"}, 1},
	} {
		if got, ok := value(mfs, tc.name, tc.labels); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if lat, ok := value(mfs, "asynq_queue_latency_seconds", map[string]string{"queue": "extract"}); !ok || lat < 0 {
		t.Errorf("latency of extract = %v (present %v)", lat, ok)
	}
}

package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/quizflow/quizflow/internal/metrics/metricstest"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

const testMetricsToken = "metrics-token-for-tests-0123456789"

func withMetricsToken(tok string) func(*setupOptions) {
	return func(o *setupOptions) { o.env["METRICS_TOKEN"] = tok }
}

// scrapeMetrics GETs url with the bearer token and parses the exposition.
func scrapeMetrics(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body, hdr := raw(t, http.MethodGet, url, token, nil, nil)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q", ct)
	}
	return metricstest.Parse(t, strings.NewReader(body))
}

// metricValue returns the value of the series of family name whose labels
// include want (see metricstest.Families.Value).
func metricValue(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	return metricstest.Families(mfs).Value(name, want)
}

// TestMetrics runs uploads through the pipeline and reads what the API's
// /metrics reports about them (API and worker share one registry here, as
// in `quizflow dev`).
func TestMetrics(t *testing.T) {
	s := setup(t, withMetricsToken(testMetricsToken))
	c := s.user("Metered")
	ctx := context.Background()

	// The same document twice: the second quiz reuses the first.
	var docID string
	for i := range 2 {
		up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
		if err != nil {
			t.Fatal(err)
		}
		if job := waitJob(t, c, up.Job.ID); job.Status != quizflow.StatusSucceeded {
			t.Fatalf("upload %d: job %+v error %+v", i, job, job.Error)
		}
		docID = up.Document.ID
	}
	if code, _, _ := raw(t, http.MethodGet, s.url+"/v1/documents/"+docID, c.Token, nil, nil); code != http.StatusOK {
		t.Fatalf("GET document: %d", code)
	}

	// The token is required.
	for _, tok := range []string{"", "wrong-token"} {
		code, body, hdr := raw(t, http.MethodGet, s.url+"/metrics", tok, nil, nil)
		if code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d %s, want 401 with WWW-Authenticate", tok, code, body)
		}
		if strings.Contains(body, "quizflow_") {
			t.Errorf("token %q: the 401 leaks metrics", tok)
		}
	}

	// The last task's counter is incremented just after the job is
	// recorded as succeeded, so wait for it.
	var mfs map[string]*dto.MetricFamily
	eventually(t, 10*time.Second, func() (bool, string) {
		mfs = scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
		n, _ := metricValue(mfs, "quizflow_tasks_total", map[string]string{"type": jobs.TypeQuizGenerate, "outcome": "success"})
		return n >= 2, fmt.Sprintf("quizflow_tasks_total{type=%q,outcome=\"success\"} = %v, want >= 2", jobs.TypeQuizGenerate, n)
	})

	atLeast := func(name string, labels map[string]string, min float64) {
		t.Helper()
		v, ok := metricValue(mfs, name, labels)
		if !ok || v < min {
			t.Errorf("%s%v = %v (present %v), want >= %v", name, labels, v, ok, min)
		}
	}
	atLeast("quizflow_http_requests_total", map[string]string{"method": "POST", "route": "/v1/documents", "status": "202"}, 2)
	atLeast("quizflow_http_requests_total", map[string]string{"method": "GET", "route": "/v1/jobs/:id", "status": "200"}, 2)
	atLeast("quizflow_http_requests_total", map[string]string{"method": "GET", "route": "/v1/documents/:id", "status": "200"}, 1)
	atLeast("quizflow_http_requests_total", map[string]string{"method": "GET", "route": "/metrics", "status": "401"}, 2)
	atLeast("quizflow_http_request_duration_seconds", map[string]string{"method": "POST", "route": "/v1/documents"}, 2)
	atLeast("quizflow_tasks_total", map[string]string{"type": jobs.TypeDocumentExtract, "outcome": "success"}, 2)
	atLeast("quizflow_tasks_total", map[string]string{"type": jobs.TypeQuizGenerate, "outcome": "success"}, 2)
	atLeast("quizflow_task_duration_seconds", map[string]string{"type": jobs.TypeQuizGenerate}, 2)
	atLeast("quizflow_quizzes_generated_total", map[string]string{"model": "offline", "cached": "false"}, 1)
	atLeast("quizflow_quizzes_generated_total", map[string]string{"model": "offline", "cached": "true"}, 1)
	atLeast("quizflow_llm_calls_total", map[string]string{"model": "offline"}, 1)
	for _, name := range []string{"quizflow_http_requests_total", "quizflow_http_request_duration_seconds"} {
		for _, m := range mfs[name].GetMetric() {
			for _, lp := range m.GetLabel() {
				if strings.Contains(lp.GetValue(), docID) || strings.Contains(lp.GetValue(), "job_") {
					t.Errorf("%s: an ID became a label: %s=%q", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}
	for _, name := range []string{"quizflow_tasks_total"} {
		for _, m := range mfs[name].GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "outcome" && lp.GetValue() != "success" {
					t.Errorf("%s: unexpected outcome %q in a clean run", name, lp.GetValue())
				}
			}
		}
	}

	// Queue gauges (the API registers asynq's collector): both stages'
	// queues exist, and nothing is left waiting, retrying or archived.
	for _, q := range []string{"extract", "generate"} {
		if v, ok := metricValue(mfs, "asynq_queue_size", map[string]string{"queue": q}); !ok || v != 0 {
			t.Errorf("asynq_queue_size{queue=%q} = %v (present %v), want 0", q, v, ok)
		}
		for _, state := range []string{"pending", "active", "retry", "archived"} {
			if v, ok := metricValue(mfs, "asynq_tasks_enqueued_total", map[string]string{"queue": q, "state": state}); !ok || v != 0 {
				t.Errorf("asynq_tasks_enqueued_total{queue=%q,state=%q} = %v (present %v), want 0", q, state, v, ok)
			}
		}
		if v, ok := metricValue(mfs, "asynq_queue_latency_seconds", map[string]string{"queue": q}); !ok || v < 0 {
			t.Errorf("asynq_queue_latency_seconds{queue=%q} = %v (present %v)", q, v, ok)
		}
		if v, ok := metricValue(mfs, "asynq_tasks_processed_total", map[string]string{"queue": q}); !ok || v < 2 {
			t.Errorf("asynq_tasks_processed_total{queue=%q} = %v (present %v), want >= 2", q, v, ok)
		}
	}
	if _, ok := mfs["go_goroutines"]; !ok {
		t.Error("go_goroutines missing")
	}
}

// TestWorkerMetricsServer checks the standalone worker's listener
// (METRICS_ADDR): the same registry, behind the same token, and stopped
// with its context.
func TestWorkerMetricsServer(t *testing.T) {
	s := setup(t, withMetricsToken(testMetricsToken))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.app.ServeMetrics(ctx, "127.0.0.1:0", func(addr string) { ready <- addr }) }()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("metrics server did not start")
	}
	if code, _, _ := raw(t, http.MethodGet, base+"/metrics", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _, _ := raw(t, http.MethodGet, base+"/other", testMetricsToken, nil, nil); code != http.StatusNotFound {
		t.Errorf("/other: %d, want 404", code)
	}
	if _, ok := scrapeMetrics(t, base+"/metrics", testMetricsToken)["go_goroutines"]; !ok {
		t.Error("go_goroutines missing")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeMetrics: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("metrics server did not stop with its context")
	}
	resp, err := http.Get(base + "/metrics")
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Error("metrics server still answers after its context ended")
	}
}

// TestMetricsOpenWithoutToken: with no METRICS_TOKEN, /metrics needs no
// credentials.
func TestMetricsOpenWithoutToken(t *testing.T) {
	s := setup(t)
	if _, ok := scrapeMetrics(t, s.url+"/metrics", "")["quizflow_http_requests_total"]; !ok {
		// The first scrape counts itself only after answering: scrape again.
		if _, ok := scrapeMetrics(t, s.url+"/metrics", "")["quizflow_http_requests_total"]; !ok {
			t.Error("quizflow_http_requests_total missing")
		}
	}
}

package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/quizflow/quizflow/internal/errtrack/errtracktest"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/opscheck"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/tracing"
)

// observedText is a document whose words must never leave in an error
// report.
const observedText = `# Fern reproduction

Ferns reproduce with spores, not seeds. The zanzibar-quillwort-7f3q grows on
the underside of each frond in clusters called sori. When a spore lands on
damp soil it grows into a small heart-shaped plant, the prothallus, which
makes the eggs and the sperm. The sperm swims through a film of water to an
egg, and the new fern grows from the fertilised egg.
`

// requestIDTransport stamps every request with X-Request-ID id.
type requestIDTransport struct{ id string }

func (r requestIDTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Request-ID", r.id)
	return http.DefaultTransport.RoundTrip(req)
}

// repoFile is a path under the repository's root.
func repoFile(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

// TestAlertAndDashboardMetricsExist runs an upload through the model
// pipeline, scrapes the real /metrics, and checks that every metric the
// alert rules (deploy/prometheus) and the dashboard (deploy/grafana) name
// is one the program exports, so neither can watch a metric that does not
// exist.
func TestAlertAndDashboardMetricsExist(t *testing.T) {
	t.Parallel()
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake), withMetricsToken(testMetricsToken))
	c := s.user("Watched")
	up, err := c.UploadReader(context.Background(), "ferns.md", strings.NewReader(observedText), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %+v", j)
	}
	// The quiz counter moves just after the job is recorded: wait for it.
	mfs := scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
	for deadline := time.Now().Add(30 * time.Second); mfs["quizflow_quizzes_generated_total"] == nil; {
		if time.Now().After(deadline) {
			t.Fatal("quizflow_quizzes_generated_total did not appear within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
		mfs = scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
	}
	families := map[string]string{}
	for name, mf := range mfs {
		families[name] = strings.ToLower(mf.GetType().String())
	}
	for _, want := range []string{"quizflow_dependency_up", "quizflow_llm_responses_total", "asynq_queue_latency_seconds"} {
		if families[want] == "" {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if v, ok := metricValue(mfs, "quizflow_dependency_up", map[string]string{"dependency": "mongodb"}); !ok || v != 1 {
		t.Errorf("quizflow_dependency_up{dependency=mongodb} = %v (%v), want 1", v, ok)
	}
	if v, ok := metricValue(mfs, "quizflow_llm_responses_total", map[string]string{"class": "2xx"}); !ok || v < 1 {
		t.Errorf("quizflow_llm_responses_total{class=2xx} = %v (%v), want >= 1", v, ok)
	}

	rules, err := opscheck.RuleExprs(repoFile("deploy", "prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	panels, err := opscheck.DashboardExprs(repoFile("deploy", "grafana", "quizflow.json"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range append(rules, panels...) {
		names := opscheck.MetricNames(e.Query)
		if len(names) == 0 {
			t.Errorf("%s: no metric found in %q", e.Where, e.Query)
		}
		for _, n := range names {
			checked++
			if opscheck.Family(n, families) == "" {
				t.Errorf("%s: %s is not exported by QuizFlow", e.Where, n)
			}
		}
	}
	t.Logf("%d metric references in %d rules and %d panel queries checked", checked, len(rules), len(panels))
}

// TestTraceFromUploadToModelCalls records spans in memory while one
// upload runs through the real API and a real worker: the HTTP request,
// the extract and generate tasks and every model call are one trace, each
// task the child of the span that enqueued it and each model call a
// descendant of the generate task.
func TestTraceFromUploadToModelCalls(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracing.Enable(tp)
	t.Cleanup(func() { tracing.Disable(); _ = tp.Shutdown(context.Background()) })
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake))
	c := s.user("Traced")
	up, err := c.UploadReader(context.Background(), "ferns.md", strings.NewReader(observedText), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %+v", j)
	}
	// The generate task's span ends just after the job is recorded as
	// succeeded: wait for it (ForceFlush is a no-op for a syncer).
	var spans tracetest.SpanStubs
	deadline := time.Now().Add(30 * time.Second)
	for {
		spans = exp.GetSpans()
		if slices.ContainsFunc(spans, func(s tracetest.SpanStub) bool { return s.Name == "task quiz:generate" }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no task quiz:generate span within 30 s; %d spans", len(spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
	var upload *tracetest.SpanStub
	for i := range spans {
		if spans[i].Name == "POST /v1/documents" {
			upload = &spans[i]
		}
	}
	if upload == nil {
		t.Fatalf("no POST /v1/documents span among %d", len(spans))
	}
	traceID := upload.SpanContext.TraceID()
	byID := map[trace.SpanID]tracetest.SpanStub{}
	var inTrace []tracetest.SpanStub
	for _, sp := range spans {
		if sp.SpanContext.TraceID() == traceID {
			inTrace = append(inTrace, sp)
			byID[sp.SpanContext.SpanID()] = sp
		}
	}
	one := func(name string) tracetest.SpanStub {
		t.Helper()
		var found []tracetest.SpanStub
		for _, sp := range inTrace {
			if sp.Name == name {
				found = append(found, sp)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d spans %q in the upload's trace, want 1", len(found), name)
		}
		return found[0]
	}
	extract, generate := one("task document:extract"), one("task quiz:generate")
	if extract.Parent.SpanID() != upload.SpanContext.SpanID() || !extract.Parent.IsRemote() {
		t.Errorf("extract task's parent %v, want the upload's span %v (remote: it came through the queue)", extract.Parent.SpanID(), upload.SpanContext.SpanID())
	}
	if generate.Parent.SpanID() != extract.SpanContext.SpanID() {
		t.Errorf("generate task's parent %v, want the extract task's span %v", generate.Parent.SpanID(), extract.SpanContext.SpanID())
	}
	calls := 0
	for _, sp := range inTrace {
		if sp.Name != "llm.chat_completion" {
			continue
		}
		calls++
		// Walk up to the generate task.
		p, ok := sp, false
		for range 20 {
			parent, found := byID[p.Parent.SpanID()]
			if !found {
				break
			}
			if parent.SpanContext.SpanID() == generate.SpanContext.SpanID() {
				ok = true
				break
			}
			p = parent
		}
		if !ok {
			t.Errorf("model call span %v is not under the generate task", sp.SpanContext.SpanID())
		}
	}
	if want := len(fake.Calls("")); calls == 0 || calls != want {
		t.Errorf("%d model call spans in the trace, the fake model answered %d calls", calls, want)
	}
	for _, sp := range inTrace {
		for _, a := range sp.Attributes {
			if strings.Contains(a.Value.String(), "zanzibar") {
				t.Errorf("span %s attribute %s carries document text", sp.Name, a.Key)
			}
		}
	}
	t.Logf("trace %s: %d spans, %d model calls", traceID, len(inTrace), calls)
}

// TestErrorTrackingFailedTask sends a job whose model refuses the key
// (a final failure: no retry can help) with error tracking pointed at a
// local Sentry endpoint: the failed task is reported with its job and
// request IDs, and no envelope carries the document, the token or the
// user's address.
func TestErrorTrackingFailedTask(t *testing.T) {
	t.Parallel()
	sink := errtracktest.New(t)
	fake := fakeopenai.New()
	defer fake.Close()
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.Unauthorized}))
	s := setup(t, withModel(fake), withEnv("SENTRY_DSN", sink.DSN(), "SENTRY_RELEASE", "v1.2.3-e2e"))
	c := s.user("Reported")
	c.HTTP = &http.Client{Transport: requestIDTransport{id: "req-e2e-failing-upload"}, Timeout: time.Minute}
	up, err := c.UploadReader(context.Background(), "ferns.md", strings.NewReader(observedText), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusFailed {
		t.Fatalf("job %+v, want failed (the model refused the key)", j)
	}
	ev := sink.Wait(t, 30*time.Second, `"kind":"task_failed"`, up.Job.ID)
	for _, want := range []string{`"request_id":"req-e2e-failing-upload"`, `"task.type":"quiz:generate"`, `"environment":"test"`, `"release":"v1.2.3-e2e"`} {
		if !bytes.Contains(ev, []byte(want)) {
			t.Errorf("event lacks %s:\n%s", want, ev)
		}
	}
	for _, e := range sink.All() {
		for _, secret := range []string{"zanzibar", "Fern reproduction", c.Token, "reported@example.com", "sk-test", "correct horse battery"} {
			if bytes.Contains(e, []byte(secret)) {
				t.Errorf("an envelope contains %q", secret)
			}
		}
	}
}

package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Each failure class of issue 9 through the HTTP API and a worker: a
// permanent refusal by the model server (a bad key, a model without
// structured output) fails the job at once naming the setting to fix and
// alerts the operators; malformed replies are transient and retried until
// a good one; a file store that refuses an upload's parts answers 503 with
// Retry-After and leaves nothing behind.

// logLines collects a stack's log lines (setupOptions.logs).
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// find returns the decoded log lines whose message is msg.
func (l *logLines) find(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestFailureClassRefused: a model server that refuses the key (401) or
// the request's structured output (400 "response_format ... not
// supported") fails the job on its first attempt, without retries, with a
// message naming the setting to fix and nothing of the key or of the
// server's text; the operators are alerted by an error log line
// (alert=llm_refused) and quizflow_llm_refusals_total.
func TestFailureClassRefused(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	logs := &logLines{}
	s := setup(t, withModel(fake), withMetricsToken(testMetricsToken), func(o *setupOptions) { o.logs = logs })
	c := s.user("Refusal")
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	for _, tc := range []struct {
		name     string
		do       fakeopenai.Behaviour
		status   int
		upstream string
		setting  string
	}{
		{"bad key", fakeopenai.Unauthorized, http.StatusUnauthorized, fakeopenai.UnauthorizedMessage, "OPENAI_API_KEY"},
		{"response_format unsupported", fakeopenai.FormatUnsupported, http.StatusBadRequest, fakeopenai.FormatUnsupportedMessage, "OPENAI_MODEL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake.Reset()
			fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: tc.do}))
			up, err := c.UploadFile(context.Background(), fixture(t, "lesson.md"), map[string]string{"question_count": "3", "fresh": "true"})
			if err != nil {
				t.Fatal(err)
			}
			j := waitJob(t, c, up.Job.ID)
			if j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Code != quizflow.EGENERATION {
				t.Fatalf("job = %s %+v, want failed with %s", j.Status, j.Error, quizflow.EGENERATION)
			}
			msg := j.Error.Message
			if !strings.Contains(msg, tc.setting) {
				t.Errorf("message %q does not name %s", msg, tc.setting)
			}
			for _, leak := range []string{"sk-test", tc.upstream, "Incorrect API key", "Invalid parameter", "not supported", fmt.Sprint(tc.status), fake.URL} {
				if strings.Contains(msg, leak) {
					t.Errorf("message %q leaks %q", msg, leak)
				}
			}
			// Not retried: the task is archived after one attempt, which
			// made one call (the lesson is one chunk).
			info := waitTaskState(t, insp, jobs.QueueGenerate, "generate:"+up.Job.ID, asynq.TaskStateArchived)
			if info.Retried != 0 || fake.Count("") != 1 {
				t.Errorf("task retried %d times, %d model calls; want no retry and 1 call", info.Retried, fake.Count(""))
			}
			// The operators are told.
			var alerted bool
			for _, l := range logs.find("the model server refused the request; fix the setting") {
				if l["job_id"] == up.Job.ID && l["level"] == "error" && l["alert"] == "llm_refused" &&
					l["status"] == float64(tc.status) && strings.Contains(fmt.Sprint(l["setting"]), tc.setting) {
					alerted = true
				}
			}
			if !alerted {
				t.Errorf("no error line with alert=llm_refused, status %d and setting %s for job %s", tc.status, tc.setting, up.Job.ID)
			}
			mfs := scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
			if v, ok := metricValue(mfs, "quizflow_llm_refusals_total", map[string]string{"status": fmt.Sprint(tc.status)}); !ok || v != 1 {
				t.Errorf("quizflow_llm_refusals_total{status=%q} = %v (present %v), want 1", fmt.Sprint(tc.status), v, ok)
			}
		})
	}
}

// TestFailureClassMalformedThenGood: three malformed replies in a row use
// up one attempt's re-asks (the client re-asks twice; OPENAI_MAX_RETRIES
// bounds HTTP retries of 429s, 5xx and timeouts only, and is off here), so
// the attempt fails as transient (ErrBadOutput), not for good; the queue
// retries it, the fourth reply is good, and the job ends with a valid quiz
// whose usage counts all the calls, the failed attempt's included.
func TestFailureClassMalformedThenGood(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	bad := fakeopenai.Action{Do: fakeopenai.InvalidJSON}
	fake.SetScript(fakeopenai.Sequence(bad, bad, bad))
	s := setup(t, withModel(fake), func(o *setupOptions) { o.env["OPENAI_MAX_RETRIES"] = "off" })
	c := s.user("Mallory")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	info := waitTaskState(t, insp, jobs.QueueGenerate, "generate:"+up.Job.ID, asynq.TaskStateRetry)
	if info.Retried != 1 || fake.Count(fakeopenai.KindQuestions) != 3 {
		t.Fatalf("after the malformed replies: task retried %d times, %d question calls; want 1 retry after 3 calls", info.Retried, fake.Count(fakeopenai.KindQuestions))
	}
	if j, err := c.Job(ctx, up.Job.ID); err != nil || j.Status == quizflow.StatusFailed {
		t.Fatalf("job failed for good after one attempt of malformed replies: %+v %v", j.Error, err)
	}
	// Run the retry now rather than after its backoff.
	if err := insp.RunTask(jobs.QueueGenerate, "generate:"+up.Job.ID); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, up.Job.ID)
	if j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job = %s %+v, want a quiz", j.Status, j.Error)
	}
	q, err := c.Quiz(ctx, j.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	var text struct{ Pages []quizflow.Page }
	if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID+"/text", nil, &text); err != nil {
		t.Fatal(err)
	}
	if len(q.Questions) != 3 {
		t.Errorf("%d questions, want 3 (warnings %v)", len(q.Questions), q.Warnings)
	}
	for _, qu := range q.Questions {
		if err := qcheck.Validate(qu); err != nil || !qcheck.Grounded(qu, text.Pages) || !qu.Verified {
			t.Errorf("question %s: invalid (%v) or ungrounded", qu.ID, err)
		}
	}
	if answered := len(fake.Answered("")); j.Usage == nil || j.Usage.Calls != answered || answered < 4 {
		t.Errorf("usage %+v; the model answered %d calls (3 malformed, then good ones)", j.Usage, answered)
	}
}

// TestFailureClassStoreRefusesParts: a file store that answers 503 to
// every part of a multipart upload makes the upload answer 503 with
// Retry-After and a JSON error that says only to retry; no document or
// job is left in the user's lists, and the cause is logged.
func TestFailureClassStoreRefusesParts(t *testing.T) {
	var refused atomic.Int32
	logs := &logLines{}
	s := setup(t, func(o *setupOptions) {
		o.logs = logs
		o.env["MAX_FILE_SIZE"] = "12MiB"
		o.vars = func(v map[string]string) {
			// A stand-in in front of the real store refuses UploadPart.
			target, err := url.Parse(v["S3_ENDPOINT"])
			if err != nil {
				t.Fatal(err)
			}
			rp := httputil.NewSingleHostReverseProxy(target)
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if r.Method == http.MethodPut && q.Has("partNumber") && q.Has("uploadId") {
					refused.Add(1)
					_, _ = io.Copy(io.Discard, r.Body) // read, so the client sees the answer
					w.Header().Set("Content-Type", "application/xml")
					w.WriteHeader(http.StatusServiceUnavailable)
					fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
					return
				}
				rp.ServeHTTP(w, r)
			}))
			t.Cleanup(proxy.Close)
			v["S3_ENDPOINT"] = proxy.URL
		}
	})
	c := s.user("Parts")
	// Over one 5 MiB part, so the upload is multipart.
	var file bytes.Buffer
	for i := 0; file.Len() < 6<<20; i++ {
		fmt.Fprintf(&file, "Paragraph %d. Glaciers carve valleys as they move, and leave moraines where they melt.\n\n", i)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("question_count", "3")
	fw, _ := mw.CreateFormFile("file", "glaciers.txt")
	_, _ = fw.Write(file.Bytes())
	_ = mw.Close()
	code, resp, hdr := raw(t, http.MethodPost, s.url+"/v1/documents", c.Token, &body, map[string]string{"Content-Type": mw.FormDataContentType()})
	if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Fatalf("upload with the store refusing parts = %d (Retry-After %q) %s, want 503 with Retry-After", code, hdr.Get("Retry-After"), resp)
	}
	if refused.Load() == 0 {
		t.Fatal("no part reached the stand-in: the upload was not multipart")
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(resp), &e); err != nil || e.Error.Code != quizflow.EUNAVAILABLE || e.Error.Message == "" {
		t.Errorf("body %s, want a JSON error with code %s", resp, quizflow.EUNAVAILABLE)
	}
	for _, leak := range []string{"SlowDown", "reduce your request rate", "UploadPart", "multipart", "s3", "S3", "bucket", "127.0.0.1", "503"} {
		if strings.Contains(resp, leak) {
			t.Errorf("body %s leaks %q", resp, leak)
		}
	}
	ctx := context.Background()
	var docs struct{ Documents []quizflow.Document }
	if err := c.Do(ctx, "GET", "/v1/documents", nil, &docs); err != nil || len(docs.Documents) != 0 {
		t.Errorf("documents after the refused upload: %d (%v), want none", len(docs.Documents), err)
	}
	var js struct{ Jobs []quizflow.Job }
	if err := c.Do(ctx, "GET", "/v1/jobs", nil, &js); err != nil || len(js.Jobs) != 0 {
		t.Errorf("jobs after the refused upload: %d (%v), want none", len(js.Jobs), err)
	}
	lines := logs.find("store upload")
	if len(lines) == 0 || lines[0]["level"] != "error" || !strings.Contains(fmt.Sprint(lines[0]["error"]), "UploadPart") ||
		!strings.Contains(fmt.Sprint(lines[0]["error"]), "StatusCode: 503") {
		t.Errorf("cause not logged at error with the store's status: %v", lines)
	}
}

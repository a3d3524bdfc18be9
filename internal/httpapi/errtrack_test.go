package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/errtrack"
	"github.com/quizflow/quizflow/internal/errtrack/errtracktest"
)

// TestErrorTracking sends a panicking and a failing (500) request through
// a real HTTP server with error tracking pointed at a local Sentry
// endpoint: each becomes an event tagged with its request ID, and no
// envelope holds the bearer token, the cookie, the query, the body, the
// document text or the e-mail address the requests and errors carried.
func TestErrorTracking(t *testing.T) {
	sink := errtracktest.New(t)
	tr, err := errtrack.New(errtrack.Config{DSN: sink.DSN(), Environment: "test", Release: "v9.9.9-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Close)
	f := newFakeServices(testMaxFile)
	const docText = "Photosynthesis turns light into sugar."
	f.fail["Export"] = panicError("nil map write near " + alice.Email)
	// An internal error that quotes the document and names the user, as a
	// careless wrapper might.
	f.fail["CreateQuiz"] = errors.New(`store: insert quiz for alice@example.com: document "` + docText + `": connection reset`)
	srv := httptest.NewServer(newScenarioServer(f, io.Discard, &fakeWatcher{}, func(d *Deps) { d.Errors = tr }).Handler())
	t.Cleanup(srv.Close)

	secrets := []string{"alice-token", "cookie-secret-value", "query-secret", docText, "Photosynthesis", alice.Email, "body-secret"}
	send := func(method, path, reqID, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path+"?q=query-secret", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer alice-token")
		req.Header.Set("Cookie", "qf_refresh=cookie-secret-value")
		req.Header.Set("X-Request-ID", reqID)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send("GET", "/v1/exports/exp_ready", "req-panic-1", ""); code != 500 {
		t.Fatalf("panic route: %d, want 500", code)
	}
	if code := send("POST", "/v1/documents/doc_alice/quizzes", "req-5xx-1", `{"question_count": 3, "note": "body-secret `+docText+`"}`); code != 500 {
		t.Fatalf("failing route: %d, want 500", code)
	}
	// A 404 and a 400 are not reported.
	if code := send("GET", "/v1/documents/doc_missing", "req-404-1", ""); code != 404 {
		t.Fatalf("missing document: %d, want 404", code)
	}
	if !tr.Flush(10 * time.Second) {
		t.Fatal("events not flushed")
	}
	panicEv := sink.Wait(t, 10*time.Second, "req-panic-1")
	for _, want := range []string{`"kind":"panic"`, `"level":"fatal"`, `"environment":"test"`, `"release":"v9.9.9-test"`, `"http.route":"/v1/exports/:id"`, "panic: nil map write near [email]"} {
		if !bytes.Contains(panicEv, []byte(want)) {
			t.Errorf("panic event lacks %s:\n%s", want, panicEv)
		}
	}
	if !bytes.Contains(panicEv, []byte(`"stacktrace"`)) {
		t.Errorf("panic event has no stack trace:\n%s", panicEv)
	}
	errEv := sink.Wait(t, 10*time.Second, "req-5xx-1")
	for _, want := range []string{`"kind":"http_5xx"`, `"http.status_code":"500"`, `"http.route":"/v1/documents/:id/quizzes"`, "connection reset"} {
		if !bytes.Contains(errEv, []byte(want)) {
			t.Errorf("5xx event lacks %s:\n%s", want, errEv)
		}
	}
	all := sink.All()
	for _, e := range all {
		for _, s := range secrets {
			if bytes.Contains(e, []byte(s)) {
				t.Errorf("an envelope contains %q:\n%s", s, e)
			}
		}
		if bytes.Contains(e, []byte("req-404-1")) {
			t.Errorf("a 404 was reported:\n%s", e)
		}
	}
	if len(all) != 2 {
		t.Errorf("%d envelopes, want 2 (the panic, the 500)", len(all))
	}
}

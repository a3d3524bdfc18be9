package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/app"
)

func TestHealth(t *testing.T) {
	s := setup(t)
	if code, body, _ := raw(t, "GET", s.url+"/healthz", "", nil, nil); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("healthz = %d %s", code, body)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _, _ := raw(t, "HEAD", s.url+p, "", nil, nil); code != 200 {
			t.Errorf("HEAD %s = %d, want 200", p, code)
		}
	}
	code, body, _ := raw(t, "GET", s.url+"/readyz", "", nil, nil)
	if code != 200 || !strings.Contains(body, `"redis":"ok"`) || !strings.Contains(body, `"mongodb":"ok"`) || !strings.Contains(body, `"s3":"ok"`) {
		t.Errorf("readyz = %d %s", code, body)
	}
	// Point an API at a bucket that does not exist: readyz names s3 and
	// nothing internal.
	cfg := *s.app.Cfg
	cfg.S3Bucket = "no-such-bucket-here"
	a, err := app.Open(context.Background(), &cfg, s.app.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	req, _ := http.NewRequest("GET", "/readyz", nil)
	rec := newRecorder()
	a.API().Handler().ServeHTTP(rec, req)
	if rec.code != 503 || !strings.Contains(rec.body.String(), `"failed":["s3"]`) || strings.Contains(rec.body.String(), "127.0.0.1") {
		t.Errorf("readyz with missing bucket = %d %s", rec.code, rec.body.String())
	}
	// Unknown routes and methods use the one error shape.
	if code, body, _ := raw(t, "GET", s.url+"/v1/nope", "", nil, nil); code != 404 || !strings.Contains(body, `"error":{"code":"not_found"`) {
		t.Errorf("unknown route = %d %s", code, body)
	}
}

// TestAdminQueues: the Asynq UI is for operators only (granted by
// `quizflow admin grant`); a browser signs in with Basic auth and then
// rides on a signed cookie.
func TestAdminQueues(t *testing.T) {
	s := setup(t)
	s.operator(adminEmail, "operator password")
	user := s.user("Plain")

	code, _, hdr := raw(t, "GET", s.url+"/admin/queues", "", nil, nil)
	if code != 401 || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("anonymous = %d %v, want 401 with a Basic challenge", code, hdr)
	}
	req, _ := http.NewRequest("GET", s.url+"/admin/queues/api/queues", nil)
	req.SetBasicAuth("plain@example.com", "correct horse battery")
	if code := statusOf(t, http.DefaultClient, req); code != 403 {
		t.Errorf("non-admin basic auth = %d, want 403", code)
	}
	if code, _, _ := raw(t, "GET", s.url+"/admin/queues/api/queues", user.Token, nil, nil); code != 403 {
		t.Errorf("non-admin bearer = %d, want 403", code)
	}
	req, _ = http.NewRequest("GET", s.url+"/admin/queues/api/queues", nil)
	req.SetBasicAuth(adminEmail, "wrong")
	if code := statusOf(t, http.DefaultClient, req); code != 401 {
		t.Errorf("admin with wrong password = %d, want 401", code)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	req, _ = http.NewRequest("GET", s.url+"/admin/queues", nil)
	req.SetBasicAuth(adminEmail, "operator password")
	if code := statusOf(t, browser, req); code != 200 {
		t.Fatalf("admin page = %d, want 200", code)
	}
	// The UI's own API calls carry only the cookie.
	req, _ = http.NewRequest("GET", s.url+"/admin/queues/api/queues", nil)
	if code := statusOf(t, browser, req); code != 200 {
		t.Fatalf("UI API call with the cookie = %d, want 200", code)
	}
	// A forged cookie is refused.
	req, _ = http.NewRequest("GET", s.url+"/admin/queues/api/queues", nil)
	req.AddCookie(&http.Cookie{Name: "qf_admin", Value: "dXNyX3h8OTk5OTk5OTk5OQ.AAAA"})
	if code := statusOf(t, http.DefaultClient, req); code != 401 {
		t.Errorf("forged cookie = %d, want 401", code)
	}
}

// statusOf sends req with hc and returns the response's status, after
// reading and closing its body. A request that gets no response at all
// ends the test.
func statusOf(t *testing.T, hc *http.Client, req *http.Request) int {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

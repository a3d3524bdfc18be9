package serve_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/quizflow/quizflow/internal/serve"
)

func TestRequireBearer(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("secret")) })
	h := serve.RequireBearer("metrics", "s3cret-token", ok)
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Bearer s3cret-token-and-more", http.StatusUnauthorized},
		{"s3cret-token", http.StatusUnauthorized},
		{"Basic s3cret-token", http.StatusUnauthorized},
		{"bearer s3cret-token", http.StatusUnauthorized},
		{"Bearer s3cret-token", http.StatusOK},
		{"Bearer s3cret-token ", http.StatusOK},
	} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, rec.Code, tc.want)
			continue
		}
		if tc.want == http.StatusUnauthorized {
			if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="metrics"` {
				t.Errorf("Authorization %q: WWW-Authenticate %q", tc.auth, got)
			}
			if rec.Body.String() == "secret" {
				t.Errorf("Authorization %q: the 401 leaks the handler's body", tc.auth)
			}
		}
		if got := serve.ValidBearer(req, "s3cret-token"); got != (tc.want == http.StatusOK) {
			t.Errorf("ValidBearer(%q) = %v", tc.auth, got)
		}
	}
	// Without a token every request passes, and the handler is h itself.
	open := serve.RequireBearer("metrics", "", ok)
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "secret" {
		t.Errorf("no token: %d %q", rec.Code, rec.Body)
	}
	if !serve.ValidBearer(httptest.NewRequest(http.MethodGet, "/", nil), "") {
		t.Error("ValidBearer with an empty token refused a request")
	}
}

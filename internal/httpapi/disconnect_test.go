package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/metrics/metricstest"
)

// TestClientDisconnectIsNotAServerError: a request whose client left (its
// context cancelled, the service failing with context.Canceled) is
// recorded as 499, logged at debug and never counted with the 5xx.
func TestClientDisconnectIsNotAServerError(t *testing.T) {
	f := newFakeServices(testMaxFile)
	f.fail["Documents"] = fmt.Errorf("list documents: %w", context.Canceled)
	var logs syncBuffer
	m := metrics.New()
	srv := newScenarioServer(f, &logs, &fakeWatcher{}, nil).WithMetrics(m, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client hung up
	req := httptest.NewRequest("GET", "/v1/documents", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer alice-token")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != StatusClientClosedRequest || rec.Body.Len() != 0 {
		t.Errorf("disconnected request = %d %q, want 499 and no body", rec.Code, rec.Body.String())
	}
	if l := logs.String(); strings.Contains(l, `"level":"error"`) || strings.Contains(l, "request failed") {
		t.Errorf("a client disconnect was logged as an error:\n%s", l)
	}
	// The same failure while the client is still there is a server error.
	req = httptest.NewRequest("GET", "/v1/documents", nil)
	req.Header.Set("Authorization", "Bearer alice-token")
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("a cancelled store call with the client present = %d, want 500", rec.Code)
	}
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	fams := metricstest.Parse(t, rec.Body)
	if v, _ := fams.Value("quizflow_http_requests_total", map[string]string{"route": "/v1/documents", "status": "499"}); v != 1 {
		t.Errorf("499s counted = %v, want 1", v)
	}
}

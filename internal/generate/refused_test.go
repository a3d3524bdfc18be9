package generate_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// refusingTransport answers every request with status in OpenAI's error
// shape, as a server does that refuses the key, the model or the request;
// the fake server has no such behaviour, and is never reached.
type refusingTransport struct {
	status int
	calls  int
}

func (rt *refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.calls++
	body := fmt.Sprintf(`{"error":{"message":"refused with %d","type":"invalid_request_error","code":null}}`, rt.status)
	return &http.Response{
		StatusCode: rt.status, Status: http.StatusText(rt.status),
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(body)),
		Request: req,
	}, nil
}

// TestRefusalIsPermanent: a 400, 401, 403 or 404 is sent once, not
// retried, and Generate returns a *generate.RefusedError naming the
// setting to fix; it is neither transient nor a user error.
func TestRefusalIsPermanent(t *testing.T) {
	for _, tc := range []struct {
		status  int
		setting string
	}{
		{http.StatusUnauthorized, "OPENAI_API_KEY"},
		{http.StatusForbidden, "OPENAI_API_KEY"},
		{http.StatusNotFound, "OPENAI_MODEL"},
		{http.StatusBadRequest, "schema"},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			rt := &refusingTransport{status: tc.status}
			b := setup(t, nil, setupOpts{llm: llm.Config{MaxRetries: 3, HTTPClient: &http.Client{Transport: rt}}})
			_, err := generate1(t, b, generate.Request{Pages: document(1, 8, 61), Options: mcOptions(3)})
			var rf *generate.RefusedError
			if !errors.As(err, &rf) {
				t.Fatalf("err = %v, want a *generate.RefusedError", err)
			}
			if rf.Status != tc.status || !strings.Contains(rf.Setting, tc.setting) {
				t.Errorf("refusal = %d %q, want %d naming %s", rf.Status, rf.Setting, tc.status, tc.setting)
			}
			if errors.Is(err, generate.ErrUnavailable) || errors.Is(err, generate.ErrBadOutput) || quizflow.IsUserError(err) {
				t.Errorf("err = %v is also classed transient or the user's", err)
			}
			if rt.calls != 1 {
				t.Errorf("%d calls, want 1: a refusal must not be retried", rt.calls)
			}
		})
	}
}

// TestTooManyRequestsIsNotARefusal: a 429 is a 4xx but transient.
func TestTooManyRequestsIsNotARefusal(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: "0"}),
		setupOpts{llm: llm.Config{MaxRetries: -1}})
	_, err := generate1(t, b, generate.Request{Pages: document(1, 8, 62), Options: mcOptions(3)})
	var rf *generate.RefusedError
	if errors.As(err, &rf) || !errors.Is(err, generate.ErrUnavailable) {
		t.Errorf("err = %v, want generate.ErrUnavailable and no refusal", err)
	}
}

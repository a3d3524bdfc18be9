package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quizflow/quizflow/internal/generate"
)

// go-openai turns an error response into *APIError or *RequestError and
// drops the headers, so the transport records Retry-After on its way
// through, into a slot the caller put in the request's context.

type retryAfterKey struct{}

// retryAfterSlot receives the server's requested delay of one call.
type retryAfterSlot struct {
	mu sync.Mutex
	d  time.Duration
	ok bool
}

func (s *retryAfterSlot) get() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d, s.ok
}

// headerRecorder is an http.RoundTripper that copies Retry-After (and
// OpenAI's retry-after-ms) of error responses into the context's slot.
// It also tells obs, if set, of every answer's status (0: none).
type headerRecorder struct {
	base http.RoundTripper
	obs  ResponseObserver
}

func (h headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(req)
	if h.obs != nil {
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		h.obs.ObserveLLMResponse(status)
	}
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	if slot, _ := req.Context().Value(retryAfterKey{}).(*retryAfterSlot); slot != nil {
		if d, ok := parseRetryAfter(resp.Header, time.Now()); ok {
			slot.mu.Lock()
			slot.d, slot.ok = d, true
			slot.mu.Unlock()
		}
	}
	return resp, nil
}

// parseRetryAfter reads retry-after-ms, then Retry-After as seconds or an
// HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// statusCode returns the HTTP status of a go-openai error, or 0.
func statusCode(err error) int {
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return apiErr.HTTPStatusCode
	}
	var reqErr *openai.RequestError
	if errors.As(err, &reqErr) {
		return reqErr.HTTPStatusCode
	}
	return 0
}

// transient reports whether a failed call is worth retrying: rate limits,
// server errors, timeouts and broken connections. Client errors (400, 401,
// 403, 404) are not.
func transient(err error) bool {
	switch code := statusCode(err); {
	case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout, code == http.StatusConflict:
		return true
	case code >= 500:
		return true
	case code != 0:
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

// refused returns err as the permanent failure it is, or nil: the server
// refused the key (401, 403), the model (404) or the request (400 and
// other 4xx that are not 408, 409 or 429). Setting names what to fix.
func refused(err error) *generate.RefusedError {
	code := statusCode(err)
	if code < 400 || code >= 500 || transient(err) {
		return nil
	}
	setting := "OPENAI_MODEL (the model must support strict JSON-schema output, response_format json_schema)"
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		setting = "OPENAI_API_KEY"
	case http.StatusNotFound:
		setting = "OPENAI_MODEL (and OPENAI_BASE_URL)"
	}
	return &generate.RefusedError{Status: code, Setting: setting, Err: fmt.Errorf("llm: chat completion: %w", err)}
}

// backoff is the pause before retry attempt (0-based): exponential from
// 500 ms, capped, with jitter over its upper half.
func backoff(attempt int, maxBackoff time.Duration) time.Duration {
	d := 500 * time.Millisecond << min(attempt, 10)
	d = min(d, maxBackoff)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

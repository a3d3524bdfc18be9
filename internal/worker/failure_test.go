package worker

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestFinalErrorByClass: how each failure class ends a job, on the first
// attempt and on the last (maxRetry retries done).
func TestFinalErrorByClass(t *testing.T) {
	const maxRetry, generic = 5, "generic message"
	refused := &generate.RefusedError{Status: 401, Setting: "OPENAI_API_KEY", Err: errors.New("llm: chat completion: 401 Incorrect API key sk-secret")}
	for _, tc := range []struct {
		name      string
		err       error
		retried   int
		final     bool
		permanent bool // asynq.SkipRetry is added
		code      string
		message   string // a substring; "" = none asked for
	}{
		{"user error", quizflow.Errorf(quizflow.EENCRYPTED, "The PDF is encrypted."), 0, true, true, quizflow.EENCRYPTED, "encrypted"},
		{"refused, first attempt", fmt.Errorf("generate: chunk 0: %w", refused), 0, true, true, quizflow.EGENERATION, "configuration needs fixing: check OPENAI_API_KEY."},
		{"refused 404", &generate.RefusedError{Status: 404, Setting: "OPENAI_MODEL", Err: errors.New("x")}, 2, true, true, quizflow.EGENERATION, "operators have been told"},
		{"malformed, first attempt", fmt.Errorf("generate: no usable questions: %w", generate.ErrBadOutput), 0, false, false, "", ""},
		{"malformed, next to last", fmt.Errorf("generate: no usable questions: %w", generate.ErrBadOutput), maxRetry - 1, false, false, "", ""},
		{"malformed, last attempt", fmt.Errorf("generate: no usable questions: %w", generate.ErrBadOutput), maxRetry, true, false, quizflow.EGENERATION, "output that could not be used (6 attempts)"},
		{"unavailable, first attempt", fmt.Errorf("llm: %w: 500", generate.ErrUnavailable), 0, false, false, "", ""},
		{"unavailable, last attempt", fmt.Errorf("llm: %w: 500", generate.ErrUnavailable), maxRetry, true, false, quizflow.EUNAVAILABLE, "could not be reached (6 attempts)"},
		{"other, first attempt", errors.New("mongo: connection refused"), 0, false, false, "", ""},
		{"other, last attempt", errors.New("mongo: connection refused"), maxRetry, true, false, quizflow.EINTERNAL, generic},
		{"SkipRetry", fmt.Errorf("job gone: %w", asynq.SkipRetry), 0, true, false, quizflow.EINTERNAL, generic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jerr, final := finalErrorAt(tc.err, generic, tc.retried, maxRetry)
			if final != tc.final || jerr.Code != tc.code || !strings.Contains(jerr.Message, tc.message) {
				t.Errorf("finalErrorAt = %+v, %v; want final %v, code %q, message with %q", jerr, final, tc.final, tc.code, tc.message)
			}
			if p := permanent(tc.err); p != tc.permanent {
				t.Errorf("permanent = %v, want %v", p, tc.permanent)
			}
			if strings.Contains(jerr.Message, "sk-") || strings.Contains(jerr.Message, "401") {
				t.Errorf("message %q leaks the upstream error", jerr.Message)
			}
		})
	}
}

package generate

import (
	"errors"
	"fmt"
)

// Failure classes of a Model or Answerer call. Each is decided where the
// error arises (the model client knows the HTTP status), carried in the
// error chain and read with errors.Is or errors.As, never from error text;
// the worker chooses a job's outcome and message from it.
var (
	// ErrBadOutput marks output that stayed unusable (not JSON, wrong
	// schema, a refusal) after the implementation's own repair and
	// re-asking. The pipeline treats the chunk as having no candidates;
	// when no question at all is accepted, Generate returns an error
	// wrapping ErrBadOutput, which is transient: a model that answered
	// badly three times in a row may well answer well on a later attempt.
	// Implementations wrap it: fmt.Errorf("%w: ...", generate.ErrBadOutput).
	ErrBadOutput = errors.New("model output unusable")
	// ErrUnavailable marks a model that could not be reached or kept
	// failing after the implementation's own retries: rate limits (429),
	// server errors (5xx), timeouts and broken connections. Transient.
	ErrUnavailable = errors.New("model unavailable")
)

// RefusedError is a permanent failure: the model server refused the key
// or the request (HTTP 400, 401, 403, 404). Retrying cannot help until an
// operator fixes Setting, so the job fails at once.
type RefusedError struct {
	// Status is the HTTP status of the refusal.
	Status int
	// Setting names what the operator has to fix, e.g. "OPENAI_API_KEY".
	Setting string
	// Err is the client's error, for the log (never shown to users).
	Err error
}

// Error implements error.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("model server refused the request (HTTP %d; check %s): %v", e.Status, e.Setting, e.Err)
}

// Unwrap returns the client's error.
func (e *RefusedError) Unwrap() error { return e.Err }

package quizflow

import (
	"errors"
	"fmt"
	"time"
)

// Generic error codes. Each maps to one HTTP status in the API.
const (
	EINVALID      = "invalid"                // 400
	EUNAUTHORIZED = "unauthorized"           // 401
	EFORBIDDEN    = "forbidden"              // 403
	ENOTFOUND     = "not_found"              // 404
	ECONFLICT     = "conflict"               // 409
	ETOOLARGE     = "too_large"              // 413
	EUNSUPPORTED  = "unsupported_media_type" // 415
	ERATELIMIT    = "rate_limited"           // 429
	EINTERNAL     = "internal"               // 500
	EUNAVAILABLE  = "unavailable"            // 503
)

// Codes of permanent document-processing failures, shown on failed jobs.
// Each is unprocessable content (422) when returned by an API call.
const (
	EENCRYPTED  = "encrypted" // password-protected file
	ECORRUPT    = "corrupt"   // the file's structure cannot be read
	ENOTEXT     = "no_text"   // readable, but holds no extractable text (scans)
	ETOOMANY    = "too_many_pages"
	ETIMEOUT    = "timeout"      // parsing exceeded its time bound
	EENCODING   = "bad_encoding" // text that is not valid UTF-8
	EGENERATION = "generation_failed"
)

// Error is an error meant for the user: Message is safe to show and is
// written for a person. Any other error is internal: the client sees only
// "internal error" while the detail goes to the log.
type Error struct {
	Code    string
	Message string
	// Field names the offending input field of a validation error, if any.
	Field string
	// RetryAfter, for ERATELIMIT, says when trying again can succeed.
	RetryAfter time.Duration
	// UpgradeURL, for EQUOTA, is where the user can move to a plan with
	// more.
	UpgradeURL string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about one input field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: an *Error's message,
// or "Internal error." for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsUserError reports whether err carries an *Error, that is a failure that
// is the input's fault and cannot be cured by retrying.
func IsUserError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code != EINTERNAL && e.Code != EUNAVAILABLE && e.Code != ERATELIMIT
}

// ErrTokenReused reports that a refresh token was presented a second time;
// its family has been revoked.
var ErrTokenReused = &Error{Code: EUNAUTHORIZED, Message: "This refresh token was already used; all sessions of this login were signed out for safety. Log in again."}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// statusOf maps error codes to HTTP statuses, in one place.
func statusOf(code string) int {
	switch code {
	case quizflow.EINVALID:
		return http.StatusBadRequest
	case quizflow.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case quizflow.EFORBIDDEN:
		return http.StatusForbidden
	case quizflow.ENOTFOUND:
		return http.StatusNotFound
	case quizflow.ECONFLICT:
		return http.StatusConflict
	case quizflow.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case quizflow.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case quizflow.ERATELIMIT:
		return http.StatusTooManyRequests
	case quizflow.EUNAVAILABLE, quizflow.EBILLINGDISABLED:
		return http.StatusServiceUnavailable
	case quizflow.EQUOTA:
		return http.StatusPaymentRequired
	case quizflow.EINTERNAL:
		return http.StatusInternalServerError
	default: // document-processing codes: the input is understood but unusable
		return http.StatusUnprocessableEntity
	}
}

// errorBody is the one shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// UpgradeURL, on a 402 quota_exceeded, is where to get more.
	UpgradeURL string `json:"upgrade_url,omitempty"`
}

// StatusClientClosedRequest is the status recorded for a request whose
// client left before the answer (nginx's 499): neither logged as an error
// nor counted with the 5xx.
const StatusClientClosedRequest = 499

// clientGone reports whether err is the request's own context ending
// because the client disconnected.
func clientGone(c echo.Context, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(c.Request().Context().Err(), context.Canceled)
}

// errorHandler turns every error into {"error":{code,message,request_id}}.
// Only *quizflow.Error messages and Echo's own HTTP errors reach the client;
// anything else is logged and reported as an internal error.
func errorHandler(log zerolog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if clientGone(c, err) {
			// Not a server error: nobody is there to answer. 499 (nginx's
			// "client closed request") keeps it apart in logs and metrics.
			c.Response().WriteHeader(StatusClientClosedRequest)
			return
		}
		d := errorDetail{RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
		status := http.StatusInternalServerError
		var qe *quizflow.Error
		var he *echo.HTTPError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &qe):
			d.Code, d.Message, d.Field, d.UpgradeURL = qe.Code, qe.Message, qe.Field, qe.UpgradeURL
			status = statusOf(qe.Code)
			if qe.RetryAfter > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int((qe.RetryAfter+time.Second-1)/time.Second)))
			}
		case errors.As(err, &mbe):
			status, d.Code, d.Message = http.StatusRequestEntityTooLarge, quizflow.ETOOLARGE, "The request body is too large."
		case errors.As(err, &he):
			status = he.Code
			d.Code = httpCode(he.Code)
			d.Message = http.StatusText(he.Code)
			if m, ok := he.Message.(string); ok && status < 500 {
				d.Message = m
			}
		}
		if status >= 500 {
			if d.Code == "" || status == http.StatusInternalServerError {
				d.Code, d.Message = quizflow.EINTERNAL, "Internal error. Please try again; if it keeps happening, contact support with the request ID."
			}
			log.Error().Err(err).Str("request_id", d.RequestID).Str("path", c.Path()).Msg("request failed")
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, errorBody{Error: d})
		}
		if err != nil {
			log.Warn().Err(err).Msg("write error response")
		}
	}
}

func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return quizflow.ENOTFOUND
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestTimeout:
		return codeRequestTimeout
	case http.StatusUnauthorized:
		return quizflow.EUNAUTHORIZED
	case http.StatusForbidden:
		return quizflow.EFORBIDDEN
	case http.StatusRequestEntityTooLarge:
		return quizflow.ETOOLARGE
	case http.StatusTooManyRequests:
		return quizflow.ERATELIMIT
	case http.StatusServiceUnavailable:
		return quizflow.EUNAVAILABLE
	}
	if status >= 500 {
		return quizflow.EINTERNAL
	}
	return quizflow.EINVALID
}

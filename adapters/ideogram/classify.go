package ideogram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ideobus/ideobus/messages"
)

// apiStatusError classifies a non-2xx answer of the Ideogram API. The body's
// message is kept because it is what tells an operator which field or policy
// was at fault.
func apiStatusError(resp *http.Response, body []byte) *messages.Error {
	text := errorText(body)
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	msg := fmt.Sprintf("ideogram answered %d: %s", resp.StatusCode, text)
	e := &messages.Error{Message: msg}
	switch s := resp.StatusCode; {
	case s == http.StatusBadRequest:
		e.Code = messages.CodeInvalidRequest
	case s == http.StatusUnauthorized:
		e.Code = messages.CodeUnauthorized
	case s == http.StatusPaymentRequired:
		// Balance or plan limits; retrying before someone pays only fails again.
		e.Code = messages.CodeInsufficientFunds
	case s == http.StatusForbidden:
		e.Code = messages.CodeForbidden
	case s == http.StatusUnprocessableEntity:
		e.Code = messages.CodeContentFiltered
	case s == http.StatusTooManyRequests:
		e.Code, e.Retryable = messages.CodeRateLimited, true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
	case s == http.StatusRequestTimeout:
		e.Code, e.Retryable = messages.CodeTimeout, true
	case s >= 500:
		e.Code, e.Retryable = messages.CodeUpstreamUnavailable, true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
	default:
		e.Code = messages.CodeInvalidRequest
	}
	return e
}

// retryAfter parses a Retry-After header: delta seconds or an HTTP date.
// Absent or unparsable means no hint.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// transportError classifies a failure to get any answer. attemptCtx is the
// context the request ran under: its own deadline is a retryable timeout.
// what names the operation for the message; it must not contain secrets.
func transportError(attemptCtx context.Context, what string, err error) *messages.Error {
	// *url.Error repeats the full URL; ephemeral image URLs carry signatures
	// that have no business in logs, so report only the cause.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(context.Cause(attemptCtx), errAttemptTimeout),
		errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return &messages.Error{Code: messages.CodeTimeout, Retryable: true, Message: what + ": timed out", Err: err}
	default:
		return &messages.Error{Code: messages.CodeUpstreamUnavailable, Retryable: true, Message: what + ": " + err.Error(), Err: err}
	}
}

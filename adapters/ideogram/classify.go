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

// CodeDailyLimit is messages.CodeDailyLimit: a 402 whose reject_reason is
// daily_limit. Not retryable soon.
const CodeDailyLimit = messages.CodeDailyLimit

// apiStatusError classifies a non-2xx answer of the Ideogram API, once,
// following the table in the package documentation. The body's message is
// kept because it tells an operator which field or policy was at fault.
func apiStatusError(resp *http.Response, body []byte) *messages.Error {
	text := errorText(body)
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	e := &messages.Error{Message: fmt.Sprintf("ideogram answered %d: %s", resp.StatusCode, text)}
	reason := rejectReason(body)
	switch s := resp.StatusCode; {
	case reason == rejectDailyLimit:
		// Whatever the status (documented on 402), a daily cap is not
		// lifted by retrying within the hour.
		e.Code = CodeDailyLimit
	case s == http.StatusBadRequest:
		e.Code = messages.CodeInvalidRequest
	case s == http.StatusUnauthorized:
		e.Code = messages.CodeUnauthorized
	case s == http.StatusPaymentRequired:
		// insufficient_funds, or a 402 without a reason: retrying before
		// someone pays only fails again.
		e.Code = messages.CodeInsufficientFunds
	case s == http.StatusForbidden:
		e.Code = messages.CodeForbidden
	case s == http.StatusNotFound, s == http.StatusMethodNotAllowed:
		// The route is wrong (base URL, proxy): a deployment problem.
		e.Code = messages.CodeInternal
	case s == http.StatusRequestEntityTooLarge:
		e.Code = messages.CodeImageTooLarge
	case s == http.StatusUnsupportedMediaType:
		e.Code = messages.CodeInvalidImage
	case s == http.StatusUnprocessableEntity && isValidationDetail(body):
		// A framework's schema check, not the safety filter.
		e.Code = messages.CodeInvalidRequest
	case s == http.StatusUnprocessableEntity:
		e.Code = messages.CodeContentFiltered
	case s == http.StatusTooManyRequests:
		// inflight_limit (or no reason): capacity frees up as images finish.
		e.Code, e.Retryable = messages.CodeRateLimited, true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
	case s == http.StatusRequestTimeout:
		e.Code, e.Retryable = messages.CodeTimeout, true
	case s == http.StatusGatewayTimeout:
		e.Code, e.Retryable = messages.CodeTimeout, true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
	case s >= 500:
		e.Code, e.Retryable = messages.CodeUpstreamUnavailable, true
		e.RetryAfter = retryAfter(resp.Header, time.Now())
	default:
		e.Code = messages.CodeInvalidRequest
	}
	return e
}

// statusMaybeBilled reports whether an error status may hide a call that
// ran upstream: a gateway's 502 or 504 means it lost the origin's answer,
// not that the origin refused. Other statuses are the origin's own refusal.
func statusMaybeBilled(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusGatewayTimeout
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

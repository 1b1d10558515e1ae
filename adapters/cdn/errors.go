package cdn

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ideobus/ideobus/messages"
)

// cloudflare-go hides the status of 429 and 5xx answers in plain error
// strings (and drops Retry-After), so the transport notes them per call in a
// trace carried by the request context.
type traceKey struct{}

type trace struct {
	status     int
	retryAfter time.Duration
}

type tracingTransport struct{ base http.RoundTripper }

func (t tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if tr, ok := r.Context().Value(traceKey{}).(*trace); ok && resp != nil {
		tr.status = resp.StatusCode
		tr.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, err
}

func withTrace(ctx context.Context) (context.Context, *trace) {
	tr := &trace{}
	return context.WithValue(ctx, traceKey{}, tr), tr
}

// parseRetryAfter reads either form of Retry-After: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// classifyStatus turns a failed call into a cdn_failed error. Only a 4xx
// answer other than 408 and 429 is permanent: the token, zone or payload is
// wrong and will stay wrong. Everything else (no answer, 5xx, throttling, a
// garbled 2xx) may pass on another try, and purging twice is harmless.
func classifyStatus(what string, status int, retryAfter time.Duration, err error) *messages.Error {
	permanent := status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
	msg := fmt.Sprintf("%s: %v", what, err)
	if status != 0 {
		msg = fmt.Sprintf("%s: HTTP %d: %v", what, status, err)
	}
	return &messages.Error{
		Code:       messages.CodeCDNFailed,
		Retryable:  !permanent,
		RetryAfter: retryAfter,
		Message:    msg,
		Err:        err,
	}
}

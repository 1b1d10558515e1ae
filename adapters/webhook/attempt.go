package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ideobus/ideobus/adapters/safehttp"
	"github.com/ideobus/ideobus/messages"
)

// outcome is the result of one attempt.
type outcome struct {
	status     int // 0 without an answer
	retryable  bool
	retryAfter time.Duration
	reason     string
	refused    *safehttp.RefusedError
}

// drainLimit bounds how much of an answer is read so that the connection
// can be reused; the body itself is of no interest.
const drainLimit = 64 << 10

// attempt makes one signed POST. Each attempt gets a fresh timestamp and
// signature: a retry minutes later must still pass the receiver's
// tolerance. The webhook-id stays the event ID, so receivers can dedupe.
func (d *Deliverer) attempt(ctx context.Context, u *url.URL, eventID string, body []byte) outcome {
	req, err := newRequest(ctx, u, d.header(eventID, d.cfg.Now(), body), body)
	if err != nil {
		return outcome{reason: "invalid request: " + err.Error()}
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return transportOutcome(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	out := outcome{status: resp.StatusCode, reason: "HTTP " + resp.Status}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout, code >= 500:
		out.retryable = true
		out.retryAfter = retryAfter(resp.Header.Get("Retry-After"), d.cfg.Now())
	case code >= 300 && code < 400:
		out.reason += " (redirects are not followed)"
	}
	return out
}

// transportOutcome classifies a failed request. Refusals and certificate
// problems will not go away by retrying; timeouts and connection errors may.
func transportOutcome(err error) outcome {
	var refused *safehttp.RefusedError
	if errors.As(err, &refused) {
		return outcome{refused: refused, reason: refused.Reason}
	}
	// *url.Error quotes the whole URL, query tokens included: keep only the
	// cause for the record.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verifyFail *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verifyFail) {
		return outcome{reason: "TLS: " + err.Error()}
	}
	return outcome{retryable: true, reason: err.Error()}
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(min(s, 86400)) * time.Second // no overflow
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// header builds the Standard Webhooks headers for one attempt.
func (d *Deliverer) header(eventID string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderID, eventID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	sigs := make([]byte, 0, len(d.keys)*48)
	for i, k := range d.keys {
		if i > 0 {
			sigs = append(sigs, ' ')
		}
		sigs = append(sigs, "v1,"...)
		sigs = base64.StdEncoding.AppendEncode(sigs, mac(k, eventID, ts.Unix(), body))
	}
	h.Set(HeaderSignature, string(sigs))
	h.Set("Content-Type", messages.ContentTypeJSON)
	h.Set("User-Agent", UserAgent)
	return h
}

func newRequest(ctx context.Context, u *url.URL, h http.Header, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h
	return req, nil
}

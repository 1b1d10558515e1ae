package safehttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// NewClient returns an *http.Client that enforces p on every request and
// redirect. It fails only on a malformed Policy.Allow entry.
//
// The client carries no cookie jar and ignores proxy environment variables.
// Refusals are *RefusedError; a body read past p.MaxBodyBytes fails with
// ErrBodyTooLarge.
func NewClient(p Policy) (*http.Client, error) {
	g, err := newGuard(p)
	if err != nil {
		return nil, err
	}
	base := &http.Transport{
		// nil, not http.ProxyFromEnvironment: through a proxy the dial-time
		// check would judge the proxy's address, not the target's.
		Proxy:                  nil,
		DialContext:            g.dialContext,
		ForceAttemptHTTP2:      true, // a custom DialContext turns HTTP/2 off otherwise
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  p.timeout(),
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
	}
	return &http.Client{
		Transport:     &transport{guard: g, base: base, maxBody: p.maxBody()},
		CheckRedirect: checkRedirect(p.MaxRedirects),
		Timeout:       p.timeout(),
	}, nil
}

// Check validates rawURL now, resolving its host, so that a bad callback
// URL can be rejected when a request is submitted rather than when its
// outcome is delivered. Passing Check does not make a later request safe by
// itself (DNS may change); the client checks again at dial time.
func (p Policy) Check(ctx context.Context, rawURL string) error {
	g, err := newGuard(p)
	if err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return &RefusedError{Reason: "not a valid URL"}
	}
	if err := g.checkURL(u); err != nil {
		return err
	}
	_, err = g.resolve(ctx, u.Hostname(), port(u))
	var refused *RefusedError
	if errors.As(err, &refused) {
		return &RefusedError{URL: redact(u), Host: refused.Host, Addr: refused.Addr, Reason: refused.Reason}
	}
	return err
}

func checkRedirect(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if max <= 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > max {
			return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, max)
		}
		// The transport checks the new URL, as it does every request.
		return nil
	}
}

// transport checks each request's URL, redirects included, and caps
// response bodies.
type transport struct {
	guard   *guard
	base    http.RoundTripper
	maxBody int64
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.guard.checkURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper must close it, even on error
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		// The dialer knows the host but not the URL: name the URL, in a
		// new error since a failed dial may be shared by several requests.
		var refused *RefusedError
		if errors.As(err, &refused) {
			return nil, &RefusedError{URL: redact(req.URL), Host: refused.Host, Addr: refused.Addr, Reason: refused.Reason}
		}
		return nil, err
	}
	resp.Body = newCappedBody(resp.Body, resp.ContentLength, t.maxBody)
	return resp, nil
}

// cappedBody fails a read that goes past limit bytes. Unlike a bare
// io.LimitReader it does not pass a truncated body off as a whole one.
type cappedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
	err   error
}

func newCappedBody(rc io.ReadCloser, contentLength, limit int64) *cappedBody {
	b := &cappedBody{rc: rc, left: limit, limit: limit}
	if contentLength > limit {
		b.err = b.tooLarge()
	}
	return b
}

func (b *cappedBody) tooLarge() error {
	return fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, b.limit)
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	// Ask for one byte beyond the limit to tell "exactly limit" from "more".
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left, b.err = int(b.left), 0, b.tooLarge()
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

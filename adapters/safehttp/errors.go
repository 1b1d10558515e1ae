package safehttp

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
)

// RefusedError is returned when the policy forbids a request: its scheme, its
// host, or an address the host resolves to.
type RefusedError struct {
	// URL is the refused URL with any password and query removed, since
	// these often carry tokens and the error ends up in logs and events. It
	// is empty when only the dialled host is known.
	URL string
	// Host is the host that was refused, without port.
	Host string
	// Addr is the refused address, if the refusal is about one.
	Addr netip.Addr
	// Reason says why, e.g. "resolves to 10.0.0.5, a private address".
	Reason string
}

func (e *RefusedError) Error() string {
	what := e.URL
	if what == "" {
		what = e.Host
	}
	if what == "" {
		return "safehttp: refused: " + e.Reason
	}
	return fmt.Sprintf("safehttp: refused %q: %s", what, e.Reason)
}

// ErrBodyTooLarge is returned, wrapped, by a response body read past
// Policy.MaxBodyBytes.
var ErrBodyTooLarge = errors.New("safehttp: response body too large")

// ErrTooManyRedirects is returned, wrapped, when a request is redirected more
// than Policy.MaxRedirects times.
var ErrTooManyRedirects = errors.New("safehttp: too many redirects")

// redact renders u for error messages: without password, query and fragment.
func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// Redact renders rawURL for logs and recorded events: without password,
// query and fragment, which is where URLs carry tokens. An unparsable URL
// yields "(invalid URL)".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	return redact(u)
}

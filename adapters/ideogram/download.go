package ideogram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ideobus/ideobus/messages"
)

// Download fetches an image from one of the configured ImageHosts. It
// retries transient failures like Generate does. Errors are *AttemptsError:
// an expired or missing URL is a permanent source_expired, a body over
// MaxDownloadBytes a permanent image_too_large, a body that is not an image
// a permanent invalid_image.
func (c *Client) Download(ctx context.Context, rawURL string) ([]byte, string, error) {
	u, refused := c.checkImageURL(rawURL)
	if refused != nil {
		return nil, "", &AttemptsError{Err: refused}
	}
	var body []byte
	var contentType string
	_, err := c.retry(ctx, "download", func(ctx context.Context) error {
		var err error
		body, contentType, err = c.get(ctx, u)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return body, contentType, nil
}

// get makes one download attempt.
func (c *Client) get(ctx context.Context, u *url.URL) ([]byte, string, error) {
	ctx, cancel := attemptContext(ctx, c.cfg.DownloadTimeout)
	defer cancel()
	// The query of an ephemeral URL is its signature: name the object
	// without it in messages.
	what := "download " + u.Host + u.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", messages.Permanent(messages.CodeInvalidRequest, "%s: %v", what, err)
	}
	req.Header.Set("Accept", "image/*")
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.download.Do(req)
	if err != nil {
		var refused *messages.Error
		if errors.As(err, &refused) {
			return nil, "", refused // a redirect the allow list refused
		}
		return nil, "", transportError(ctx, what, err)
	}
	defer resp.Body.Close()
	if e := downloadStatusError(resp, what); e != nil {
		return nil, "", e
	}
	limit := c.cfg.MaxDownloadBytes
	if resp.ContentLength > limit {
		return nil, "", tooLarge(what, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", transportError(ctx, what+": read body", err)
	}
	if int64(len(body)) > limit {
		return nil, "", tooLarge(what, limit)
	}
	ct, ok := imageContentType(resp.Header.Get("Content-Type"), body)
	if !ok {
		return nil, "", messages.Permanent(messages.CodeInvalidImage, "%s: body is not an image (content type %q)", what, ct)
	}
	return body, ct, nil
}

func tooLarge(what string, limit int64) *messages.Error {
	return messages.Permanent(messages.CodeImageTooLarge, "%s: image exceeds %d bytes", what, limit)
}

// downloadStatusError classifies a non-2xx download answer. Signed URLs
// answer 403 (or 400/404/410 depending on the store) once they expire, and
// no retry brings them back: the image has to be generated again.
func downloadStatusError(resp *http.Response, what string) *messages.Error {
	s := resp.StatusCode
	msg := fmt.Sprintf("%s: answered %d %s", what, s, http.StatusText(s))
	switch {
	case s >= 200 && s <= 299:
		return nil
	case s == http.StatusForbidden || s == http.StatusNotFound || s == http.StatusGone:
		return &messages.Error{Code: messages.CodeSourceExpired, Message: msg + " (ephemeral URL expired or gone)"}
	case s == http.StatusTooManyRequests:
		return &messages.Error{Code: messages.CodeRateLimited, Retryable: true, Message: msg, RetryAfter: retryAfter(resp.Header, time.Now())}
	case s == http.StatusRequestTimeout:
		return &messages.Error{Code: messages.CodeTimeout, Retryable: true, Message: msg}
	case s >= 500:
		return &messages.Error{Code: messages.CodeUpstreamUnavailable, Retryable: true, Message: msg, RetryAfter: retryAfter(resp.Header, time.Now())}
	default:
		return &messages.Error{Code: messages.CodeInvalidRequest, Message: msg}
	}
}

// imageContentType decides what the body is. The bytes are trusted over the
// header, since a misconfigured store or an error page can claim anything; a
// declared image type is accepted only for formats the sniffer does not know.
func imageContentType(declared string, body []byte) (string, bool) {
	sniffed := http.DetectContentType(body)
	if strings.HasPrefix(sniffed, "image/") {
		return sniffed, true
	}
	mt, _, err := mime.ParseMediaType(declared)
	if err == nil && strings.HasPrefix(mt, "image/") && sniffed == "application/octet-stream" && len(body) > 0 {
		return mt, true
	}
	return sniffed, false
}

// checkImageURL admits only http(s) URLs on an allowed host, so that a
// tampered message cannot turn the upload stage into a fetcher of internal
// addresses (SSRF).
func (c *Client) checkImageURL(raw string) (*url.URL, *messages.Error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, messages.Permanent(messages.CodeInvalidRequest, "image URL is not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.cfg.AllowHTTP:
	default:
		return nil, messages.Permanent(messages.CodeInvalidRequest, "image URL scheme %q refused: https required", u.Scheme)
	}
	if u.User != nil {
		return nil, messages.Permanent(messages.CodeInvalidRequest, "image URL must not carry credentials")
	}
	if !c.hostAllowed(u) {
		return nil, messages.Permanent(messages.CodeInvalidRequest, "image host %q is not in the allowed image hosts", u.Host)
	}
	return u, nil
}

func (c *Client) hostAllowed(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	authority := strings.ToLower(u.Host)
	for _, h := range c.cfg.ImageHosts {
		if _, _, err := net.SplitHostPort(h); err == nil {
			if authority == h {
				return true
			}
			continue
		}
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// checkRedirect applies the same URL rules to every redirect hop.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return messages.Permanent(messages.CodeInvalidRequest, "image URL redirected more than 5 times")
	}
	if _, err := c.checkImageURL(req.URL.String()); err != nil {
		err.Message = "redirect refused: " + err.Message
		return err
	}
	return nil
}

package safehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// Fetcher fetches source images that requests reference by URL (edit, remix,
// upscale, reframe) through the guarded client. It implements
// handlers.URLFetcher.
type Fetcher struct {
	client *http.Client
}

var _ handlers.URLFetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher under p. The body cap defaults to Ideogram's
// source-image limit (10 MB) plus one byte, so an oversized image is told
// apart from a truncated one.
func NewFetcher(p Policy) (*Fetcher, error) {
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = messages.MaxSourceImageBytes + 1
	}
	if p.MaxRedirects == 0 {
		p.MaxRedirects = 3
	}
	c, err := NewClient(p)
	if err != nil {
		return nil, err
	}
	return &Fetcher{client: c}, nil
}

// Fetch downloads url. A refused URL and an oversized body are permanent
// errors; 404/403/410 mean the source is gone (source_expired); 5xx, 429 and
// network failures are transient.
func (f *Fetcher) Fetch(ctx context.Context, url string) (handlers.Blob, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return handlers.Blob{}, sourceErr(messages.CodeInvalidRequest, false, "not a valid URL")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		var refused *RefusedError
		if errors.As(err, &refused) {
			return handlers.Blob{}, sourceErr(messages.CodeInvalidRequest, false, "refused: "+refused.Reason)
		}
		return handlers.Blob{}, sourceErr(messages.CodeUpstreamUnavailable, true, "fetch failed: "+Redact(url))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone || resp.StatusCode == http.StatusForbidden:
		return handlers.Blob{}, sourceErr(messages.CodeSourceExpired, false, fmt.Sprintf("HTTP %d: the source is gone", resp.StatusCode))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return handlers.Blob{}, sourceErr(messages.CodeUpstreamUnavailable, true, fmt.Sprintf("HTTP %d", resp.StatusCode))
	case resp.StatusCode/100 != 2:
		return handlers.Blob{}, sourceErr(messages.CodeInvalidRequest, false, fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	body, err := io.ReadAll(resp.Body)
	if errors.Is(err, ErrBodyTooLarge) {
		return handlers.Blob{}, sourceErr(messages.CodeImageTooLarge, false, fmt.Sprintf("larger than %d bytes", messages.MaxSourceImageBytes))
	}
	if err != nil {
		return handlers.Blob{}, sourceErr(messages.CodeUpstreamUnavailable, true, "read failed")
	}
	return handlers.Blob{Data: body, ContentType: resp.Header.Get("Content-Type")}, nil
}

func sourceErr(code messages.Code, retryable bool, msg string) *messages.Error {
	return &messages.Error{Code: code, Retryable: retryable, Message: "source image: " + msg,
		Fields: []messages.FieldError{{Field: "source_image", Message: msg}}}
}

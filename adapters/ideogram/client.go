package ideogram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// Client talks to the Ideogram API, or to anything that speaks it such as
// the Simulator. It implements handlers.Generator and handlers.Downloader and
// is safe for concurrent use.
type Client struct {
	cfg      Config
	download *http.Client
}

var (
	_ handlers.Generator  = (*Client)(nil)
	_ handlers.Downloader = (*Client)(nil)
)

// maxResponseBytes caps API answers; a JSON reply of a few images is tiny,
// so anything this large is not an answer we can use.
const maxResponseBytes = 4 << 20

// New returns a Client for cfg after validating it. Errors name the field.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg}
	// Downloads get their own copy of the HTTP client so that redirects are
	// checked against the host allow list without touching the caller's.
	dl := *cfg.HTTPClient
	dl.CheckRedirect = c.checkRedirect
	c.download = &dl
	return c, nil
}

// Generate runs req's operation and returns its images in order. Errors are
// *AttemptsError wrapping a classified *messages.Error.
func (c *Client) Generate(ctx context.Context, req messages.GenerationRequest, in handlers.Inputs) ([]messages.Image, error) {
	images, _, err := c.GenerateAttempts(ctx, req, in)
	return images, err
}

// GenerateAttempts is Generate that also reports how many HTTP attempts were
// made, for the stage's report; on failure the same count is in the error.
//
// The operation and model pick the route (see the Route constants). A
// request the route cannot carry, or a missing or unusable input image, is
// refused with a permanent error before any call (0 attempts).
func (c *Client) GenerateAttempts(ctx context.Context, req messages.GenerationRequest, in handlers.Inputs) ([]messages.Image, int, error) {
	op := req.EffectiveOperation()
	rt, ok := selectRoute(op, req.EffectiveModel())
	if !ok {
		return nil, 0, &AttemptsError{Err: messages.Permanent(messages.CodeInvalidRequest, "operation %q is not supported", op)}
	}
	if e := rt.check(req, in); e != nil {
		return nil, 0, &AttemptsError{Err: e}
	}
	body, contentType, err := rt.encode(req, in)
	if err != nil {
		return nil, 0, &AttemptsError{Err: messages.Permanent(messages.CodeInvalidRequest, "encode %s request: %v", op, err)}
	}
	var images []messages.Image
	attempts, err := c.retry(ctx, rt.name, func(ctx context.Context) error {
		var err error
		images, err = c.post(ctx, rt, body, contentType)
		return err
	})
	if err != nil {
		return nil, attempts, err
	}
	return images, attempts, nil
}

// post makes one attempt at an API call. A failure after the request went
// out whole comes back as *maybeBilledError: Ideogram may have run it.
func (c *Client) post(ctx context.Context, rt route, body []byte, contentType string) ([]messages.Image, error) {
	ctx, cancel := attemptContext(ctx, c.cfg.Timeout)
	defer cancel()
	// The transport reports from its own goroutine when the request has
	// been written; only from then on can the API have started (and billed)
	// the work.
	var sent atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { sent.Store(i.Err == nil) },
	})
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+rt.path, bytes.NewReader(body))
	if err != nil {
		return nil, messages.Permanent(messages.CodeInternal, "build %s request: %v", rt.name, err)
	}
	httpReq.Header.Set("Api-Key", c.cfg.APIKey)
	httpReq.Header.Set("Content-Type", contentType)
	httpReq.Header.Set("Accept", "application/json")
	if c.cfg.UserAgent != "" {
		httpReq.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	what := "ideogram " + rt.name
	lost := func(e *messages.Error) error {
		if sent.Load() {
			return &maybeBilledError{c.redact(e)}
		}
		return c.redact(e)
	}
	resp, err := c.cfg.HTTPClient.Do(httpReq)
	if err != nil {
		return nil, lost(transportError(ctx, what, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, lost(transportError(ctx, what+": read response", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.redact(apiStatusError(resp, raw))
		if statusMaybeBilled(resp.StatusCode) {
			return nil, &maybeBilledError{e}
		}
		return nil, e
	}
	// From here on the API said it succeeded, so it billed: an answer we
	// cannot use is retried, but reported as possibly paid for.
	if len(raw) > maxResponseBytes {
		return nil, &maybeBilledError{messages.Transient(messages.CodeUpstreamUnavailable, fmt.Errorf("%s: response larger than %d bytes", what, maxResponseBytes))}
	}
	images, e := decodeImages(what, raw)
	if e != nil {
		return nil, &maybeBilledError{e}
	}
	return images, nil
}

// redact keeps the API key out of error text, in case a gateway echoes it.
func (c *Client) redact(e *messages.Error) *messages.Error {
	if strings.Contains(e.Message, c.cfg.APIKey) {
		e.Message = strings.ReplaceAll(e.Message, c.cfg.APIKey, "[redacted]")
	}
	return e
}

// decodeImages turns a successful answer into images. A 200 we cannot read
// is treated as a transient upstream fault: proxies and partial outages
// produce these, and the request itself was fine.
func decodeImages(what string, raw []byte) ([]messages.Image, *messages.Error) {
	var resp apiResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, messages.Transient(messages.CodeUpstreamUnavailable, fmt.Errorf("%s: unreadable response: %w", what, err))
	}
	if len(resp.Data) == 0 {
		return nil, messages.Transient(messages.CodeUpstreamUnavailable, fmt.Errorf("%s: response has no images", what))
	}
	images := make([]messages.Image, len(resp.Data))
	for i, d := range resp.Data {
		images[i] = messages.Image{
			Index:      i,
			SourceURL:  d.URL,
			Seed:       d.Seed,
			Resolution: d.Resolution,
			Prompt:     d.Prompt,
			StyleType:  d.StyleType,
			Filtered:   !d.IsImageSafe || d.URL == "",
		}
		if images[i].Filtered {
			images[i].SourceURL = ""
		}
	}
	return images, nil
}

package ideogram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

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

// route is how one operation reaches the API. Operations differ in path and
// body encoding (edit and remix are multipart), but all legacy endpoints
// answer with the same image list.
type route struct {
	path   string
	encode func(messages.GenerationRequest) (body []byte, contentType string, err error)
}

var routes = map[string]route{
	messages.OperationGenerate: {path: "/generate", encode: encodeGenerate},
}

// Generate runs req's operation and returns its images in order. Errors are
// *AttemptsError wrapping a classified *messages.Error.
func (c *Client) Generate(ctx context.Context, req messages.GenerationRequest, in handlers.Inputs) ([]messages.Image, error) {
	images, _, err := c.GenerateAttempts(ctx, req, in)
	return images, err
}

// GenerateAttempts is Generate that also reports how many HTTP attempts were
// made, for the stage's report; on failure the same count is in the error.
func (c *Client) GenerateAttempts(ctx context.Context, req messages.GenerationRequest, in handlers.Inputs) ([]messages.Image, int, error) {
	op := req.EffectiveOperation()
	rt, ok := routes[op]
	if !ok {
		return nil, 0, &AttemptsError{Err: messages.Permanent(messages.CodeInvalidRequest, "operation %s not supported yet", op)}
	}
	body, contentType, err := rt.encode(req)
	if err != nil {
		return nil, 0, &AttemptsError{Err: messages.Permanent(messages.CodeInvalidRequest, "encode %s request: %v", op, err)}
	}
	var images []messages.Image
	attempts, err := c.retry(ctx, op, func(ctx context.Context) error {
		var err error
		images, err = c.post(ctx, op, rt.path, body, contentType)
		return err
	})
	if err != nil {
		return nil, attempts, err
	}
	return images, attempts, nil
}

// post makes one attempt at an API call.
func (c *Client) post(ctx context.Context, op, path string, body []byte, contentType string) ([]messages.Image, error) {
	ctx, cancel := attemptContext(ctx, c.cfg.Timeout)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, messages.Permanent(messages.CodeInternal, "build %s request: %v", op, err)
	}
	httpReq.Header.Set("Api-Key", c.cfg.APIKey)
	httpReq.Header.Set("Content-Type", contentType)
	httpReq.Header.Set("Accept", "application/json")
	if c.cfg.UserAgent != "" {
		httpReq.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	what := "ideogram " + op
	resp, err := c.cfg.HTTPClient.Do(httpReq)
	if err != nil {
		return nil, c.redact(transportError(ctx, what, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, c.redact(transportError(ctx, what+": read response", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.redact(apiStatusError(resp, raw))
	}
	if len(raw) > maxResponseBytes {
		return nil, messages.Transient(messages.CodeUpstreamUnavailable, fmt.Errorf("%s: response larger than %d bytes", what, maxResponseBytes))
	}
	return decodeImages(what, raw)
}

// redact keeps the API key out of error text, in case a gateway echoes it.
func (c *Client) redact(e *messages.Error) *messages.Error {
	if strings.Contains(e.Message, c.cfg.APIKey) {
		e.Message = strings.ReplaceAll(e.Message, c.cfg.APIKey, "[redacted]")
	}
	return e
}

func encodeGenerate(req messages.GenerationRequest) ([]byte, string, error) {
	body, err := json.Marshal(apiRequest{ImageRequest: apiImageRequest{
		Prompt: req.Prompt,
		// The model is always explicit: the API's own default may change,
		// and the model decides the price.
		Model:             req.EffectiveModel(),
		AspectRatio:       req.AspectRatio,
		Resolution:        req.Resolution,
		MagicPromptOption: req.MagicPrompt,
		Seed:              req.Seed,
		StyleType:         req.StyleType,
		NegativePrompt:    req.NegativePrompt,
		NumImages:         req.NumImages,
		ColorPalette:      req.ColorPalette,
	}})
	return body, "application/json", err
}

// decodeImages turns a successful answer into images. A 200 we cannot read
// is treated as a transient upstream fault: proxies and partial outages
// produce these, and the request itself was fine.
func decodeImages(what string, raw []byte) ([]messages.Image, error) {
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

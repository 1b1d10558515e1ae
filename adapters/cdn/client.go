package cdn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/cloudflare/cloudflare-go"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

var _ handlers.CDN = (*Client)(nil)

// Client purges and warms URLs of one Cloudflare zone. It is safe for
// concurrent use.
type Client struct {
	api  *cloudflare.API
	http *http.Client
	cfg  Config
}

// New validates cfg and returns a Client. It does not touch the network.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	apiHTTP := *cfg.HTTPClient
	base := apiHTTP.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	apiHTTP.Transport = tracingTransport{base: base}

	api, err := cloudflare.NewWithAPIToken(cfg.APIToken,
		cloudflare.BaseURL(cfg.APIBaseURL),
		cloudflare.HTTPClient(&apiHTTP),
		// Retries are ours (backoff with jitter, Retry-After, a bound the
		// caller sets): cloudflare-go's would multiply them and sleep whole
		// seconds.
		cloudflare.UsingRetryPolicy(0, 0, 0),
		cloudflare.UserAgent("ideobus"),
	)
	if err != nil {
		return nil, fmt.Errorf("cdn: %w", err)
	}
	return &Client{api: api, http: cfg.HTTPClient, cfg: cfg}, nil
}

// Purge evicts urls from the zone's cache, in calls of at most
// Config.BatchSize URLs, retrying each call on transient failures. Duplicate
// URLs are sent once. Purging is idempotent, so a replayed Purge is harmless;
// on failure, batches before the failed one have been purged.
func (c *Client) Purge(ctx context.Context, urls []string) error {
	files := dedupe(urls)
	for start := 0; start < len(files); start += c.cfg.BatchSize {
		end := min(start+c.cfg.BatchSize, len(files))
		if err := c.purgeWithRetry(ctx, files[start:end]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) purgeWithRetry(ctx context.Context, files []string) error {
	policy := &retryAfterBackOff{
		BackOff: backoff.NewExponentialBackOff(
			backoff.WithInitialInterval(c.cfg.RetryInitialInterval),
			backoff.WithMaxInterval(30*time.Second),
			backoff.WithMaxElapsedTime(0), // MaxAttempts is the bound
		),
		max: c.cfg.MaxRetryAfter,
	}
	var last *messages.Error
	err := backoff.Retry(func() error {
		err := c.purgeOnce(ctx, files)
		if err == nil {
			return nil
		}
		last = err
		if !err.Retryable {
			return backoff.Permanent(err)
		}
		policy.hint = err.RetryAfter
		return err
	}, backoff.WithContext(backoff.WithMaxRetries(policy, uint64(c.cfg.MaxAttempts-1)), ctx))
	switch {
	case err == nil:
		return nil
	case last != nil:
		return last
	default: // cancelled before the first call
		return messages.Transient(messages.CodeCDNFailed, fmt.Errorf("purge: %w", err))
	}
}

func (c *Client) purgeOnce(ctx context.Context, files []string) *messages.Error {
	what := fmt.Sprintf("purge %d URLs", len(files))
	tctx, tr := withTrace(ctx)
	resp, err := c.api.PurgeCache(tctx, c.cfg.ZoneID, cloudflare.PurgeCacheRequest{Files: files})
	if err != nil {
		return classifyStatus(what, tr.status, tr.retryAfter, err)
	}
	if !resp.Success {
		// A 2xx that says it failed: nothing tells us a retry would differ.
		e := classifyStatus(what, tr.status, 0, errors.New("API reported success=false"))
		e.Retryable = false
		return e
	}
	return nil
}

// retryAfterBackOff stretches the next delay to a server's Retry-After, and
// stops retrying here when the server asks for longer than max.
type retryAfterBackOff struct {
	backoff.BackOff
	hint time.Duration
	max  time.Duration
}

func (b *retryAfterBackOff) NextBackOff() time.Duration {
	d := b.BackOff.NextBackOff()
	hint := b.hint
	b.hint = 0
	if d == backoff.Stop || hint > b.max {
		return backoff.Stop
	}
	return max(d, hint)
}

func dedupe(urls []string) []string {
	seen := make(map[string]bool, len(urls))
	out := make([]string, 0, len(urls))
	for _, u := range urls {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

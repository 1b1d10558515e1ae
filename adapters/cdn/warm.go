package cdn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/ideobus/ideobus/messages"
)

// warmBodyCap bounds how much of each response Warm reads. Reading the body
// lets the connection be reused; the cap keeps a mistaken URL from streaming
// gigabytes.
const warmBodyCap = 64 << 20

// Warm requests each URL once, at most Config.WarmConcurrency at a time, so
// the edge caches it before the first visitor asks. Every URL is tried; a
// transport failure or a non-2xx answer for any of them makes Warm return a
// retryable cdn_failed error listing how many failed.
func (c *Client) Warm(ctx context.Context, urls []string) error {
	urls = dedupe(urls)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, c.cfg.WarmConcurrency)
	)
	for _, u := range urls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return messages.Transient(messages.CodeCDNFailed, fmt.Errorf("warm: %w", ctx.Err()))
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.warmOne(ctx, u); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) == 0 {
		return nil
	}
	return &messages.Error{
		Code:      messages.CodeCDNFailed,
		Retryable: true,
		Message:   fmt.Sprintf("warm: %d of %d URLs failed, e.g. %v", len(errs), len(urls), errs[0]),
		Err:       errors.Join(errs...),
	}
}

func (c *Client) warmOne(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.WarmTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("warm %s: %w", url, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("warm %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, warmBodyCap))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("warm %s: HTTP %d", url, resp.StatusCode)
	}
	if err != nil {
		return fmt.Errorf("warm %s: read body: %w", url, err)
	}
	return nil
}

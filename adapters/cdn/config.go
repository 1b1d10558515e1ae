package cdn

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment variables read by ConfigFromEnv and named in configuration
// errors.
const (
	EnvAPIToken   = "CLOUDFLARE_API_TOKEN"
	EnvZoneID     = "CLOUDFLARE_ZONE_ID"
	EnvAPIBaseURL = "CLOUDFLARE_API_BASE_URL"
)

// DefaultAPIBaseURL is Cloudflare's v4 API.
const DefaultAPIBaseURL = "https://api.cloudflare.com/client/v4"

// MaxFilesPerPurge is Cloudflare's limit on URLs in one purge-by-URL call on
// Free, Pro and Business plans (Enterprise allows 500).
const MaxFilesPerPurge = 30

// Config is what Client needs. Only APIToken and ZoneID are required.
type Config struct {
	// APIToken needs the Zone > Cache Purge permission.
	APIToken string
	ZoneID   string
	// APIBaseURL replaces DefaultAPIBaseURL, e.g. with LocalCDN.APIBaseURL().
	APIBaseURL string
	// HTTPClient makes API calls and warm-up requests (default: a client
	// with a 30 s timeout).
	HTTPClient *http.Client

	// BatchSize is the number of URLs per purge call (default
	// MaxFilesPerPurge). Raise it only on an Enterprise zone.
	BatchSize int
	// MaxAttempts bounds the calls made for one batch (default 5).
	MaxAttempts int
	// RetryInitialInterval is the first backoff delay (default 500 ms); it
	// doubles, with jitter, up to 30 s. A longer Retry-After wins.
	RetryInitialInterval time.Duration
	// MaxRetryAfter is the longest Retry-After Purge waits out itself
	// (default 30 s); beyond it Purge returns a retryable error carrying the
	// hint, so the pipeline reschedules instead of holding a worker.
	MaxRetryAfter time.Duration

	// WarmTimeout bounds each warm-up request (default 10 s).
	WarmTimeout time.Duration
	// WarmConcurrency bounds concurrent warm-up requests (default 4).
	WarmConcurrency int
}

// ConfigFromEnv reads the CLOUDFLARE_* variables through getenv.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		APIToken:   getenv(EnvAPIToken),
		ZoneID:     getenv(EnvZoneID),
		APIBaseURL: getenv(EnvAPIBaseURL),
	}
}

func (c Config) withDefaults() Config {
	if c.APIBaseURL == "" {
		c.APIBaseURL = DefaultAPIBaseURL
	}
	c.APIBaseURL = strings.TrimRight(c.APIBaseURL, "/")
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if c.BatchSize <= 0 {
		c.BatchSize = MaxFilesPerPurge
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryInitialInterval <= 0 {
		c.RetryInitialInterval = 500 * time.Millisecond
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = 30 * time.Second
	}
	if c.WarmTimeout <= 0 {
		c.WarmTimeout = 10 * time.Second
	}
	if c.WarmConcurrency <= 0 {
		c.WarmConcurrency = 4
	}
	return c
}

// validate names every offending variable in one error and never echoes the
// token.
func (c Config) validate() error {
	var problems []string
	if c.APIToken == "" {
		problems = append(problems, EnvAPIToken+" is required (an API token with Cache Purge permission)")
	}
	if c.ZoneID == "" {
		problems = append(problems, EnvZoneID+" is required (the zone serving the public URLs)")
	}
	if c.APIBaseURL != "" {
		u, err := url.Parse(c.APIBaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("%s: want an absolute http(s) URL, got %q", EnvAPIBaseURL, c.APIBaseURL))
		}
	}
	if len(problems) > 0 {
		return errors.New("cdn: invalid configuration: " + strings.Join(problems, "; "))
	}
	return nil
}

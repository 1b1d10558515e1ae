package ideogram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ideobus/ideobus/adapters/internal/wait"
	"github.com/ideobus/ideobus/messages"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultBaseURL          = "https://api.ideogram.ai"
	DefaultTimeout          = 60 * time.Second
	DefaultMaxAttempts      = 4
	DefaultInitialInterval  = 500 * time.Millisecond
	DefaultMaxInterval      = 10 * time.Second
	DefaultMultiplier       = 2.0
	DefaultJitter           = 0.5
	DefaultMaxRetryAfter    = 30 * time.Second
	DefaultMaxDownloadBytes = 20 << 20
	DefaultDownloadTimeout  = 30 * time.Second
)

// DefaultImageHosts are the hosts Ideogram serves result images from. An
// entry also admits its subdomains.
var DefaultImageHosts = []string{"ideogram.ai"}

// Config configures a Client. Only APIKey is required; production and the
// simulator differ only in BaseURL, ImageHosts and AllowHTTP.
type Config struct {
	// BaseURL is the API root, DefaultBaseURL when empty.
	BaseURL string
	// APIKey is sent as the Api-Key header and never appears in errors.
	APIKey string
	// HTTPClient carries the requests (transport, proxies, TLS). Its own
	// Timeout should be zero: per-attempt deadlines come from Timeout and
	// DownloadTimeout so that a timeout can be told apart and retried.
	HTTPClient *http.Client
	// Timeout bounds one API attempt (DefaultTimeout when zero).
	Timeout time.Duration

	// MaxAttempts is the total number of tries for a transient failure,
	// first call included (DefaultMaxAttempts when zero; 1 disables retries).
	MaxAttempts int
	// InitialInterval, MaxInterval and Multiplier shape the exponential
	// backoff between attempts (defaults 500ms, 10s, 2). Jitter is its
	// randomization factor in (0, 1]; zero means DefaultJitter, because
	// unjittered retries from many consumers arrive in lockstep.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Multiplier      float64
	Jitter          float64
	// MaxRetryAfter is the longest Retry-After the client waits out itself.
	// A longer hint ends the retries and is reported in the error's
	// RetryAfter, so the pipeline can park the job instead of holding a slot.
	MaxRetryAfter time.Duration
	// Sleep waits between attempts; nil means a timer that honours ctx.
	// Tests replace it to record the computed waits without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told about every retry before its wait.
	OnRetry func(RetryEvent)

	// ImageHosts lists the hosts Download may fetch from (DefaultImageHosts
	// when nil). "example.com" admits example.com and its subdomains;
	// "host:port" admits that exact authority only.
	ImageHosts []string
	// AllowHTTP permits plain-http API and image URLs. Only for the embedded
	// simulator and local use.
	AllowHTTP bool
	// MaxDownloadBytes caps an image download (DefaultMaxDownloadBytes when zero).
	MaxDownloadBytes int64
	// DownloadTimeout bounds one download attempt (DefaultDownloadTimeout when zero).
	DownloadTimeout time.Duration
	// UserAgent is sent with every request when set.
	UserAgent string
}

// RetryEvent describes a retry about to happen.
type RetryEvent struct {
	Op      string // a Route constant (e.g. "generate", "edit_v3") or "download"
	Attempt int    // the attempt that failed, from 1
	Wait    time.Duration
	Err     *messages.Error
	// MaybeBilled is true when the failed attempt may have run, and been
	// billed, upstream (see AttemptsError.MaybeBilled). Observers can count
	// these even when a later attempt succeeds.
	MaybeBilled bool
}

// SimulatorConfig returns a Config that talks to a simulator at baseURL:
// plain HTTP allowed and the simulator's host admitted for downloads.
func SimulatorConfig(baseURL, apiKey string) Config {
	cfg := Config{BaseURL: baseURL, APIKey: apiKey, AllowHTTP: true}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		cfg.ImageHosts = []string{u.Host}
	}
	return cfg
}

// withDefaults validates cfg and fills in defaults. Each error names the
// offending field, as the configuration layer reports it to the operator.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("ideogram: Config.%s %s", field, fmt.Sprintf(format, args...)))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if u, err := url.Parse(cfg.BaseURL); err != nil || u.Host == "" {
		bad("BaseURL", "must be an absolute URL, got %q", cfg.BaseURL)
	} else if u.Scheme != "https" && !(u.Scheme == "http" && cfg.AllowHTTP) {
		bad("BaseURL", "must use https (plain http needs AllowHTTP), got scheme %q", u.Scheme)
	} else if u.User != nil || u.RawQuery != "" {
		bad("BaseURL", "must not carry credentials or a query")
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		bad("APIKey", "is required (IDEOGRAM_API_KEY)")
	} else if strings.ContainsAny(cfg.APIKey, "\r\n") {
		bad("APIKey", "must not contain line breaks")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	positive := func(field string, d *time.Duration, def time.Duration) {
		switch {
		case *d == 0:
			*d = def
		case *d < 0:
			bad(field, "must not be negative, got %s", *d)
		}
	}
	positive("Timeout", &cfg.Timeout, DefaultTimeout)
	positive("InitialInterval", &cfg.InitialInterval, DefaultInitialInterval)
	positive("MaxInterval", &cfg.MaxInterval, DefaultMaxInterval)
	positive("MaxRetryAfter", &cfg.MaxRetryAfter, DefaultMaxRetryAfter)
	positive("DownloadTimeout", &cfg.DownloadTimeout, DefaultDownloadTimeout)
	switch {
	case cfg.MaxAttempts == 0:
		cfg.MaxAttempts = DefaultMaxAttempts
	case cfg.MaxAttempts < 0:
		bad("MaxAttempts", "must be at least 1, got %d", cfg.MaxAttempts)
	}
	switch {
	case cfg.Multiplier == 0:
		cfg.Multiplier = DefaultMultiplier
	case cfg.Multiplier < 1:
		bad("Multiplier", "must be at least 1, got %g", cfg.Multiplier)
	}
	switch {
	case cfg.Jitter == 0:
		cfg.Jitter = DefaultJitter
	case cfg.Jitter < 0 || cfg.Jitter > 1:
		bad("Jitter", "must be between 0 and 1, got %g", cfg.Jitter)
	}
	switch {
	case cfg.MaxDownloadBytes == 0:
		cfg.MaxDownloadBytes = DefaultMaxDownloadBytes
	case cfg.MaxDownloadBytes < 0:
		bad("MaxDownloadBytes", "must be positive, got %d", cfg.MaxDownloadBytes)
	}
	if cfg.ImageHosts == nil {
		cfg.ImageHosts = DefaultImageHosts
	}
	hosts := make([]string, 0, len(cfg.ImageHosts))
	for _, h := range cfg.ImageHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" || strings.ContainsAny(h, "/?#@") {
			bad("ImageHosts", "entry %q must be a host name or host:port", h)
			continue
		}
		hosts = append(hosts, h)
	}
	cfg.ImageHosts = hosts
	if cfg.Sleep == nil {
		cfg.Sleep = wait.Sleep
	}
	return cfg, errors.Join(errs...)
}

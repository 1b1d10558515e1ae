package storage

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Environment variables read by ConfigFromEnv and named in configuration
// errors.
const (
	EnvAccountID       = "R2_ACCOUNT_ID"
	EnvAccessKeyID     = "R2_ACCESS_KEY_ID"
	EnvSecretAccessKey = "R2_SECRET_ACCESS_KEY"
	EnvBucket          = "R2_BUCKET"
	EnvEndpoint        = "R2_ENDPOINT"
	EnvPublicBaseURL   = "R2_PUBLIC_BASE_URL"
)

// DefaultCacheControl is sent with every object. Keys are deterministic and a
// replay may rewrite one, so objects are long-lived at the edge but not
// "immutable": the purge stage is what makes a rewrite visible.
const DefaultCacheControl = "public, max-age=31536000"

// Config locates an R2 bucket (or any S3-compatible endpoint).
type Config struct {
	// AccountID is the Cloudflare account ID; it forms the default endpoint.
	// Not required when Endpoint is set.
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
	Bucket          string
	// Endpoint overrides https://<AccountID>.r2.cloudflarestorage.com.
	Endpoint string
	// PublicBaseURL is where objects are publicly readable (an R2 custom
	// domain behind the CDN): an object's URL is PublicBaseURL + "/" + key.
	PublicBaseURL string
	// UsePathStyle addresses the bucket in the path instead of the host name.
	// Needed for endpoints without wildcard DNS, such as LocalServer.
	UsePathStyle bool
	// CacheControl overrides DefaultCacheControl.
	CacheControl string
	// MaxAttempts bounds the SDK's own retries of one call (0: SDK default,
	// 3). Retries across messages are the pipeline's business.
	MaxAttempts int
}

// ConfigFromEnv reads the R2_* variables through getenv (os.Getenv in
// production, a map lookup in tests).
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		AccountID:       getenv(EnvAccountID),
		AccessKeyID:     getenv(EnvAccessKeyID),
		SecretAccessKey: getenv(EnvSecretAccessKey),
		Bucket:          getenv(EnvBucket),
		Endpoint:        getenv(EnvEndpoint),
		PublicBaseURL:   getenv(EnvPublicBaseURL),
	}
}

// endpoint returns the S3 endpoint the config points at.
func (c Config) endpoint() string {
	if c.Endpoint != "" {
		return strings.TrimRight(c.Endpoint, "/")
	}
	return "https://" + c.AccountID + ".r2.cloudflarestorage.com"
}

// validate reports every problem at once, each naming its variable, so one
// failed start is enough to fix the environment. Secret values are never
// echoed.
func (c Config) validate() error {
	var problems []string
	missing := func(name, what string) {
		problems = append(problems, fmt.Sprintf("%s is required (%s)", name, what))
	}
	if c.AccountID == "" && c.Endpoint == "" {
		missing(EnvAccountID, "the Cloudflare account ID, or set "+EnvEndpoint)
	}
	if c.AccessKeyID == "" {
		missing(EnvAccessKeyID, "the R2 access key ID")
	}
	if c.SecretAccessKey == "" {
		missing(EnvSecretAccessKey, "the R2 secret access key")
	}
	if c.Bucket == "" {
		missing(EnvBucket, "the R2 bucket name")
	}
	if c.PublicBaseURL == "" {
		missing(EnvPublicBaseURL, "the public base URL objects are served from")
	} else if err := checkHTTPURL(c.PublicBaseURL); err != nil {
		problems = append(problems, EnvPublicBaseURL+": "+err.Error())
	}
	if c.Endpoint != "" {
		if err := checkHTTPURL(c.Endpoint); err != nil {
			problems = append(problems, EnvEndpoint+": "+err.Error())
		}
	}
	if len(problems) > 0 {
		return errors.New("storage: invalid configuration: " + strings.Join(problems, "; "))
	}
	return nil
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %q", raw)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL, got %q", raw)
	}
	return nil
}

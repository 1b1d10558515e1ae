package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/ideobus/ideobus/adapters/internal/wait"
	"github.com/ideobus/ideobus/adapters/safehttp"
	"github.com/ideobus/ideobus/messages"
)

// Config configures a Deliverer. Zero durations and counts take defaults.
type Config struct {
	// Secrets sign every delivery (whsec_ form). List the new secret next to
	// the old one while receivers rotate.
	Secrets []string
	// Policy guards callback URLs; its Timeout bounds each attempt. Its
	// MaxRedirects is ignored: deliveries do not follow redirects.
	Policy safehttp.Policy
	// MaxAttempts bounds the requests per delivery, retries included
	// (default 5).
	MaxAttempts int
	// InitialInterval is the first backoff wait (default 1 s); later waits
	// grow by Multiplier (default 2) up to MaxInterval (default 1 min), with
	// Jitter (default 0.5) spread around each.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	Multiplier      float64
	Jitter          float64
	// Now is the clock used for timestamps (default time.Now).
	Now func() time.Time
	// Sleep waits between attempts, returning early with ctx's error
	// (default: a timer). Tests replace it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Deliverer signs and POSTs events to callback URLs. It is safe for
// concurrent use.
type Deliverer struct {
	cfg    Config
	keys   [][]byte
	client *http.Client
}

// NewDeliverer checks cfg and returns a Deliverer.
func NewDeliverer(cfg Config) (*Deliverer, error) {
	keys, err := decodeSecrets(cfg.Secrets)
	if err != nil {
		return nil, err
	}
	cfg.Policy.MaxRedirects = 0
	client, err := safehttp.NewClient(cfg.Policy)
	if err != nil {
		return nil, err
	}
	cfg.Secrets = append([]string(nil), cfg.Secrets...)
	setDefaults(&cfg)
	return &Deliverer{cfg: cfg, keys: keys, client: client}, nil
}

func setDefaults(c *Config) {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.InitialInterval <= 0 {
		c.InitialInterval = time.Second
	}
	if c.MaxInterval <= 0 {
		c.MaxInterval = time.Minute
	}
	if c.Multiplier < 1 {
		c.Multiplier = 2
	}
	if c.Jitter <= 0 || c.Jitter > 1 {
		c.Jitter = 0.5
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = wait.Sleep
	}
}

// Deliver POSTs body, signed, to rawURL as the event eventID of type
// eventType, retrying transient failures. It returns the final Delivery and,
// unless the event was delivered, a *messages.Error with one of the
// Code* constants of this package, never retryable: the retries are spent.
//
// The one exception is ctx ending mid-delivery (shutdown, or the caller's
// deadline): the error is then a retryable messages.CodeTimeout, so the
// stage can leave the event for redelivery rather than record a failure.
func (d *Deliverer) Deliver(ctx context.Context, rawURL, eventID, eventType string, body []byte) (Delivery, error) {
	res := Delivery{URL: safehttp.Redact(rawURL), EventID: eventID, EventType: eventType}
	if eventID == "" {
		res = d.end(res, StatusFailed, CodeCallbackFailed, "no event ID")
		return res, resultError(res)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		res = d.end(res, StatusRefused, CodeCallbackRefused, "not a valid URL")
		return res, resultError(res)
	}
	b := d.backoff()
	for {
		res.Attempts++
		out := d.attempt(ctx, u, eventID, body)
		res.HTTPStatus = out.status
		switch {
		case out.status >= 200 && out.status < 300:
			return d.end(res, StatusDelivered, "", ""), nil
		case out.status == http.StatusGone:
			res = d.end(res, StatusGone, CodeCallbackGone, "HTTP 410 Gone: the receiver unsubscribed")
			return res, resultError(res)
		case out.refused != nil:
			res.Attempts-- // nothing was sent
			res = d.end(res, StatusRefused, CodeCallbackRefused, out.refused.Reason)
			return res, resultError(res)
		case ctx.Err() != nil:
			return d.gaveUp(ctx, res)
		case !out.retryable:
			res = d.end(res, StatusFailed, CodeCallbackFailed, out.reason)
			return res, resultError(res)
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			res = d.end(res, StatusFailed, CodeCallbackFailed, fmt.Sprintf("%s (gave up after %d attempts)", out.reason, res.Attempts))
			return res, resultError(res)
		}
		wait = max(wait, min(out.retryAfter, d.cfg.MaxInterval))
		if d.cfg.Sleep(ctx, wait) != nil {
			return d.gaveUp(ctx, res)
		}
	}
}

func (d *Deliverer) backoff() backoff.BackOff {
	b := backoff.WithMaxRetries(&backoff.ExponentialBackOff{
		InitialInterval:     d.cfg.InitialInterval,
		RandomizationFactor: d.cfg.Jitter,
		Multiplier:          d.cfg.Multiplier,
		MaxInterval:         d.cfg.MaxInterval,
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock, // unused: no MaxElapsedTime
	}, uint64(d.cfg.MaxAttempts-1))
	b.Reset()
	return b
}

func (d *Deliverer) end(res Delivery, s Status, code messages.Code, reason string) Delivery {
	res.Status, res.Code, res.Error, res.At = s, code, reason, d.cfg.Now()
	return res
}

// gaveUp ends a delivery cut short by ctx. The event was not refused by
// anyone, so the error stays retryable.
func (d *Deliverer) gaveUp(ctx context.Context, res Delivery) (Delivery, error) {
	msg := "gave up: context canceled"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		msg = "gave up: deadline exceeded"
	}
	res = d.end(res, StatusFailed, messages.CodeTimeout, msg)
	return res, &messages.Error{Code: messages.CodeTimeout, Retryable: true, Message: "webhook: " + msg, Err: ctx.Err()}
}

func resultError(res Delivery) error {
	return messages.Permanent(res.Code, "webhook to %s: %s", res.URL, res.Error)
}

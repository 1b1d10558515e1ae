package ideogram

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/ideobus/ideobus/messages"
)

// AttemptsError is the error every Client method returns: the classified
// failure plus how many HTTP attempts were made, which the stage reports in
// failed events. It unwraps to *messages.Error, so messages.Classify and
// errors.As see the code and retryability directly.
type AttemptsError struct {
	Err      *messages.Error
	Attempts int
}

func (e *AttemptsError) Error() string {
	return fmt.Sprintf("%s (%d attempt%s)", e.Err, e.Attempts, plural(e.Attempts))
}

func (e *AttemptsError) Unwrap() error { return e.Err }

// Attempts reports how many attempts an error from this package took, 0 for
// any other error.
func Attempts(err error) int {
	var ae *AttemptsError
	if errors.As(err, &ae) {
		return ae.Attempts
	}
	return 0
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// retry runs op until it succeeds, fails permanently, the attempts are spent
// or ctx ends. op must return a *messages.Error on failure.
//
// backoff/v4 computes the exponential, jittered intervals, but the loop is
// ours: v4's Retry has no way to stretch a wait to a server's Retry-After.
func (c *Client) retry(ctx context.Context, op string, call func(context.Context) error) (int, error) {
	b := backoff.WithMaxRetries(&backoff.ExponentialBackOff{
		InitialInterval:     c.cfg.InitialInterval,
		RandomizationFactor: c.cfg.Jitter,
		Multiplier:          c.cfg.Multiplier,
		MaxInterval:         c.cfg.MaxInterval,
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock,
	}, uint64(c.cfg.MaxAttempts-1))
	b.Reset()
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return attempt, nil
		}
		e := messages.Classify(err)
		if ctx.Err() != nil {
			// The caller gave up (shutdown or its own deadline): report that,
			// not whatever the aborted request happened to fail with.
			return attempt, &AttemptsError{Err: contextError(ctx), Attempts: attempt}
		}
		wait := b.NextBackOff()
		if !e.Retryable || wait == backoff.Stop || e.RetryAfter > c.cfg.MaxRetryAfter {
			return attempt, &AttemptsError{Err: e, Attempts: attempt}
		}
		wait = max(wait, e.RetryAfter)
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(RetryEvent{Op: op, Attempt: attempt, Wait: wait, Err: e})
		}
		if c.cfg.Sleep(ctx, wait) != nil {
			return attempt, &AttemptsError{Err: contextError(ctx), Attempts: attempt}
		}
	}
}

// contextError classifies the end of the caller's context. Either way the
// job itself did not fail, so it stays retryable.
func contextError(ctx context.Context) *messages.Error {
	err := ctx.Err()
	msg := "gave up: context canceled"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "gave up: deadline exceeded"
	}
	return &messages.Error{Code: messages.CodeTimeout, Retryable: true, Message: msg, Err: err}
}

// attemptContext bounds one attempt. A deadline hit here is a retryable
// timeout; one inherited from the caller ends the retries.
func attemptContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, errAttemptTimeout)
}

var errAttemptTimeout = errors.New("attempt timed out")

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
	// MaybeBilled is true when at least one failed attempt may have been
	// executed, and charged, by Ideogram although no usable answer came
	// back: the request went out and then timed out, the connection broke,
	// a gateway answered 502/504, or a 200 could not be read. The generate
	// stage records it in its ledger, so that an operator can reconcile the
	// bill; a retry after such an attempt may pay a second time.
	MaybeBilled bool
}

func (e *AttemptsError) Error() string {
	s := fmt.Sprintf("%s (%d attempt%s", e.Err, e.Attempts, plural(e.Attempts))
	if e.MaybeBilled {
		s += ", may have been billed"
	}
	return s + ")"
}

func (e *AttemptsError) Unwrap() error { return e.Err }

// MayHaveBeenBilled reports MaybeBilled. It lets packages that must not
// import this one (handlers) ask through a small interface:
//
//	var b interface{ MayHaveBeenBilled() bool }
//	if errors.As(err, &b) && b.MayHaveBeenBilled() { ... }
func (e *AttemptsError) MayHaveBeenBilled() bool { return e.MaybeBilled }

// Attempts reports how many attempts an error from this package took, 0 for
// any other error.
func Attempts(err error) int {
	var ae *AttemptsError
	if errors.As(err, &ae) {
		return ae.Attempts
	}
	return 0
}

// MaybeBilled reports whether an error from this package says that Ideogram
// may have executed (and billed) a failed call; false for any other error.
func MaybeBilled(err error) bool {
	var ae *AttemptsError
	return errors.As(err, &ae) && ae.MaybeBilled
}

// maybeBilledError marks the failure of one attempt that may nevertheless
// have run upstream: the request was written and its answer was lost or
// unusable. It stays retryable or not as its *messages.Error says.
type maybeBilledError struct{ err *messages.Error }

func (e *maybeBilledError) Error() string { return e.err.Error() }
func (e *maybeBilledError) Unwrap() error { return e.err }

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
	billed := false
	for attempt := 1; ; attempt++ {
		err := call(ctx)
		if err == nil {
			return attempt, nil
		}
		e := messages.Classify(err)
		var mb *maybeBilledError
		thisBilled := errors.As(err, &mb)
		billed = billed || thisBilled
		fail := func(e *messages.Error) (int, error) {
			return attempt, &AttemptsError{Err: e, Attempts: attempt, MaybeBilled: billed}
		}
		if ctx.Err() != nil {
			// The caller gave up (shutdown or its own deadline): report that,
			// not whatever the aborted request happened to fail with.
			return fail(contextError(ctx))
		}
		wait := b.NextBackOff()
		if !e.Retryable || wait == backoff.Stop || e.RetryAfter > c.cfg.MaxRetryAfter {
			return fail(e)
		}
		wait = max(wait, e.RetryAfter)
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(RetryEvent{Op: op, Attempt: attempt, Wait: wait, Err: e, MaybeBilled: thisBilled})
		}
		if c.cfg.Sleep(ctx, wait) != nil {
			return fail(contextError(ctx))
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

package handlers

import "context"

type attemptKey struct{}

type attempt struct {
	n    int
	last bool
}

// WithAttempt tells a handler which attempt at a message this is and whether
// retry middleware will try again after it. Retry middleware calls it; a
// handler run without it treats every attempt as the first of many, returning
// transient errors for the caller's own retry policy.
func WithAttempt(ctx context.Context, n int, last bool) context.Context {
	return context.WithValue(ctx, attemptKey{}, attempt{n: n, last: last})
}

func attemptFrom(ctx context.Context) attempt {
	if a, ok := ctx.Value(attemptKey{}).(attempt); ok {
		return a
	}
	return attempt{n: 1}
}

// noMoreAttempts marks an error after which the stage must not be run again
// for this message, though the job as a whole may be retried later: the
// generate stage's Ideogram call already retried inside the client, and
// another round here would multiply paid calls.
type noMoreAttempts struct{ err error }

func (e noMoreAttempts) Error() string { return e.err.Error() }
func (e noMoreAttempts) Unwrap() error { return e.err }

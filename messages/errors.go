package messages

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable failure code carried by failed events.
type Code string

// Failure codes. They are part of the contract: consumers switch on them.
const (
	CodeInvalidRequest      Code = "invalid_request"
	CodeContentFiltered     Code = "content_filtered"
	CodeRateLimited         Code = "rate_limited"
	CodeInsufficientFunds   Code = "insufficient_funds"
	CodeDailyLimit          Code = "daily_limit"
	CodeUnauthorized        Code = "unauthorized"
	CodeForbidden           Code = "forbidden"
	CodeUpstreamUnavailable Code = "upstream_unavailable"
	CodeTimeout             Code = "timeout"
	CodeSourceExpired       Code = "source_expired"
	CodeImageTooLarge       Code = "image_too_large"
	CodeInvalidImage        Code = "invalid_image"
	CodeStorageFailed       Code = "storage_failed"
	CodeCDNFailed           Code = "cdn_failed"
	CodeInternal            Code = "internal"
)

// Error is a classified failure. Adapters classify once, where the failure is
// understood; handlers and middleware only read Code and Retryable.
type Error struct {
	Code Code
	// Retryable is true exactly when trying again could succeed.
	Retryable bool
	// RetryAfter is a server's hint (e.g. Retry-After) for the next attempt.
	RetryAfter time.Duration
	Message    string
	Fields     []FieldError
	Err        error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent returns a non-retryable error with the given code.
func Permanent(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Transient returns a retryable error with the given code, wrapping err.
func Transient(code Code, err error) *Error {
	return &Error{Code: code, Retryable: true, Message: err.Error(), Err: err}
}

// Classify returns err as an *Error. An unclassified error is treated as
// internal and retryable: an unknown failure should not lose a job for good.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Retryable: true, Message: err.Error(), Err: err}
}

// IsRetryable reports whether err is worth another attempt.
func IsRetryable(err error) bool { return err != nil && Classify(err).Retryable }

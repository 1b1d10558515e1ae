package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/ideobus/ideobus/messages"
)

// ErrNotFound matches (errors.Is) the error of a read of a missing object. It
// wraps fs.ErrNotExist so that code which cannot import this package, such as
// the handlers, can test for it too.
var ErrNotFound = fmt.Errorf("storage: object not found: %w", fs.ErrNotExist)

// IsNotFound reports whether err says the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// throttleCodes are S3 error codes that mean "slow down", whatever the status.
var throttleCodes = map[string]bool{
	"SlowDown":            true,
	"Throttling":          true,
	"ThrottlingException": true,
	"RequestTimeout":      true,
	"InternalError":       true,
	"ServiceUnavailable":  true,
	// A conditional write raced another on the same key: try again.
	"ConditionalRequestConflict": true,
}

// classify turns an SDK error into a *messages.Error. The rule: retry what a
// later attempt could fix (server-side 5xx, throttling, transport failures,
// cancelled contexts); do not retry what it cannot (auth, validation, a
// missing bucket or key).
func classify(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var done *messages.Error
	if errors.As(err, &done) {
		return err // classified already
	}
	if isMissing(err) {
		return &messages.Error{
			Code:    messages.CodeStorageFailed,
			Message: fmt.Sprintf("%s %q: object not found", op, key),
			Err:     fmt.Errorf("%w: %w", ErrNotFound, err),
		}
	}
	return &messages.Error{
		Code:      messages.CodeStorageFailed,
		Retryable: isRetryable(err),
		Message:   fmt.Sprintf("%s %q: %v", op, key, err),
		Err:       err,
	}
}

func isMissing(err error) bool {
	var noKey *types.NoSuchKey
	var notFound *types.NotFound // HeadObject has no body, so no NoSuchKey code
	return errors.As(err, &noKey) || errors.As(err, &notFound)
}

func isRetryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var invalid *smithy.InvalidParamsError
	if errors.As(err, &invalid) {
		return false
	}
	var api smithy.APIError
	if errors.As(err, &api) && throttleCodes[api.ErrorCode()] {
		return true
	}
	if status := httpStatus(err); status != 0 {
		return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
	}
	// No response at all: connection refused, reset, DNS, TLS. Transient.
	return true
}

// httpStatus is the status of the response behind err, or 0 if none arrived.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

package storage

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"

	"github.com/ideobus/ideobus/messages"
)

// PutIfAbsent writes body under key only if no object is there yet, with a
// conditional PutObject (If-None-Match: *), which R2 and S3 evaluate
// atomically. It reports whether this call created the object; a lost race
// returns created == false and no error.
func (s *Store) PutIfAbsent(ctx context.Context, key string, body []byte, contentType string) (messages.Asset, bool, error) {
	asset, err := s.put(ctx, key, body, contentType, true)
	if err == nil {
		return asset, true, nil
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed" || httpStatus(err) == http.StatusPreconditionFailed {
		return asset, false, nil
	}
	return messages.Asset{}, false, classify("conditional put", key, err)
}

// conditionalPuts gives the local server S3's If-None-Match: * semantics,
// which gofakes3 ignores, so the ledger's conditional create is exercised for
// real. A mutex makes check-and-put atomic within this process.
func conditionalPuts(backend gofakes3.Backend, next http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || strings.TrimSpace(r.Header.Get("If-None-Match")) != "*" {
			next.ServeHTTP(w, r)
			return
		}
		bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if !ok || key == "" {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if obj, err := backend.HeadObject(bucket, key); err == nil {
			if obj.Contents != nil {
				obj.Contents.Close()
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"

	"github.com/ideobus/ideobus/messages"
)

// PutIfAbsent writes body under key only if no object is there yet, with a
// conditional PutObject (If-None-Match: *), which R2 and S3 evaluate
// atomically. It reports whether this call created the object; a lost race
// returns created == false and no error.
func (s *Store) PutIfAbsent(ctx context.Context, key string, body []byte, contentType string) (asset messages.Asset, created bool, err error) {
	if key == "" {
		return messages.Asset{}, false, messages.Permanent(messages.CodeStorageFailed, "put: empty object key")
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
		CacheControl:  aws.String(s.cacheControl),
		IfNoneMatch:   aws.String("*"),
	})
	sum := sha256.Sum256(body)
	asset = messages.Asset{Key: key, URL: s.URL(key), Bytes: int64(len(body)), ContentType: contentType, SHA256: hex.EncodeToString(sum[:])}
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

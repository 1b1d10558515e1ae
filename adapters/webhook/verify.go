package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a message's timestamp may be from the receiver's
// clock, in either direction, before Verify rejects it as a replay.
const Tolerance = 5 * time.Minute

// Verify errors. Verify wraps none of them, so they compare with errors.Is.
var (
	ErrMissingHeaders      = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrInvalidTimestamp    = errors.New("webhook: webhook-timestamp is not Unix seconds")
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
	ErrTimestampTooOld     = errors.New("webhook: timestamp too old")
	ErrTimestampTooNew     = errors.New("webhook: timestamp too new")
)

// Verify checks that body and headers are a message signed with one of
// secrets (whsec_ form) and sent within Tolerance of now. It returns nil for
// an authentic, timely message. Pass the raw body as received: re-encoded
// JSON does not verify.
//
// Signatures are compared in constant time. Entries of webhook-signature
// with another version than v1 are ignored, as the specification asks. A
// stale or future timestamp is reported only for an otherwise valid
// signature, so the error tells an old genuine message from a forged one.
func Verify(secrets []string, headers http.Header, body []byte, now time.Time) error {
	keys, err := decodeSecrets(secrets)
	if err != nil {
		return err
	}
	id, rawTS, sigs := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || rawTS == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(rawTS, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	if !matches(keys, id, ts, body, sigs) {
		return ErrNoMatchingSignature
	}
	switch sent := time.Unix(ts, 0); {
	case now.Sub(sent) > Tolerance:
		return ErrTimestampTooOld
	case sent.Sub(now) > Tolerance:
		return ErrTimestampTooNew
	}
	return nil
}

// matches reports whether any v1 entry of the signature header is the MAC
// of the message under any key.
func matches(keys [][]byte, id string, ts int64, body []byte, header string) bool {
	want := make([][]byte, len(keys))
	for i, k := range keys {
		want[i] = mac(k, id, ts, body)
	}
	for _, entry := range strings.Fields(header) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		for _, w := range want {
			if hmac.Equal(got, w) {
				return true
			}
		}
	}
	return false
}

package webhook_test

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file is a second, deliberately naive implementation of the Standard
// Webhooks scheme, sharing no code with the package: HMAC is written out from
// RFC 2104 over crypto/sha256, so a mistake in how the package uses
// crypto/hmac, orders the signed content or encodes the result cannot hide
// behind a round trip through its own Verify.

// hmacSHA256 is RFC 2104: H((K' ^ opad) || H((K' ^ ipad) || m)), where K' is
// the key, hashed first if longer than the block, zero-padded to the block.
func hmacSHA256(key, msg []byte) []byte {
	const block = 64
	if len(key) > block {
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	padded := make([]byte, block)
	copy(padded, key)
	inner, outer := make([]byte, block), make([]byte, block)
	for i, b := range padded {
		inner[i] = b ^ 0x36
		outer[i] = b ^ 0x5c
	}
	innerSum := sha256.Sum256(append(inner, msg...))
	outerSum := sha256.Sum256(append(outer, innerSum[:]...))
	return outerSum[:]
}

// refSign signs as the specification describes: the base64 key after
// "whsec_", over "{id}.{timestamp}.{body}".
func refSign(secret, id string, ts int64, body string) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	content := id + "." + strconv.FormatInt(ts, 10) + "." + body
	return "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(content)))
}

// refVerify is a receiver written from the specification alone. It reports
// whether any v1 signature in the header matches secret.
func refVerify(secret string, h http.Header, body []byte, now time.Time) bool {
	id, rawTS := h.Get("webhook-id"), h.Get("webhook-timestamp")
	ts, err := strconv.ParseInt(rawTS, 10, 64)
	if id == "" || err != nil {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	want := refSign(secret, id, ts, string(body))
	for _, sig := range strings.Split(h.Get("webhook-signature"), " ") {
		if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1 {
			return true
		}
	}
	return false
}

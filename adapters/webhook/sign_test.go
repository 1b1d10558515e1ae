package webhook_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/adapters/webhook"
)

// The test vector published with the Standard Webhooks reference libraries.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecVector(t *testing.T) {
	// The naive implementation must reproduce the vector too, or it is no
	// witness for anything.
	if got := refSign(specSecret, specID, specTimestamp, specBody); got != specSignature {
		t.Fatalf("reference implementation: %s, want %s", got, specSignature)
	}
	for _, secret := range []string{specSecret, strings.TrimPrefix(specSecret, "whsec_")} {
		got, err := webhook.Sign(secret, specID, time.Unix(specTimestamp, 0), []byte(specBody))
		if err != nil || got != specSignature {
			t.Fatalf("Sign(%s…) = %q, %v; want %s", secret[:8], got, err, specSignature)
		}
	}
	h := http.Header{}
	h.Set("webhook-id", specID)
	h.Set("webhook-timestamp", fmt.Sprint(specTimestamp))
	h.Set("webhook-signature", specSignature)
	if err := webhook.Verify([]string{specSecret}, h, []byte(specBody), time.Unix(specTimestamp, 0)); err != nil {
		t.Fatalf("Verify of the spec vector: %v", err)
	}
}

// Sign agrees with the longhand implementation across key lengths
// (including keys longer than the SHA-256 block), IDs and bodies.
func TestSignMatchesIndependentImplementation(t *testing.T) {
	for _, keyLen := range []int{1, 24, 32, 63, 64, 65, 100} {
		key := make([]byte, keyLen)
		_, _ = rand.Read(key)
		secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
		for i, body := range []string{"", "{}", `{"a":"ü\n"}`, strings.Repeat("x", 5000)} {
			id := fmt.Sprintf("evt_%d_%d", keyLen, i)
			ts := int64(1700000000 + i)
			got, err := webhook.Sign(secret, id, time.Unix(ts, 999_000_000), []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if want := refSign(secret, id, ts, body); got != want {
				t.Fatalf("key %d bytes, body %d: Sign = %s, reference = %s", keyLen, i, got, want)
			}
		}
	}
}

func TestSignatureHeaderRotation(t *testing.T) {
	oldSecret, _ := webhook.NewSecret()
	newSecret, _ := webhook.NewSecret()
	ts := time.Unix(1700000000, 0)
	body := []byte(`{"id":"r1"}`)
	v, err := webhook.SignatureHeader([]string{newSecret, oldSecret}, "evt_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	want := refSign(newSecret, "evt_1", ts.Unix(), string(body)) + " " + refSign(oldSecret, "evt_1", ts.Unix(), string(body))
	if v != want {
		t.Fatalf("header = %q, want %q", v, want)
	}
}

func TestInvalidSecrets(t *testing.T) {
	for _, s := range []string{"", "whsec_", "whsec_not base64!", "whsec_AAA"} {
		if _, err := webhook.Sign(s, "id", time.Now(), nil); !errors.Is(err, webhook.ErrInvalidSecret) {
			t.Errorf("Sign with %q: %v, want ErrInvalidSecret", s, err)
		}
	}
	if _, err := webhook.SignatureHeader(nil, "id", time.Now(), nil); !errors.Is(err, webhook.ErrInvalidSecret) {
		t.Errorf("no secrets: %v", err)
	}
	if _, err := webhook.Sign(specSecret, "", time.Now(), nil); err == nil {
		t.Error("Sign accepted an empty message ID")
	}
}

func TestNewSecret(t *testing.T) {
	a, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := webhook.NewSecret()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if !strings.HasPrefix(a, "whsec_") || err != nil || len(key) != 32 || a == b {
		t.Fatalf("NewSecret = %q (%d-byte key, %v)", a, len(key), err)
	}
}

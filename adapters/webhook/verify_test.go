package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ideobus/ideobus/adapters/webhook"
)

func TestVerify(t *testing.T) {
	oldSecret, _ := webhook.NewSecret()
	newSecret, _ := webhook.NewSecret()
	sent := time.Unix(1700000000, 0)
	body := []byte(`{"specversion":"1.0","id":"evt_1"}`)

	// signed returns headers signed by the reference implementation.
	signed := func(ts time.Time, secrets ...string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", "evt_1")
		h.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
		sig := ""
		for i, s := range secrets {
			if i > 0 {
				sig += " "
			}
			sig += refSign(s, "evt_1", ts.Unix(), string(body))
		}
		h.Set("webhook-signature", sig)
		return h
	}
	with := func(h http.Header, key, value string) http.Header {
		h = h.Clone()
		if value == "" {
			h.Del(key)
		} else {
			h.Set(key, value)
		}
		return h
	}
	valid := signed(sent, newSecret)

	for _, tc := range []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		now     time.Time
		want    error
	}{
		{"valid", []string{newSecret}, valid, body, sent, nil},
		{"tampered body", []string{newSecret}, valid, []byte(`{"specversion":"1.0","id":"evt_2"}`), sent, webhook.ErrNoMatchingSignature},
		{"wrong secret", []string{oldSecret}, valid, body, sent, webhook.ErrNoMatchingSignature},
		{"other id", []string{newSecret}, with(valid, "webhook-id", "evt_2"), body, sent, webhook.ErrNoMatchingSignature},
		{"shifted timestamp", []string{newSecret}, with(valid, "webhook-timestamp", "1700000001"), body, sent, webhook.ErrNoMatchingSignature},
		{"4m59s old", []string{newSecret}, valid, body, sent.Add(4*time.Minute + 59*time.Second), nil},
		{"exactly 5m old", []string{newSecret}, valid, body, sent.Add(5 * time.Minute), nil},
		{"5m1s old", []string{newSecret}, valid, body, sent.Add(5*time.Minute + time.Second), webhook.ErrTimestampTooOld},
		{"exactly 5m ahead", []string{newSecret}, valid, body, sent.Add(-5 * time.Minute), nil},
		{"5m1s ahead", []string{newSecret}, valid, body, sent.Add(-5*time.Minute - time.Second), webhook.ErrTimestampTooNew},
		{"rotation: both signed, receiver has new", []string{newSecret}, signed(sent, newSecret, oldSecret), body, sent, nil},
		{"rotation: both signed, receiver has old", []string{oldSecret}, signed(sent, newSecret, oldSecret), body, sent, nil},
		{"rotation: old signed, receiver has both", []string{newSecret, oldSecret}, signed(sent, oldSecret), body, sent, nil},
		{"other versions ignored", []string{newSecret}, with(valid, "webhook-signature", "v2,AAAA v1a,x garbage "+valid.Get("webhook-signature")), body, sent, nil},
		{"v1 required", []string{newSecret}, with(valid, "webhook-signature", "v2,"+valid.Get("webhook-signature")[3:]), body, sent, webhook.ErrNoMatchingSignature},
		{"missing id", []string{newSecret}, with(valid, "webhook-id", ""), body, sent, webhook.ErrMissingHeaders},
		{"missing timestamp", []string{newSecret}, with(valid, "webhook-timestamp", ""), body, sent, webhook.ErrMissingHeaders},
		{"missing signature", []string{newSecret}, with(valid, "webhook-signature", ""), body, sent, webhook.ErrMissingHeaders},
		{"bad timestamp", []string{newSecret}, with(valid, "webhook-timestamp", "2023-11-14T22:13:20Z"), body, sent, webhook.ErrInvalidTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := webhook.Verify(tc.secrets, tc.header, tc.body, tc.now)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}

	if err := webhook.Verify([]string{"whsec_!!"}, valid, body, sent); !errors.Is(err, webhook.ErrInvalidSecret) {
		t.Fatalf("bad secret: %v, want ErrInvalidSecret", err)
	}
	if err := webhook.Verify(nil, valid, body, sent); !errors.Is(err, webhook.ErrInvalidSecret) {
		t.Fatalf("no secrets: %v, want ErrInvalidSecret", err)
	}
}

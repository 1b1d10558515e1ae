package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/ideobus/ideobus/adapters/webhook"
)

// Signing a message and verifying it as a receiver would, with the test
// vector of the Standard Webhooks specification.
func Example() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	id, sent := "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)

	sig, err := webhook.Sign(secret, id, sent, body)
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)

	h := http.Header{}
	h.Set(webhook.HeaderID, id)
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	fmt.Println("a minute later:", webhook.Verify([]string{secret}, h, body, sent.Add(time.Minute)))
	fmt.Println("tampered:", webhook.Verify([]string{secret}, h, []byte(`{"test": 1}`), sent))
	fmt.Println("replayed:", webhook.Verify([]string{secret}, h, body, sent.Add(time.Hour)))
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// a minute later: <nil>
	// tampered: webhook: no matching signature
	// replayed: webhook: timestamp too old
}

// A receiver's handler: verify the raw body before trusting it. During a
// rotation it lists both secrets.
func ExampleVerify() {
	secrets := []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
	now := func() time.Time { return time.Unix(1614265400, 0) } // time.Now in a real receiver

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secrets, r.Header, body, now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent) // then handle the event, deduplicating on webhook-id
	})

	req := httptest.NewRequest(http.MethodPost, "/hooks/ideobus", strings.NewReader(`{"test": 2432232314}`))
	req.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	req.Header.Set("webhook-timestamp", "1614265330")
	req.Header.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output: 204
}

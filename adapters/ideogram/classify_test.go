package ideogram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// TestErrorTable drives every error class of the table in doc.go through
// the client: an API that always answers the same way, then the code,
// retryability, attempts, billing uncertainty and waits that come out.
func TestErrorTable(t *testing.T) {
	const maxAttempts = 3
	type answer struct {
		status int
		body   string
		header map[string]string
	}
	tests := []struct {
		name        string
		answer      answer
		code        messages.Code
		retryable   bool
		maybeBilled bool
		waits       []time.Duration // nil: backoff waits, not checked
	}{
		{name: "400", answer: answer{400, `{"error":"Invalid input: num_images: must be between 1 and 8"}`, nil}, code: messages.CodeInvalidRequest},
		{name: "401", answer: answer{401, `{"error":"Unauthorized"}`, nil}, code: messages.CodeUnauthorized},
		{name: "402 insufficient_funds", answer: answer{402, `{"error":"No credits","reject_reason":"insufficient_funds"}`, nil}, code: messages.CodeInsufficientFunds},
		{name: "402 without reason", answer: answer{402, `{"error":"Payment required"}`, nil}, code: messages.CodeInsufficientFunds},
		{name: "402 daily_limit", answer: answer{402, `{"error":"Daily limit","reject_reason":"daily_limit"}`, nil}, code: CodeDailyLimit},
		{name: "403", answer: answer{403, `{"error":"Forbidden"}`, nil}, code: messages.CodeForbidden},
		{name: "404 wrong base URL", answer: answer{404, `Not Found`, nil}, code: messages.CodeInternal},
		{name: "413", answer: answer{413, `{"error":"too large"}`, nil}, code: messages.CodeImageTooLarge},
		{name: "415", answer: answer{415, `{"error":"unsupported"}`, nil}, code: messages.CodeInvalidImage},
		{name: "422 safety", answer: answer{422, `{"error":"Prompt or provided image failed the safety checks"}`, nil}, code: messages.CodeContentFiltered},
		{name: "422 schema", answer: answer{422, `{"detail":[{"loc":["body","prompt"],"msg":"field required"}]}`, nil}, code: messages.CodeInvalidRequest},
		{name: "429 inflight_limit with Retry-After", answer: answer{429, `{"error":"Too many","reject_reason":"inflight_limit"}`, map[string]string{"Retry-After": "2"}},
			code: messages.CodeRateLimited, retryable: true, waits: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "429 without Retry-After", answer: answer{429, `{"error":"Too many","reject_reason":"inflight_limit"}`, nil}, code: messages.CodeRateLimited, retryable: true},
		{name: "408", answer: answer{408, ``, nil}, code: messages.CodeTimeout, retryable: true},
		{name: "500", answer: answer{500, `{"error":"Internal server error"}`, nil}, code: messages.CodeUpstreamUnavailable, retryable: true},
		{name: "502 gateway", answer: answer{502, `<html>bad gateway</html>`, nil}, code: messages.CodeUpstreamUnavailable, retryable: true, maybeBilled: true},
		{name: "503 with Retry-After", answer: answer{503, `{"error":"unavailable"}`, map[string]string{"Retry-After": "1"}},
			code: messages.CodeUpstreamUnavailable, retryable: true, waits: []time.Duration{time.Second, time.Second}},
		{name: "504 gateway timeout", answer: answer{504, ``, nil}, code: messages.CodeTimeout, retryable: true, maybeBilled: true},
		{name: "200 unreadable", answer: answer{200, `<html>gateway</html>`, nil}, code: messages.CodeUpstreamUnavailable, retryable: true, maybeBilled: true},
		{name: "200 without images", answer: answer{200, `{"created":"now","data":[]}`, nil}, code: messages.CodeUpstreamUnavailable, retryable: true, maybeBilled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				io.Copy(io.Discard, r.Body)
				for k, v := range tt.answer.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.answer.status)
				io.WriteString(w, tt.answer.body)
			}))
			defer srv.Close()
			c, w := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = maxAttempts })
			_, err := c.Generate(context.Background(), gen("x"), handlers.Inputs{})
			attempts := 1
			if tt.retryable {
				attempts = maxAttempts
			}
			classified(t, err, tt.code, tt.retryable, attempts)
			if MaybeBilled(err) != tt.maybeBilled {
				t.Errorf("MaybeBilled = %v, want %v (%v)", MaybeBilled(err), tt.maybeBilled, err)
			}
			if int(calls.Load()) != attempts {
				t.Errorf("API called %d times, want %d", calls.Load(), attempts)
			}
			if tt.waits != nil && !reflect.DeepEqual(w.all(), tt.waits) {
				t.Errorf("waits %v, want %v", w.all(), tt.waits)
			}
		})
	}
}

// TestTransportErrorsAndBilling: a call that never left is not billed; one
// that left and lost its answer may have been.
func TestTransportErrorsAndBilling(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close()
		c, _ := newTestClient(t, base, func(cfg *Config) { cfg.MaxAttempts = 2 })
		_, err := c.Generate(context.Background(), gen("x"), handlers.Inputs{})
		classified(t, err, messages.CodeUpstreamUnavailable, true, 2)
		if MaybeBilled(err) {
			t.Errorf("a request that never left is reported as maybe billed")
		}
	})
	t.Run("connection reset after the request", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		defer srv.Close()
		c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 2 })
		_, err := c.Generate(context.Background(), gen("x"), handlers.Inputs{})
		classified(t, err, messages.CodeUpstreamUnavailable, true, 2)
		if !MaybeBilled(err) {
			t.Errorf("a lost answer is not reported as maybe billed: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		_, srv := startSim(t, SimOptions{})
		var billedRetries int
		c, _ := newTestClient(t, srv.URL, func(cfg *Config) {
			cfg.MaxAttempts = 2
			cfg.Timeout = 20 * time.Millisecond
			cfg.OnRetry = func(e RetryEvent) {
				if e.MaybeBilled {
					billedRetries++
				}
			}
		})
		_, err := c.Generate(context.Background(), gen("slow [sim:timeout]"), handlers.Inputs{})
		classified(t, err, messages.CodeTimeout, true, 2)
		if !MaybeBilled(err) || billedRetries != 1 {
			t.Errorf("MaybeBilled %v, billed retries %d: %v", MaybeBilled(err), billedRetries, err)
		}
	})
	t.Run("caller gives up mid-call", func(t *testing.T) {
		sim, srv := startSim(t, SimOptions{})
		c, _ := newTestClient(t, srv.URL, nil)
		ctx, cancel := context.WithCancel(context.Background())
		prompt := "stuck [sim:timeout]"
		go func() {
			for sim.PromptCalls(prompt) == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := c.Generate(ctx, gen(prompt), handlers.Inputs{})
		classified(t, err, messages.CodeTimeout, true, 1)
		if !MaybeBilled(err) {
			t.Errorf("a call abandoned in flight is not reported as maybe billed: %v", err)
		}
	})
}

// TestDailyLimitTrigger: [sim:402-daily] reaches the client as the
// non-retryable daily_limit.
func TestDailyLimitTrigger(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	_, err := c.Generate(context.Background(), gen("spent [sim:402-daily]"), handlers.Inputs{})
	classified(t, err, CodeDailyLimit, false, 1)
	_, err = c.Generate(context.Background(), gen("broke [sim:402]"), handlers.Inputs{})
	classified(t, err, messages.CodeInsufficientFunds, false, 1)
}

// TestMaybeBilledThroughAnInterface: the stage, which cannot import this
// package, sees the flag through a one-method interface.
func TestMaybeBilledThroughAnInterface(t *testing.T) {
	var err error = fmt.Errorf("stage: %w", &AttemptsError{Err: messages.Permanent(messages.CodeTimeout, "x"), Attempts: 2, MaybeBilled: true})
	var b interface{ MayHaveBeenBilled() bool }
	if !errors.As(err, &b) || !b.MayHaveBeenBilled() || !MaybeBilled(err) {
		t.Error("MaybeBilled not visible through the interface")
	}
	if !strings.Contains(err.Error(), "may have been billed") {
		t.Errorf("error text %q does not say so", err)
	}
}

package ideogram

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ideobus/ideobus/messages"
)

const testKey = "test-key-0123456789"

// startSim serves a simulator over a real socket for the test's duration.
func startSim(t *testing.T, opts SimOptions) (*Simulator, *httptest.Server) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	sim := NewSimulator(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close() // releases [sim:timeout] handlers before the server waits for them
		srv.Close()
	})
	return sim, srv
}

// waits records the backoff waits the client computed, without waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// newTestClient returns a client for baseURL with tiny backoff intervals and
// recorded waits; edit adjusts the config further.
func newTestClient(t *testing.T, baseURL string, edit func(*Config)) (*Client, *waits) {
	t.Helper()
	w := &waits{}
	cfg := SimulatorConfig(baseURL, testKey)
	cfg.InitialInterval = time.Millisecond
	cfg.MaxInterval = 5 * time.Millisecond
	cfg.Sleep = w.sleep
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, w
}

// classified asserts err is a classified error with the given properties.
func classified(t *testing.T, err error, code messages.Code, retryable bool, attempts int) *messages.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var e *messages.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) does not unwrap to *messages.Error", err, err)
	}
	if e.Code != code || e.Retryable != retryable {
		t.Errorf("got code %s retryable %v, want %s retryable %v (%v)", e.Code, e.Retryable, code, retryable, err)
	}
	if got := Attempts(err); got != attempts {
		t.Errorf("got %d attempts, want %d (%v)", got, attempts, err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// clock is a settable time source for the simulator.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

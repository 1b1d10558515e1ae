package ideogram

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Routes counted by Simulator.Calls.
const (
	RouteGenerate = "generate" // POST /generate
	RouteImage    = "image"    // GET /images/ephemeral/{id}.png
)

// renderCacheEntries bounds the render cache: at 3-4 MB per image, enough
// for a test's working set without holding hundreds of megabytes.
const renderCacheEntries = 16

// SimOptions configures a Simulator. The zero value is a working simulator
// without authentication, latency or faults.
type SimOptions struct {
	// APIKey, when set, is required in the Api-Key header (401 otherwise).
	APIKey string
	// Latency delays every generate answer, like a real render would.
	Latency time.Duration
	// URLTTL is how long image URLs stay valid (default 1h).
	URLTTL time.Duration
	// PublicBaseURL is the root of the image URLs handed out. By default it
	// is the address given by Start, else derived from each request's Host.
	PublicBaseURL string
	// Now is the simulator's clock (default time.Now); tests move it to
	// expire URLs.
	Now func() time.Time
	// FaultRate429 and FaultRate5xx are the probabilities (0..1) that a
	// generate call answers 429 or 503 at random, drawn from a generator
	// seeded with Seed so a run can be replayed.
	FaultRate429 float64
	FaultRate5xx float64
	Seed         uint64
	// MaxHang bounds how long a [sim:timeout] call hangs (default 2m).
	MaxHang time.Duration
}

// Simulator is an Ideogram-compatible HTTP server: the same POST /generate
// request and response JSON and error bodies, with real PNG images behind
// expiring signed URLs. Use it as an http.Handler (httptest.NewServer) or
// start it on a listener with Start. It is safe for concurrent use.
type Simulator struct {
	opts   SimOptions
	mux    *http.ServeMux
	key    []byte // signs image URLs
	closed chan struct{}

	mu          sync.Mutex
	rng         *mrand.Rand
	calls       map[string]int
	promptCalls map[string]int
	images      map[string]imageSpec
	srv         *http.Server
	startedURL  string
	closeOnce   sync.Once

	renders renderCache
}

// NewSimulator returns a simulator configured by opts.
func NewSimulator(opts SimOptions) *Simulator {
	if opts.URLTTL <= 0 {
		opts.URLTTL = time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxHang <= 0 {
		opts.MaxHang = 2 * time.Minute
	}
	opts.PublicBaseURL = strings.TrimRight(opts.PublicBaseURL, "/")
	s := &Simulator{
		opts:        opts,
		mux:         http.NewServeMux(),
		key:         make([]byte, 32),
		closed:      make(chan struct{}),
		rng:         mrand.New(mrand.NewPCG(opts.Seed, opts.Seed^0x5eed)),
		calls:       map[string]int{},
		promptCalls: map[string]int{},
		images:      map[string]imageSpec{},
		renders:     renderCache{max: renderCacheEntries},
	}
	rand.Read(s.key) // never fails (crypto/rand panics instead)
	s.mux.HandleFunc("POST /generate", s.handleGenerate)
	s.mux.HandleFunc("GET /images/ephemeral/{file}", s.handleImage)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Start serves the simulator on addr ("127.0.0.1:0" when empty) and returns
// its base URL, to be used as Config.BaseURL.
func (s *Simulator) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("ideogram simulator: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		ln.Close()
		return "", errors.New("ideogram simulator: already started")
	}
	s.srv, s.startedURL = srv, base
	s.mu.Unlock()
	go srv.Serve(ln) // returns ErrServerClosed on Close
	return base, nil
}

// Close releases hanging calls and stops the server started by Start.
func (s *Simulator) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return srv.Close()
	}
	return nil
}

// Calls reports how many requests a route (RouteGenerate, RouteImage) got,
// failed ones included.
func (s *Simulator) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// GenerateCalls reports how many generate requests arrived: the number of
// times a real deployment would have been billed, at most.
func (s *Simulator) GenerateCalls() int { return s.Calls(RouteGenerate) }

// PromptCalls reports how many generate requests carried exactly prompt.
func (s *Simulator) PromptCalls(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.promptCalls[prompt]
}

func (s *Simulator) count(route string) {
	s.mu.Lock()
	s.calls[route]++
	s.mu.Unlock()
}

// publicBase is the root of image URLs for a request.
func (s *Simulator) publicBase(r *http.Request) string {
	if s.opts.PublicBaseURL != "" {
		return s.opts.PublicBaseURL
	}
	s.mu.Lock()
	started := s.startedURL
	s.mu.Unlock()
	if started != "" {
		return started
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// wait sleeps d unless the request or the simulator ends first.
func (s *Simulator) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closed:
	}
	return false
}

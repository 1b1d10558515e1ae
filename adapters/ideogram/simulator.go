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

// renderCacheEntries bounds the render cache: at 3-4 MB per image, enough
// for a test's working set without holding hundreds of megabytes.
const renderCacheEntries = 16

// SimOptions configures a Simulator. The zero value is a working simulator
// without authentication, latency, faults or in-flight limit.
type SimOptions struct {
	// APIKey, when set, is required in the Api-Key header (401 otherwise).
	APIKey string
	// Latency delays every API answer (all routes but image downloads), like
	// a real render would. LatencyJitter spreads it uniformly over
	// [Latency-LatencyJitter, Latency+LatencyJitter] (never below zero),
	// drawn from the generator seeded with Seed.
	Latency       time.Duration
	LatencyJitter time.Duration
	// InflightLimit is how many images may be in flight (accepted and not
	// yet answered) at once, like Ideogram's per-organisation limit (10 by
	// default there). A call whose num_images would exceed it answers 429
	// with reject_reason inflight_limit. 0 means unlimited.
	InflightLimit int
	// MaxUploadBytes caps each uploaded image or mask (default
	// MaxUploadBytes, 10 MB); a larger file answers 400.
	MaxUploadBytes int64
	// URLTTL is how long image URLs stay valid (default 1h).
	URLTTL time.Duration
	// PublicBaseURL is the root of the image URLs handed out. By default it
	// is the address given by Start, else derived from each request's Host.
	PublicBaseURL string
	// Now is the simulator's clock (default time.Now); tests move it to
	// expire URLs.
	Now func() time.Time
	// FaultRate429 and FaultRate5xx are the probabilities (0..1) that an API
	// call answers 429 (reject_reason inflight_limit) or 503 at random,
	// drawn from a generator seeded with Seed so a run can be replayed.
	FaultRate429 float64
	FaultRate5xx float64
	Seed         uint64
	// MaxHang bounds how long a [sim:timeout] call hangs (default 2m).
	MaxHang time.Duration
}

// Simulator is an Ideogram-compatible HTTP server: the same routes,
// request parsing (JSON and multipart), response and error bodies, with real
// PNG images behind expiring signed URLs. Use it as an http.Handler
// (httptest.NewServer) or start it on a listener with Start. It is safe for
// concurrent use.
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
	uploads     map[string]*storedUpload
	inflight    int // images accepted and not yet answered
	maxInflight int
	rejected    int // calls refused for the in-flight limit
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
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = MaxUploadBytes
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
		uploads:     map[string]*storedUpload{},
		renders:     renderCache{max: renderCacheEntries},
	}
	rand.Read(s.key) // never fails (crypto/rand panics instead)
	for _, rt := range routeTable {
		s.mux.Handle("POST "+rt.path, s.serve(rt))
	}
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

// Calls reports how many requests a route (a Route constant) got, failed
// and refused ones included.
func (s *Simulator) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// GenerateCalls reports how many API requests arrived on every route but
// image downloads, i.e. every call the generate stage makes whatever the
// operation: the number of times a real deployment would have been billed,
// at most.
func (s *Simulator) GenerateCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for route, c := range s.calls {
		if route != RouteImage {
			n += c
		}
	}
	return n
}

// PromptCalls reports how many API requests carried exactly prompt.
func (s *Simulator) PromptCalls(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.promptCalls[prompt]
}

// Inflight reports how many images are in flight now.
func (s *Simulator) Inflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// MaxInflight reports the most images that were ever in flight at once:
// with a client that budgets its in-flight images, it never exceeds the
// budget.
func (s *Simulator) MaxInflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight
}

// InflightRejections reports how many calls were refused with 429
// inflight_limit because of SimOptions.InflightLimit (random 429 faults
// and triggers not included).
func (s *Simulator) InflightRejections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

func (s *Simulator) count(route string) {
	s.mu.Lock()
	s.calls[route]++
	s.mu.Unlock()
}

// acquire admits n more images in flight, or reports that the limit would
// be exceeded. A call whose num_images alone exceeds the limit can never
// be admitted, as with the real API.
func (s *Simulator) acquire(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lim := s.opts.InflightLimit; lim > 0 && s.inflight+n > lim {
		s.rejected++
		return false
	}
	s.inflight += n
	s.maxInflight = max(s.maxInflight, s.inflight)
	return true
}

func (s *Simulator) release(n int) {
	s.mu.Lock()
	s.inflight -= n
	s.mu.Unlock()
}

// latency draws one call's latency. The caller holds s.mu (for the rng).
func (s *Simulator) latency() time.Duration {
	d := s.opts.Latency
	if j := s.opts.LatencyJitter; j > 0 {
		d += time.Duration((s.rng.Float64()*2 - 1) * float64(j))
	}
	return max(d, 0)
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

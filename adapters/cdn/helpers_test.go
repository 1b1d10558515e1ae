package cdn_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ideobus/ideobus/adapters/cdn"
)

// origin is a tiny mutable file server standing in for R2's public bucket.
type origin struct {
	*httptest.Server
	mu      sync.Mutex
	objects map[string]string
	hits    map[string]int
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{objects: map[string]string{}, hits: map[string]int{}}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		body, ok := o.objects[r.URL.Path]
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) set(path, body string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.objects[path] = body
}

func (o *origin) hitCount(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

// startCDN runs a LocalCDN in front of a fresh origin (whose base URL has a
// bucket-like path, as the storage LocalServer's does).
func startCDN(t *testing.T) (*cdn.LocalCDN, *origin) {
	t.Helper()
	o := newOrigin(t)
	l, err := cdn.NewLocalCDN(cdn.LocalCDNOptions{Origin: o.URL + "/bucket"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, o
}

// newClient returns a Client for l with retries fast enough for tests.
func newClient(t *testing.T, cfg cdn.Config) *cdn.Client {
	t.Helper()
	cfg.RetryInitialInterval = time.Millisecond
	c, err := cdn.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get fetches url and returns its body and cache status.
func get(t *testing.T, url string) (string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", url, resp.StatusCode, body)
	}
	return string(body), resp.Header.Get(cdn.CacheStatusHeader)
}

package storage_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/ideobus/ideobus/adapters/storage"
)

const testBucket = "ideobus-test"

// startLocal runs a LocalServer in a temporary folder and a Store with its
// bucket created.
func startLocal(t *testing.T) (*storage.LocalServer, *storage.Store) {
	t.Helper()
	srv, err := storage.NewLocalServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, newStore(t, srv.Config(testBucket))
}

func newStore(t *testing.T, cfg storage.Config) *storage.Store {
	t.Helper()
	cfg.MaxAttempts = 1 // the tests look at single attempts
	st, err := storage.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// recordedRequest is what the wire saw of one request.
type recordedRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
}

// proxy sits between the client and the server on a real socket: it records
// every request and can answer the next ones with a canned S3 error.
type proxy struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recordedRequest
	faults   []fault
}

type fault struct {
	status int
	code   string
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests = append(p.requests, recordedRequest{r.Method, r.URL.Path, r.URL.Query(), r.Header.Clone()})
		var f *fault
		if len(p.faults) > 0 {
			f = &p.faults[0]
			p.faults = p.faults[1:]
		}
		p.mu.Unlock()
		if f != nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(f.status)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + f.code + `</Code><Message>injected</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) failNext(status int, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, fault{status, code})
}

func (p *proxy) recorded() []recordedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]recordedRequest(nil), p.requests...)
}

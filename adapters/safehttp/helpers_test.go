package safehttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// server is an httptest server on loopback that counts the requests it
// answers, so a test can tell "refused" from "reached and failed".
type server struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// hostPort is the server's "127.0.0.1:port", for host:port allow-list entries.
func (s *server) hostPort() string { return strings.TrimPrefix(s.URL, "http://") }

// port is the server's port.
func (s *server) port() string {
	_, p, _ := net.SplitHostPort(s.hostPort())
	return p
}

// hostsResolver answers from a fixed table, so no test needs real DNS.
func hostsResolver(table map[string][]string) ResolverFunc {
	return func(_ context.Context, host string) ([]net.IPAddr, error) {
		var out []net.IPAddr
		for _, s := range table[host] {
			out = append(out, net.IPAddr{IP: net.ParseIP(s)})
		}
		if out == nil {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

func newClient(t *testing.T, p Policy) *http.Client {
	t.Helper()
	c, err := NewClient(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// get fetches url and returns the body, or the error of the request or read.
func get(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// mustRefuse asserts err is a *RefusedError whose reason contains want.
func mustRefuse(t *testing.T, err error, want string) *RefusedError {
	t.Helper()
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("err = %v, want a *RefusedError", err)
	}
	if !strings.Contains(refused.Reason, want) {
		t.Fatalf("reason = %q, want it to contain %q", refused.Reason, want)
	}
	return refused
}

func hello(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }

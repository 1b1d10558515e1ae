package safehttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAllowListReachesLoopback(t *testing.T) {
	srv := newServer(t, hello)
	for name, p := range map[string]Policy{
		"ip":        {Allow: []string{"127.0.0.1"}},
		"host:port": {Allow: []string{srv.hostPort()}},
		"cidr":      {Allow: []string{"127.0.0.0/8"}},
	} {
		t.Run(name, func(t *testing.T) {
			status, body, err := get(newClient(t, p), srv.URL+"/x")
			if err != nil || status != 200 || body != "hello" {
				t.Fatalf("got %d %q %v, want 200 hello", status, body, err)
			}
		})
	}
}

// An allow-listed name is dialled at the address our resolver gave, not
// handed to the system resolver (which knows nothing of .test names).
func TestDialsTheResolvedAddress(t *testing.T) {
	srv := newServer(t, hello)
	c := newClient(t, Policy{
		Allow:    []string{"hooks.example.test"},
		Resolver: hostsResolver(map[string][]string{"hooks.example.test": {"127.0.0.1"}}),
	})
	status, body, err := get(c, "http://hooks.example.test:"+srv.port()+"/")
	if err != nil || status != 200 || body != "hello" {
		t.Fatalf("got %d %q %v, want 200 hello", status, body, err)
	}
}

func TestLoopbackRefusedWithoutAllowList(t *testing.T) {
	srv := newServer(t, hello)
	resolver := hostsResolver(map[string][]string{
		"localhost.test": {"127.0.0.1"},
		"mixed.test":     {"8.8.8.8", "10.0.0.5"},
		"mapped.test":    {"::ffff:127.0.0.1"},
		"metadata.test":  {"169.254.169.254"},
	})
	for _, tc := range []struct {
		name   string
		policy Policy
		url    string
		want   string
	}{
		{"https only", Policy{}, srv.URL, "plain http is not allowed"},
		{"other scheme", Policy{}, "file:///etc/passwd", `scheme "file" is not allowed`},
		{"ip literal", Policy{AllowHTTP: true}, srv.URL, "127.0.0.1 is a loopback address"},
		{"ipv6 literal", Policy{AllowHTTP: true}, "http://[::1]:" + srv.port(), "::1 is a loopback address"},
		{"metadata literal", Policy{}, "https://169.254.169.254/latest/meta-data/", "the cloud metadata address"},
		{"name", Policy{AllowHTTP: true, Resolver: resolver}, "http://localhost.test:" + srv.port(), "resolves to 127.0.0.1, a loopback address"},
		{"mixed answers", Policy{Resolver: resolver}, "https://mixed.test/", "resolves to 10.0.0.5, a private address"},
		{"mapped answer", Policy{AllowHTTP: true, Resolver: resolver}, "http://mapped.test:" + srv.port(), "resolves to 127.0.0.1, a loopback address"},
		{"metadata name", Policy{Resolver: resolver}, "https://metadata.test/", "resolves to 169.254.169.254, the cloud metadata address"},
		{"other port of allowed host", Policy{AllowHTTP: true, Allow: []string{"127.0.0.1:1"}}, srv.URL, "loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := get(newClient(t, tc.policy), tc.url)
			refused := mustRefuse(t, err, tc.want)
			if refused.URL == "" {
				t.Errorf("the refusal does not name the URL: %v", refused)
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("the server answered %d requests, want none", n)
	}
}

// DNS rebinding: the name resolves to a public address when the URL is
// validated and to loopback when the request is made. The dial-time check
// sees the second answer.
func TestDNSRebindingRefused(t *testing.T) {
	srv := newServer(t, hello)
	var lookups atomic.Int32
	p := Policy{
		AllowHTTP: true,
		Resolver: ResolverFunc(func(_ context.Context, host string) ([]net.IPAddr, error) {
			if lookups.Add(1) == 1 {
				return []net.IPAddr{{IP: net.ParseIP("93.184.216.34")}}, nil
			}
			return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
		}),
	}
	url := "http://rebind.test:" + srv.port() + "/"
	if err := p.Check(context.Background(), url); err != nil {
		t.Fatalf("Check on the first (public) answer: %v", err)
	}
	_, _, err := get(newClient(t, p), url)
	mustRefuse(t, err, "resolves to 127.0.0.1, a loopback address")
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("the server answered %d requests, want none", n)
	}
	if n := lookups.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2 (one per check, none behind our back)", n)
	}
}

func TestCheck(t *testing.T) {
	p := Policy{Resolver: hostsResolver(map[string][]string{"public.test": {"8.8.8.8"}, "private.test": {"192.168.0.10"}})}
	ctx := context.Background()
	if err := p.Check(ctx, "https://public.test/hook?token=secret"); err != nil {
		t.Fatalf("public: %v", err)
	}
	err := p.Check(ctx, "https://user:pw@private.test/hook?token=secret")
	refused := mustRefuse(t, err, "resolves to 192.168.0.10, a private address")
	if strings.Contains(refused.Error(), "secret") || strings.Contains(refused.Error(), "pw") {
		t.Fatalf("the error leaks the URL's credentials: %v", refused)
	}
	mustRefuse(t, p.Check(ctx, "http://public.test/"), "plain http")
	mustRefuse(t, p.Check(ctx, "https:///nohost"), "no host")
	mustRefuse(t, p.Check(ctx, "::not a url"), "not a valid URL")
	var dnsErr *net.DNSError
	if err := p.Check(ctx, "https://unknown.test/"); !errors.As(err, &dnsErr) {
		t.Fatalf("unknown host: %v, want a *net.DNSError", err)
	}
}

func TestRedirects(t *testing.T) {
	other := newServer(t, hello)
	var srv *server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/loopback":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case "/internal":
			http.Redirect(w, r, "http://internal.test:"+other.port()+"/", http.StatusTemporaryRedirect)
		case "/local":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/forever":
			http.Redirect(w, r, "/forever", http.StatusFound)
		default:
			hello(w, r)
		}
	})
	p := Policy{
		AllowHTTP:    true,
		Allow:        []string{srv.hostPort()}, // only this server, not other
		MaxRedirects: 3,
		Resolver:     hostsResolver(map[string][]string{"internal.test": {"10.0.0.5"}}),
	}
	c := newClient(t, p)
	for path, want := range map[string]string{
		"/metadata": "169.254.169.254 is the cloud metadata address",
		"/loopback": "127.0.0.1 is a loopback address",
		"/internal": "resolves to 10.0.0.5, a private address",
	} {
		_, _, err := get(c, srv.URL+path)
		mustRefuse(t, err, want)
	}
	if n := other.hits.Load(); n != 0 {
		t.Fatalf("a redirect reached the refused server %d times", n)
	}

	if status, body, err := get(c, srv.URL+"/local"); err != nil || status != 200 || body != "hello" {
		t.Fatalf("allowed redirect: %d %q %v", status, body, err)
	}
	if _, _, err := get(c, srv.URL+"/forever"); !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("redirect loop: %v, want ErrTooManyRedirects", err)
	}

	p.MaxRedirects = 0
	status, _, err := get(newClient(t, p), srv.URL+"/metadata")
	if err != nil || status != http.StatusFound {
		t.Fatalf("MaxRedirects 0: %d %v, want the 302 itself", status, err)
	}
}

func TestBodyCap(t *testing.T) {
	const limit = 1000
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := limit
		if r.URL.Query().Has("big") {
			n++
		}
		if r.URL.Query().Has("chunked") {
			// Flushing before writing drops Content-Length: the cap must
			// hold while streaming, not only on the declared length.
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write([]byte(strings.Repeat("x", n)))
	})
	c := newClient(t, Policy{Allow: []string{"127.0.0.1"}, MaxBodyBytes: limit})
	for _, q := range []string{"", "chunked"} {
		_, body, err := get(c, srv.URL+"/?"+q)
		if err != nil || len(body) != limit {
			t.Fatalf("%q at the limit: %d bytes, %v", q, len(body), err)
		}
		_, body, err = get(c, srv.URL+"/?big&"+q)
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("%q over the limit: %d bytes, %v; want ErrBodyTooLarge", q, len(body), err)
		}
		if len(body) > limit {
			t.Fatalf("%q: read %d bytes past a %d-byte cap", q, len(body), limit)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c := newClient(t, Policy{Allow: []string{"127.0.0.1"}, Timeout: 50 * time.Millisecond})
	_, _, err := get(c, srv.URL)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
}

// Environment proxies are ignored: through one, the dial-time check would
// judge the proxy's address instead of the target's.
func TestNoProxy(t *testing.T) {
	c := newClient(t, Policy{})
	tr := c.Transport.(*transport).base.(*http.Transport)
	if tr.Proxy != nil {
		t.Fatal("Transport.Proxy is set")
	}
	if c.Jar != nil {
		t.Fatal("the client has a cookie jar")
	}
}

func TestRefusedRequestBodyClosed(t *testing.T) {
	body := &closeRecorder{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequest(http.MethodPost, "https://10.0.0.1/hook", body)
	_, err := newClient(t, Policy{}).Do(req)
	mustRefuse(t, err, "private")
	if !body.closed {
		t.Fatal("the request body of a refused request was not closed")
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@hooks.example.com/a/b?token=x#frag": "https://user@hooks.example.com/a/b",
		"https://hooks.example.com/?":                        "https://hooks.example.com/",
		"http://[::1]:8080/p":                                "http://[::1]:8080/p",
		"%zz":                                                "(invalid URL)",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

package cdn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ideobus/ideobus/adapters/internal/httpserve"
)

// Defaults of LocalCDNOptions. The zone ID has the shape of a real one (32
// hex digits); it is the example zone of Cloudflare's API documentation.
const (
	LocalAPIToken = "ideobus-local-token"
	LocalZoneID   = "023e105f4ecef8ad9ca31a8372d0c353"
)

// CacheStatusHeader reports HIT or MISS on every object LocalCDN serves, as
// Cloudflare's edge does.
const CacheStatusHeader = "CF-Cache-Status"

// maxCachedBytes bounds one cached object: the cache lives in memory.
const maxCachedBytes = 64 << 20

// LocalCDNOptions configures a LocalCDN.
type LocalCDNOptions struct {
	// Origin is the base URL objects are fetched from: GET /<key> on the CDN
	// reads Origin + "/" + key, e.g. a storage.LocalServer URL plus
	// "/<bucket>". Required.
	Origin string
	// Addr to listen on (default 127.0.0.1:0).
	Addr string
	// APIToken the purge API accepts (default LocalAPIToken).
	APIToken string
	// ZoneID the purge API serves (default LocalZoneID).
	ZoneID string
	// MaxFilesPerPurge rejects larger purge calls, as Cloudflare does
	// (default MaxFilesPerPurge).
	MaxFilesPerPurge int
	// OriginClient fetches from the origin (default: 30 s timeout).
	OriginClient *http.Client
}

// LocalCDN is an in-process stand-in for Cloudflare's edge and API on a real
// loopback socket. It serves GET /<key> from an in-memory cache filled from
// the origin, marking responses HIT or MISS, and answers
// POST /client/v4/zones/{zone_id}/purge_cache in Cloudflare's JSON shapes, so
// Client drives it with the real cloudflare-go. A purge really evicts. It
// records purges for tests.
type LocalCDN struct {
	opts   LocalCDNOptions
	origin string
	url    string
	srv    *http.Server
	done   chan struct{}

	mu    sync.Mutex
	cache map[string]*cached
	// epoch moves on every purge, so an origin fetch that began before a
	// purge cannot store what the purge was meant to remove.
	epoch  uint64
	purges []PurgeRecord
	faults []int
}

type cached struct {
	header http.Header
	body   []byte
}

// NewLocalCDN starts a LocalCDN. Close stops it.
func NewLocalCDN(opts LocalCDNOptions) (*LocalCDN, error) {
	if opts.Origin == "" {
		return nil, errors.New("cdn: local CDN needs an origin URL")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.APIToken == "" {
		opts.APIToken = LocalAPIToken
	}
	if opts.ZoneID == "" {
		opts.ZoneID = LocalZoneID
	}
	if opts.MaxFilesPerPurge <= 0 {
		opts.MaxFilesPerPurge = MaxFilesPerPurge
	}
	if opts.OriginClient == nil {
		opts.OriginClient = &http.Client{Timeout: 30 * time.Second}
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("cdn: local CDN listen: %w", err)
	}
	l := &LocalCDN{
		opts:   opts,
		origin: strings.TrimRight(opts.Origin, "/"),
		url:    "http://" + ln.Addr().String(),
		done:   make(chan struct{}),
		cache:  make(map[string]*cached),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+localAPIPath+"/zones/{zone}/purge_cache", l.handlePurge)
	mux.HandleFunc("GET /", l.handleObject) // GET patterns also match HEAD
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	httpserve.CloseUnusedOnShutdown(l.srv)
	go func() {
		defer close(l.done)
		_ = l.srv.Serve(ln)
	}()
	return l, nil
}

// localAPIPath is where the API lives on the CDN's socket, as on
// api.cloudflare.com.
const localAPIPath = "/client/v4"

// URL is the public base URL: objects are at URL() + "/" + key.
func (l *LocalCDN) URL() string { return l.url }

// APIBaseURL is the base URL to give cloudflare-go (Config.APIBaseURL).
func (l *LocalCDN) APIBaseURL() string { return l.url + localAPIPath }

// ClientConfig returns a Config that points a Client at this LocalCDN.
func (l *LocalCDN) ClientConfig() Config {
	return Config{APIToken: l.opts.APIToken, ZoneID: l.opts.ZoneID, APIBaseURL: l.APIBaseURL()}
}

// Close stops the server, letting requests in flight finish.
func (l *LocalCDN) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = l.srv.Close()
	}
	<-l.done
	return err
}

// Cached reports whether the object at path (e.g. "/a/b.png", or a full URL)
// is in the cache.
func (l *LocalCDN) Cached(pathOrURL string) bool {
	key, ok := cacheKeyOf(pathOrURL)
	if !ok {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, hit := l.cache[key]
	return hit
}

// cacheKey is path plus query: like Cloudflare's default cache key, without
// the host, so URLs naming the server as localhost or 127.0.0.1 agree.
func cacheKey(u *url.URL) string {
	if u.RawQuery != "" {
		return u.Path + "?" + u.RawQuery
	}
	return u.Path
}

// cacheKeyOf accepts what a purge may name: a full URL, a scheme-less
// "host/path" (as Cloudflare allows), or a bare path.
func cacheKeyOf(s string) (string, bool) {
	if !strings.HasPrefix(s, "/") && !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	return cacheKey(u), true
}

func (l *LocalCDN) handleObject(w http.ResponseWriter, r *http.Request) {
	key := cacheKey(r.URL)
	l.mu.Lock()
	entry, hit := l.cache[key]
	epoch := l.epoch
	l.mu.Unlock()
	if hit {
		writeCached(w, r, entry, "HIT", http.StatusOK)
		return
	}

	entry, status, err := l.fetch(r.Context(), r.URL)
	if err != nil {
		http.Error(w, "origin: "+err.Error(), http.StatusBadGateway)
		return
	}
	if status == http.StatusOK {
		l.mu.Lock()
		if l.epoch == epoch {
			l.cache[key] = entry
		}
		l.mu.Unlock()
	}
	// Errors pass through uncached, so a missing object can appear later.
	writeCached(w, r, entry, "MISS", status)
}

func writeCached(w http.ResponseWriter, r *http.Request, e *cached, cacheStatus string, code int) {
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set(CacheStatusHeader, cacheStatus)
	w.Header().Set("Content-Length", strconv.Itoa(len(e.body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(e.body)
	}
}

// passHeaders are the origin headers a cached copy keeps.
var passHeaders = []string{"Content-Type", "Cache-Control", "ETag", "Last-Modified", "Content-Encoding", "Content-Disposition"}

func (l *LocalCDN) fetch(ctx context.Context, u *url.URL) (*cached, int, error) {
	target := l.origin + u.EscapedPath()
	if u.RawQuery != "" {
		target += "?" + u.RawQuery
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := l.opts.OriginClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBytes+1))
	if err != nil {
		return nil, 0, err
	}
	if len(body) > maxCachedBytes {
		return nil, 0, fmt.Errorf("object larger than %d bytes", maxCachedBytes)
	}
	e := &cached{header: make(http.Header), body: body}
	for _, h := range passHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			e.header[h] = v
		}
	}
	return e, resp.StatusCode, nil
}

package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"

	"github.com/ideobus/ideobus/adapters/internal/httpserve"
)

// LocalServer is an in-process, S3-compatible server (gofakes3) that keeps
// objects as plain files under a folder, so a demo's output survives the
// process and can be opened directly. It listens on a real loopback socket;
// Store talks to it with the same client code it uses for R2.
//
// Layout under the folder: objects at buckets/<bucket>/<key> (see
// ObjectPath), and gofakes3's JSON metadata (content type, ETag) under
// metadata/<bucket>/. It does not check signatures, and serves anonymous
// path-style GETs, which lets it stand in as a CDN origin.
type LocalServer struct {
	dir  string
	url  string
	srv  *http.Server
	done chan struct{}
}

// LocalOption configures a LocalServer.
type LocalOption func(*localOptions)

type localOptions struct{ addr string }

// ListenAddr makes the server listen on addr instead of 127.0.0.1:0.
func ListenAddr(addr string) LocalOption {
	return func(o *localOptions) { o.addr = addr }
}

// NewLocalServer starts a server storing its objects under dir (created if
// missing). Close stops it.
func NewLocalServer(dir string, opts ...LocalOption) (*LocalServer, error) {
	o := localOptions{addr: "127.0.0.1:0"}
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: local server dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("storage: local server dir: %w", err)
	}
	// s3afero refuses a bare OsFs (it may RemoveAll at its root), so it gets
	// one rooted at dir.
	backend, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), abs))
	if err != nil {
		return nil, fmt.Errorf("storage: local server backend: %w", err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("storage: local server listen: %w", err)
	}
	s := &LocalServer{
		dir:  abs,
		url:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: conditionalPuts(backend, gofakes3.New(backend).Server()), ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	httpserve.CloseUnusedOnShutdown(s.srv)
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // always ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the server's base URL, e.g. http://127.0.0.1:53117.
func (s *LocalServer) URL() string { return s.url }

// Dir is the absolute folder the objects live in.
func (s *LocalServer) Dir() string { return s.dir }

// ObjectPath is the file that holds bucket/key on disk.
func (s *LocalServer) ObjectPath(bucket, key string) string {
	return filepath.Join(s.dir, "buckets", bucket, filepath.FromSlash(key))
}

// Config returns a Config that points a Store at this server. Objects'
// public URLs are served by the server itself; set PublicBaseURL to a CDN in
// front of it (cdn.LocalCDN) to exercise purging.
func (s *LocalServer) Config(bucket string) Config {
	return Config{
		AccountID:       "local",
		AccessKeyID:     "local",
		SecretAccessKey: "local",
		Bucket:          bucket,
		Endpoint:        s.url,
		PublicBaseURL:   s.url + "/" + bucket,
		UsePathStyle:    true,
	}
}

// Close stops the server, letting requests in flight finish (for up to five
// seconds) so that every acknowledged write is on disk.
func (s *LocalServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}

package cdn_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/ideobus/ideobus/adapters/cdn"
	"github.com/ideobus/ideobus/adapters/storage"
	"github.com/ideobus/ideobus/messages"
)

// The demo wiring: the storage LocalServer is the origin, the LocalCDN is the
// public base URL, and a replayed upload only shows once purged.
func TestWithStorageOrigin(t *testing.T) {
	ctx := context.Background()
	s3, err := storage.NewLocalServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s3.Close() })
	edge, err := cdn.NewLocalCDN(cdn.LocalCDNOptions{Origin: s3.URL() + "/images"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = edge.Close() })

	cfg := s3.Config("images")
	cfg.PublicBaseURL = edge.URL()
	store, err := storage.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	client := newClient(t, edge.ClientConfig())

	key := messages.OriginalKey("demo", "req-7", 0)
	asset, err := store.Put(ctx, key, []byte("first"), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Warm(ctx, []string{asset.URL}); err != nil {
		t.Fatal(err)
	}
	if body, status := get(t, asset.URL); body != "first" || status != "HIT" {
		t.Fatalf("GET after warm = %q %s", body, status)
	}

	if _, err := store.Put(ctx, key, []byte("second"), "image/png"); err != nil {
		t.Fatal(err)
	}
	if body, _ := get(t, asset.URL); body != "first" {
		t.Fatalf("GET before purge = %q, want the cached first", body)
	}
	if err := client.Purge(ctx, []string{asset.URL}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(asset.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" || resp.Header.Get(cdn.CacheStatusHeader) != "MISS" {
		t.Fatalf("GET after purge: Content-Type %q, %s", ct, resp.Header.Get(cdn.CacheStatusHeader))
	}
	if body, status := get(t, asset.URL); body != "second" || status != "HIT" {
		t.Fatalf("GET after purge = %q %s, want second HIT", body, status)
	}
}

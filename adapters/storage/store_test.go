package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ideobus/ideobus/adapters/storage"
	"github.com/ideobus/ideobus/messages"
)

func TestPutGetRoundtrip(t *testing.T) {
	srv, st := startLocal(t)
	ctx := context.Background()
	key := messages.OriginalKey("images", "req-1", 0)
	body := bytes.Repeat([]byte("png!"), 4096)

	asset, err := st.Put(ctx, key, body, "image/png")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	want := messages.Asset{
		Key:         key,
		URL:         srv.URL() + "/" + testBucket + "/" + key,
		Bytes:       int64(len(body)),
		ContentType: "image/png",
		SHA256:      hex.EncodeToString(sum[:]),
	}
	if asset != want {
		t.Fatalf("Put = %+v, want %+v", asset, want)
	}
	got, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("Get returned %d bytes, want the %d put", len(got), len(body))
	}
	if ok, err := st.Exists(ctx, key); err != nil || !ok {
		t.Fatalf("Exists = %v, %v; want true", ok, err)
	}
}

func TestPublicURLServesContentType(t *testing.T) {
	_, st := startLocal(t)
	asset, err := st.Put(context.Background(), "a/b/thumb.webp", []byte("RIFF....WEBP"), "image/webp")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(asset.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "RIFF....WEBP" {
		t.Fatalf("GET %s = %d %q", asset.URL, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/webp" {
		t.Fatalf("Content-Type = %q, want image/webp", ct)
	}
}

func TestPutOverwritesSameKey(t *testing.T) {
	srv, st := startLocal(t)
	ctx := context.Background()
	key := messages.OriginalKey("", "req-2", 1)
	if _, err := st.Put(ctx, key, []byte("first"), "image/png"); err != nil {
		t.Fatal(err)
	}
	second, err := st.Put(ctx, key, []byte("second!"), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if second.Bytes != 7 {
		t.Fatalf("Bytes = %d, want 7", second.Bytes)
	}
	got, err := st.Get(ctx, key)
	if err != nil || string(got) != "second!" {
		t.Fatalf("Get = %q, %v; want the second body", got, err)
	}
	entries, err := os.ReadDir(srv.ObjectPath(testBucket, "req-2/1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("replay left %d files, want 1", len(entries))
	}
}

func TestGetMissingIsNotFound(t *testing.T) {
	_, st := startLocal(t)
	ctx := context.Background()

	_, err := st.Get(ctx, "nope/0/original.png")
	if !storage.IsNotFound(err) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get missing = %v, want a not-found error", err)
	}
	var me *messages.Error
	if !errors.As(err, &me) || me.Code != messages.CodeStorageFailed || me.Retryable {
		t.Fatalf("Get missing = %#v, want permanent storage_failed", err)
	}
	if ok, err := st.Exists(ctx, "nope/0/original.png"); ok || err != nil {
		t.Fatalf("Exists missing = %v, %v; want false, nil", ok, err)
	}
}

func TestRequestsCarryNoChecksums(t *testing.T) {
	srv, _ := startLocal(t)
	p := newProxy(t, srv.URL())
	cfg := srv.Config(testBucket)
	cfg.Endpoint = p.URL
	st := newStore(t, cfg)
	ctx := context.Background()

	if _, err := st.Put(ctx, "k/0/original.png", []byte("body"), "image/png"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, "k/0/original.png"); err != nil {
		t.Fatal(err)
	}

	var puts int
	for _, r := range p.recorded() {
		for name, vals := range r.Header {
			lower := strings.ToLower(name)
			if strings.HasPrefix(lower, "x-amz-checksum") || lower == "x-amz-sdk-checksum-algorithm" || lower == "x-amz-trailer" {
				t.Errorf("%s %s sent %s: %v", r.Method, r.Path, name, vals)
			}
		}
		if r.Method == http.MethodPut && r.Path == "/"+testBucket+"/k/0/original.png" {
			puts++
			if enc := r.Header.Get("Content-Encoding"); strings.Contains(enc, "aws-chunked") {
				t.Errorf("PutObject used Content-Encoding %q", enc)
			}
			if sha := r.Header.Get("X-Amz-Content-Sha256"); strings.HasPrefix(sha, "STREAMING") {
				t.Errorf("PutObject streamed with x-amz-content-sha256 %q", sha)
			}
			if cc := r.Header.Get("Cache-Control"); cc != storage.DefaultCacheControl {
				t.Errorf("Cache-Control = %q, want %q", cc, storage.DefaultCacheControl)
			}
		}
	}
	if puts != 1 {
		t.Fatalf("saw %d PutObject requests, want 1", puts)
	}
}

func TestErrorClassification(t *testing.T) {
	srv, _ := startLocal(t)
	p := newProxy(t, srv.URL())
	cfg := srv.Config(testBucket)
	cfg.Endpoint = p.URL
	st := newStore(t, cfg)
	ctx := context.Background()

	cases := []struct {
		status    int
		code      string
		retryable bool
	}{
		{http.StatusServiceUnavailable, "SlowDown", true},
		{http.StatusInternalServerError, "InternalError", true},
		{http.StatusTooManyRequests, "TooManyRequests", true},
		{http.StatusForbidden, "AccessDenied", false},
		{http.StatusBadRequest, "InvalidArgument", false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status, tc.code), func(t *testing.T) {
			p.failNext(tc.status, tc.code)
			_, err := st.Put(ctx, "k", []byte("x"), "text/plain")
			var me *messages.Error
			if !errors.As(err, &me) || me.Code != messages.CodeStorageFailed {
				t.Fatalf("Put = %v, want storage_failed", err)
			}
			if me.Retryable != tc.retryable {
				t.Fatalf("Retryable = %v, want %v (%v)", me.Retryable, tc.retryable, err)
			}
			if storage.IsNotFound(err) {
				t.Fatalf("%v classified as not found", err)
			}
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cfg := srv.Config(testBucket)
		cfg.Endpoint = "http://" + addr
		cfg.MaxAttempts = 1
		st, err := storage.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Get(ctx, "k")
		if !messages.IsRetryable(err) || storage.IsNotFound(err) {
			t.Fatalf("Get against a closed port = %v, want retryable", err)
		}
	})
}

func TestConcurrentPuts(t *testing.T) {
	_, st := startLocal(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := messages.OriginalKey("c", "req", i)
			if _, err := st.Put(ctx, key, []byte(key), "text/plain"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range 8 {
		key := messages.OriginalKey("c", "req", i)
		if got, err := st.Get(ctx, key); err != nil || string(got) != key {
			t.Fatalf("Get %s = %q, %v", key, got, err)
		}
	}
}

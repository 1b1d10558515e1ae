package storage_test

import (
	"context"
	"os"
	"testing"

	"github.com/ideobus/ideobus/adapters/storage"
)

func TestObjectsAreFilesAfterClose(t *testing.T) {
	dir := t.TempDir()
	srv, err := storage.NewLocalServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := newStore(t, srv.Config(testBucket))
	ctx := context.Background()
	objects := map[string]string{
		"demo/req-9/0/original.png": "original bytes",
		"demo/req-9/0/thumb.webp":   "thumb bytes",
	}
	for key, body := range objects {
		if _, err := st.Put(ctx, key, []byte(body), "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	for key, body := range objects {
		got, err := os.ReadFile(srv.ObjectPath(testBucket, key))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != body {
			t.Fatalf("%s on disk = %q, want %q", key, got, body)
		}
	}

	// A new server on the same folder serves what the old one stored.
	again, err := storage.NewLocalServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	st2 := newStore(t, again.Config(testBucket))
	got, err := st2.Get(ctx, "demo/req-9/0/original.png")
	if err != nil || string(got) != "original bytes" {
		t.Fatalf("Get after restart = %q, %v", got, err)
	}
}

func TestEnsureBucketIsIdempotent(t *testing.T) {
	_, st := startLocal(t)
	for range 2 {
		if err := st.EnsureBucket(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

package storage_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ideobus/ideobus/adapters/storage"
)

func TestPutIfAbsentCreatesOnce(t *testing.T) {
	ctx := context.Background()
	srv, err := storage.NewLocalServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st, err := storage.New(ctx, srv.Config("ledger"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	var created atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, ok, err := st.PutIfAbsent(ctx, "req-1/ledger.json", []byte{byte('a' + i)}, "application/json")
			if err != nil {
				t.Error(err)
			}
			if ok {
				created.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if n := created.Load(); n != 1 {
		t.Fatalf("%d concurrent conditional puts created the object, want exactly 1", n)
	}
	first, err := st.Get(ctx, "req-1/ledger.json")
	if err != nil || len(first) != 1 {
		t.Fatalf("get: %q %v", first, err)
	}
	if _, ok, err := st.PutIfAbsent(ctx, "req-1/ledger.json", []byte("z"), "application/json"); ok || err != nil {
		t.Fatalf("second put: created=%v err=%v, want false, nil", ok, err)
	}
	if again, _ := st.Get(ctx, "req-1/ledger.json"); string(again) != string(first) {
		t.Fatalf("conditional put overwrote: %q -> %q", first, again)
	}
}

func TestListFollowsPrefix(t *testing.T) {
	ctx := context.Background()
	srv, err := storage.NewLocalServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	st, _ := storage.New(ctx, srv.Config("batch"))
	if err := st.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"batches/x/r2.json", "batches/x/r1.json", "batches/y/r1.json", "other"} {
		if _, err := st.Put(ctx, k, []byte("{}"), "application/json"); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := st.List(ctx, "batches/x/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != "batches/x/r1.json" || keys[1] != "batches/x/r2.json" {
		t.Fatalf("List = %v", keys)
	}
}

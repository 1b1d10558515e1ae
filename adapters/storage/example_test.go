package storage_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/ideobus/ideobus/adapters/storage"
	"github.com/ideobus/ideobus/messages"
)

// A Store pointed at an embedded LocalServer: the same S3 client code that
// talks to R2 in production writes plain files into a local folder.
func Example() {
	dir, err := os.MkdirTemp("", "ideobus-r2")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	srv, err := storage.NewLocalServer(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx := context.Background()
	st, err := storage.New(ctx, srv.Config("images"))
	if err != nil {
		log.Fatal(err)
	}
	if err := st.EnsureBucket(ctx); err != nil {
		log.Fatal(err)
	}

	asset, err := st.Put(ctx, messages.OriginalKey("demo", "req-42", 0), []byte("hello"), "image/png")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(asset.Key, asset.Bytes, asset.SHA256[:12])

	onDisk, _ := os.ReadFile(srv.ObjectPath("images", asset.Key))
	fmt.Printf("%s\n", onDisk)

	_, err = st.Get(ctx, "demo/missing/0/original.png")
	fmt.Println(storage.IsNotFound(err), messages.IsRetryable(err))
	// Output:
	// demo/req-42/0/original.png 5 2cf24dba5fb0
	// hello
	// true false
}

package cdn_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/ideobus/ideobus/adapters/cdn"
)

// A LocalCDN in front of an origin, purged through the real cloudflare-go
// client exactly as production purges Cloudflare.
func Example() {
	var version atomic.Value
	version.Store("v1")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, version.Load())
	}))
	defer origin.Close()

	edge, err := cdn.NewLocalCDN(cdn.LocalCDNOptions{Origin: origin.URL})
	if err != nil {
		log.Fatal(err)
	}
	defer edge.Close()

	client, err := cdn.New(edge.ClientConfig())
	if err != nil {
		log.Fatal(err)
	}

	url := edge.URL() + "/req-1/0/original.png"
	show := func() {
		resp, err := http.Get(url)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.Header.Get(cdn.CacheStatusHeader), string(body))
	}

	show()
	version.Store("v2") // the origin changes; the edge still has v1
	show()
	if err := client.Purge(context.Background(), []string{url}); err != nil {
		log.Fatal(err)
	}
	show()
	// Output:
	// MISS v1
	// HIT v1
	// MISS v2
}

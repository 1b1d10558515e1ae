package cdn_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ideobus/ideobus/adapters/cdn"
)

// postPurge calls the purge API by hand, to check the wire shapes that
// cloudflare-go never sends.
func postPurge(t *testing.T, l *cdn.LocalCDN, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, l.APIBaseURL()+"/zones/"+cdn.LocalZoneID+"/purge_cache", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func TestPurgeAPIShapes(t *testing.T) {
	l, o := startCDN(t)
	o.set("/bucket/a.png", "a")
	o.set("/bucket/b.png", "b")
	get(t, l.URL()+"/a.png")
	get(t, l.URL()+"/b.png")

	status, out := postPurge(t, l, "", `{"files":["x"]}`)
	errs, _ := out["errors"].([]any)
	if status != http.StatusForbidden || out["success"] != false || len(errs) != 1 ||
		errs[0].(map[string]any)["code"] != float64(10000) {
		t.Fatalf("no token: %d %v, want 403 with error 10000", status, out)
	}

	status, out = postPurge(t, l, cdn.LocalAPIToken,
		`{"files":[{"url":"`+l.URL()+`/a.png","headers":{"Origin":"https://example.com"}}]}`)
	if status != http.StatusOK || out["success"] != true {
		t.Fatalf("files as objects: %d %v", status, out)
	}
	if result, _ := out["result"].(map[string]any); result["id"] != cdn.LocalZoneID {
		t.Fatalf("result = %v, want the zone id", out["result"])
	}
	if l.Cached("/a.png") || !l.Cached("/b.png") {
		t.Fatal("purging a.png should evict it and only it")
	}

	if status, out = postPurge(t, l, cdn.LocalAPIToken, `{"purge_everything":true}`); status != http.StatusOK {
		t.Fatalf("purge_everything: %d %v", status, out)
	}
	if l.Cached("/b.png") {
		t.Fatal("purge_everything left b.png cached")
	}

	var files []string
	for i := range 31 {
		files = append(files, fmt.Sprintf("%q", l.URL()+fmt.Sprint("/", i)))
	}
	if status, _ := postPurge(t, l, cdn.LocalAPIToken, `{"files":[`+strings.Join(files, ",")+`]}`); status != http.StatusBadRequest {
		t.Fatalf("31 files: status %d, want 400", status)
	}
	if status, _ := postPurge(t, l, cdn.LocalAPIToken, `{}`); status != http.StatusBadRequest {
		t.Fatalf("empty purge: status %d, want 400", status)
	}
}

func TestConcurrentServeAndPurge(t *testing.T) {
	l, o := startCDN(t)
	c := newClient(t, l.ClientConfig())
	o.set("/bucket/hot.png", "hot")
	url := l.URL() + "/hot.png"
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				if body, _ := get(t, url); body != "hot" {
					t.Errorf("GET = %q", body)
				}
			}
		})
	}
	wg.Go(func() {
		if err := c.Purge(t.Context(), []string{url}); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
}

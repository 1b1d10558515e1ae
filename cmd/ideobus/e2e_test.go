package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/messages"
)

// TestDemoEndToEnd runs the demo path: requests through the embedded broker,
// every stage over real sockets, and checks what the outcome events claim
// against the S3 store and the CDN.
func TestDemoEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	check := func(st *stack, outs []outcome) error {
		for _, o := range outs {
			if o.completed == nil {
				return fmt.Errorf("request %s failed: %+v", o.requestID, o.failed)
			}
			c := o.completed
			if len(c.Images) != 1 || c.Images[0].Original == nil {
				return fmt.Errorf("%s: want one stored original, got %+v", c.RequestID, c.Images)
			}
			im := c.Images[0]
			if len(im.Variants) != 3 {
				return fmt.Errorf("%s: want 3 variants, got %d", c.RequestID, len(im.Variants))
			}
			want := map[string][2]int{"og-image": {1200, 630}, "instagram": {1080, 1080}, "twitter-header": {1500, 500}}
			for _, v := range im.Variants {
				// The object in the S3 store is a real JPEG of the right size.
				raw, err := os.ReadFile(st.s3.ObjectPath(embeddedBucket, v.Key))
				if err != nil {
					return fmt.Errorf("variant %s not on disk: %w", v.Key, err)
				}
				cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
				if err != nil || format != "jpeg" {
					return fmt.Errorf("variant %s is not a JPEG (%s): %v", v.Key, format, err)
				}
				if _, err := jpeg.Decode(bytes.NewReader(raw)); err != nil {
					return fmt.Errorf("variant %s does not decode: %w", v.Key, err)
				}
				wh := want[v.Name]
				if cfg.Width != wh[0] || cfg.Height != wh[1] || v.Width != wh[0] || v.Height != wh[1] {
					return fmt.Errorf("variant %s is %dx%d (event says %dx%d), want %v", v.Name, cfg.Width, cfg.Height, v.Width, v.Height, wh)
				}
				if int64(len(raw)) != v.Bytes {
					return fmt.Errorf("variant %s: event says %d bytes, store has %d", v.Name, v.Bytes, len(raw))
				}
				// The CDN got exactly one purge for it, through cloudflare-go.
				if n := st.edge.PurgeCount(v.URL); n != 1 {
					return fmt.Errorf("variant URL %s purged %d times, want 1", v.URL, n)
				}
				// ... and serves the fresh object.
				body, err := get(ctx, v.URL)
				if err != nil {
					return err
				}
				if !bytes.Equal(body, raw) {
					return fmt.Errorf("CDN serves %d bytes for %s, store has %d", len(body), v.URL, len(raw))
				}
			}
			if len(c.PurgedURLs) != 4 {
				return fmt.Errorf("want 4 purged URLs (original + 3 variants), got %v", c.PurgedURLs)
			}
			stagesSeen := map[string]bool{}
			for _, s := range c.Stages {
				stagesSeen[s.Stage] = s.Attempts >= 1
			}
			for _, s := range []string{"generate", "upload", "resize", "purge"} {
				if !stagesSeen[s] {
					return fmt.Errorf("%s: no report for stage %s: %+v", c.RequestID, s, c.Stages)
				}
			}
		}
		return nil
	}
	cfg := config{Embedded: "kafka,ideogram,storage,cdn", DataDir: t.TempDir(), ConsumerGroup: "ideobus-demo-test", RetryAttempts: 3, CloseTimeout: 10 * time.Second}
	res, err := runDemo(ctx, cfg, demoRun{count: 3, asJSON: true, stdout: &stdout, stderr: &stderr, afterOutcomes: check})
	if err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, stderr.String())
	}
	if res.completed != 3 || res.failed != 0 {
		t.Fatalf("completed=%d failed=%d, want 3/0", res.completed, res.failed)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want exactly 3 JSON lines on stdout, got %d:\n%s", len(lines), stdout.String())
	}
	for _, l := range lines {
		var ev struct {
			SpecVersion, ID, Type, Source, Time string
			Data                                messages.GenerationCompleted
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line is not JSON: %v\n%s", err, l)
		}
		if ev.Type != messages.TypeCompleted || ev.SpecVersion != "1.0" || ev.ID == "" || ev.Source == "" || ev.Time == "" {
			t.Errorf("not a structured completed event: %s", l)
		}
		if ev.ID != messages.EventID(ev.Data.RequestID, messages.TypeCompleted) {
			t.Errorf("event ID %s is not the deterministic one", ev.ID)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// TestDemoUnderFaults runs the demo with the simulator answering 20% of calls
// with 429 and 5% with 5xx: every ordinary request still completes, and every
// request with the safety trigger fails with content_filtered, not
// retryable, at stage generate.
func TestDemoUnderFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := config{Embedded: "kafka,ideogram,storage,cdn", DataDir: t.TempDir(), ConsumerGroup: "ideobus-faults", RetryAttempts: 3,
		CloseTimeout: 10 * time.Second, SimFault429: "0.2", SimFault5xx: "0.05"}
	var reqs []messages.GenerationRequest
	for i := 0; i < 10; i++ {
		reqs = append(reqs, messages.GenerationRequest{ID: fmt.Sprintf("fault-ok-%d", i), Prompt: fmt.Sprintf("storefront %d", i), Variants: []messages.VariantSpec{{Name: "thumbnail"}}})
	}
	for i := 0; i < 2; i++ {
		reqs = append(reqs, messages.GenerationRequest{ID: fmt.Sprintf("fault-unsafe-%d", i), Prompt: fmt.Sprintf("forbidden %d [sim:unsafe]", i)})
	}
	var stdout, stderr bytes.Buffer
	check := func(st *stack, outs []outcome) error {
		if st.sim.Calls(ideogram.RouteGenerate) <= len(reqs) {
			return fmt.Errorf("%d generate calls for %d requests: the fault injection did not bite", st.sim.Calls(ideogram.RouteGenerate), len(reqs))
		}
		for _, o := range outs {
			unsafe := strings.HasPrefix(o.requestID, "fault-unsafe")
			switch {
			case unsafe && (o.failed == nil || o.failed.Code != messages.CodeContentFiltered || o.failed.Retryable || o.failed.Stage != messages.StageGenerate):
				return fmt.Errorf("%s: want failed content_filtered, not retryable, stage generate; got %+v", o.requestID, o.failed)
			case !unsafe && o.completed == nil:
				return fmt.Errorf("%s did not complete: %+v", o.requestID, o.failed)
			}
		}
		return nil
	}
	res, err := runDemo(ctx, cfg, demoRun{requests: reqs, stdout: &stdout, stderr: &stderr, afterOutcomes: check})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if res.completed != 10 || res.failed != 2 {
		t.Fatalf("completed=%d failed=%d, want 10 and 2", res.completed, res.failed)
	}
}

package ideogram

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// post sends a raw body to the simulator, as a client other than ours would.
func post(t *testing.T, url, key, body string) (*http.Response, apiError) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/generate", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Api-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e apiError
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &e)
	return resp, e
}

func TestSimulatorErrorBodies(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	tests := []struct {
		name, key, body string
		status          int
		contains        string
	}{
		{"no key", "", `{"image_request":{"prompt":"x"}}`, 401, "Api-Key"},
		{"bad key", "nope", `{"image_request":{"prompt":"x"}}`, 401, "Api-Key"},
		{"not JSON", testKey, `{"image_request":`, 400, "Invalid request body"},
		{"no prompt", testKey, `{"image_request":{"prompt":"  "}}`, 400, "prompt"},
		{"bad model", testKey, `{"image_request":{"prompt":"x","model":"V_9"}}`, 400, "model"},
		{"bad aspect", testKey, `{"image_request":{"prompt":"x","aspect_ratio":"16:9"}}`, 400, "aspect_ratio"},
		{"bad magic", testKey, `{"image_request":{"prompt":"x","magic_prompt_option":"MAYBE"}}`, 400, "magic_prompt_option"},
		{"seed range", testKey, `{"image_request":{"prompt":"x","seed":2147483648}}`, 400, "seed"},
		{"num_images 0", testKey, `{"image_request":{"prompt":"x","num_images":0}}`, 400, "num_images"},
		{"aspect and resolution", testKey, `{"image_request":{"prompt":"x","aspect_ratio":"ASPECT_1_1","resolution":"RESOLUTION_1024_1024"}}`, 400, "aspect_ratio"},
		{"bad palette", testKey, `{"image_request":{"prompt":"x","color_palette":{"members":[{"color_hex":"red"}]}}}`, 400, "color_hex"},
		{"safety", testKey, `{"image_request":{"prompt":"x [sim:unsafe]"}}`, 422, "safety checks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv.URL, tt.key, tt.body)
			if resp.StatusCode != tt.status || !strings.Contains(body.Error, tt.contains) {
				t.Errorf("got %d %q, want %d containing %q", resp.StatusCode, body.Error, tt.status, tt.contains)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
		})
	}
	resp, body := post(t, srv.URL, testKey, `{"image_request":{"prompt":"x [sim:402]"}}`)
	if resp.StatusCode != 402 || body.RejectReason != "insufficient_funds" {
		t.Errorf("402 answer %d %+v", resp.StatusCode, body)
	}
	resp, body = post(t, srv.URL, testKey, `{"image_request":{"prompt":"x [sim:402-daily]"}}`)
	if resp.StatusCode != 402 || body.RejectReason != "daily_limit" {
		t.Errorf("402 daily answer %d %+v", resp.StatusCode, body)
	}
	resp, body = post(t, srv.URL, testKey, `{"image_request":{"prompt":"x [sim:429] [sim:retry-after=4]"}}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "4" || body.RejectReason != "inflight_limit" {
		t.Errorf("429 answer %d Retry-After %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

func TestSimulatorCounters(t *testing.T) {
	sim, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	prompt := "counted [sim:429x2]"
	images, err := c.Generate(context.Background(), gen(prompt), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	c.Generate(context.Background(), gen("another"), handlers.Inputs{})
	c.Download(context.Background(), images[0].SourceURL)
	if sim.PromptCalls(prompt) != 3 || sim.PromptCalls("another") != 1 || sim.GenerateCalls() != 4 || sim.Calls(RouteImage) != 1 {
		t.Errorf("counters: prompt %d, another %d, generate %d, image %d",
			sim.PromptCalls(prompt), sim.PromptCalls("another"), sim.GenerateCalls(), sim.Calls(RouteImage))
	}
}

func TestSimulatorRandomFaults(t *testing.T) {
	_, srv := startSim(t, SimOptions{FaultRate429: 1})
	c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 2 })
	_, err := c.Generate(context.Background(), gen("unlucky"), handlers.Inputs{})
	classified(t, err, messages.CodeRateLimited, true, 2)

	_, srv5 := startSim(t, SimOptions{FaultRate5xx: 1})
	c5, _ := newTestClient(t, srv5.URL, func(cfg *Config) { cfg.MaxAttempts = 2 })
	_, err = c5.Generate(context.Background(), gen("unlucky"), handlers.Inputs{})
	classified(t, err, messages.CodeUpstreamUnavailable, true, 2)

	// A rate between 0 and 1 fails some calls; the seed makes it repeatable.
	run := func() (fails int) {
		_, srv := startSim(t, SimOptions{FaultRate5xx: 0.5, Seed: 7})
		c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 1 })
		for range 20 {
			if _, err := c.Generate(context.Background(), gen("coin"), handlers.Inputs{}); err != nil {
				fails++
			}
		}
		return fails
	}
	first, second := run(), run()
	if first == 0 || first == 20 || first != second {
		t.Errorf("fault runs failed %d and %d of 20 calls", first, second)
	}
}

func TestSimulatorStartAndClose(t *testing.T) {
	sim := NewSimulator(SimOptions{APIKey: testKey})
	base, err := sim.Start("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	c, _ := newTestClient(t, base, nil)
	images, err := c.Generate(context.Background(), gen("served"), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(images[0].SourceURL, base+"/images/ephemeral/") {
		t.Errorf("URL %q does not start with %s", images[0].SourceURL, base)
	}

	// Close releases a call that hangs on [sim:timeout].
	done := make(chan error, 1)
	go func() {
		_, err := c.Generate(context.Background(), gen("stuck [sim:timeout]"), handlers.Inputs{})
		done <- err
	}()
	for sim.PromptCalls("stuck [sim:timeout]") == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := sim.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("hanging call not released by Close")
	}
	if _, err := c.Generate(context.Background(), gen("after close"), handlers.Inputs{}); err == nil {
		t.Error("closed simulator still answers")
	}
}

func TestSimulatorPublicBaseURL(t *testing.T) {
	_, srv := startSim(t, SimOptions{PublicBaseURL: "https://img.example.test/"})
	c, _ := newTestClient(t, srv.URL, nil)
	images, err := c.Generate(context.Background(), gen("public"), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(images[0].SourceURL, "https://img.example.test/images/ephemeral/") {
		t.Errorf("URL %q ignores PublicBaseURL", images[0].SourceURL)
	}
}

func TestEncodePNGRoundTrip(t *testing.T) {
	// 300x300 RGB scanlines exceed one stored block, exercising the framing.
	src := image.NewRGBA(image.Rect(0, 0, 300, 300))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 7)
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	got, err := png.Decode(bytes.NewReader(encodePNG(src)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []image.Point{{0, 0}, {299, 0}, {150, 150}, {299, 299}} {
		r1, g1, b1, _ := src.At(p.X, p.Y).RGBA()
		r2, g2, b2, _ := got.At(p.X, p.Y).RGBA()
		if r1 != r2 || g1 != g2 || b1 != b2 {
			t.Errorf("pixel %v differs", p)
		}
	}
}

func TestTriggerParsing(t *testing.T) {
	tr := parseTriggers("a [sim:429x2] b [SIM:UNSAFE-IMAGE] [sim:retry-after=none] [sim:latency=5ms] [sim:bogus]")
	if tr.status != 429 || tr.statusTimes != 2 || !tr.unsafeImage || tr.retryAfter != "none" || tr.latency != 5*time.Millisecond || tr.unsafe {
		t.Errorf("parsed %+v", tr)
	}
	if tr := parseTriggers("x [sim:402-daily]"); tr.status != 402 || tr.reject != "daily_limit" {
		t.Errorf("402-daily parsed %+v", tr)
	}
	if tr := parseTriggers("plain prompt [sim:200]"); tr.status != 0 {
		t.Errorf("non-error status accepted: %+v", tr)
	}
}

// TestSimulatorWithoutKey: with no APIKey option any key is accepted.
func TestSimulatorWithoutKey(t *testing.T) {
	srv := httptest.NewServer(NewSimulator(SimOptions{}))
	defer srv.Close()
	resp, _ := post(t, srv.URL, "", `{"image_request":{"prompt":"open"}}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
}

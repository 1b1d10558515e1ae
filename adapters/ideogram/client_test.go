package ideogram

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// TestGenerateContract checks the request the client puts on the wire: the
// simulator is fronted by a recorder, then answers as usual.
func TestGenerateContract(t *testing.T) {
	_, srv, rec := recordedSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)

	req := messages.GenerationRequest{
		ID:             "req-1",
		Prompt:         "a red fox in the snow",
		NegativePrompt: "blurry",
		Model:          "V_2_TURBO",
		StyleType:      "REALISTIC",
		AspectRatio:    "ASPECT_16_9",
		MagicPrompt:    "OFF",
		Seed:           ptr[int64](1234),
		NumImages:      ptr(2),
		ColorPalette:   &messages.ColorPalette{Name: "EMBER"},
		Labels:         map[string]string{"team": "growth"}, // ours, never sent
	}
	images, err := c.Generate(context.Background(), req, handlers.Inputs{})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(images) != 2 {
		t.Fatalf("got %d images, want 2", len(images))
	}
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("API saw %d requests, want 1", len(got))
	}
	r := got[0]
	if r.method != http.MethodPost || r.path != "/generate" {
		t.Errorf("request is %s %s, want POST /generate", r.method, r.path)
	}
	if r.header.Get("Api-Key") != testKey {
		t.Errorf("Api-Key header is %q", r.header.Get("Api-Key"))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type is %q", ct)
	}
	var body struct {
		ImageRequest map[string]any `json:"image_request"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	want := map[string]any{
		"prompt":              "a red fox in the snow",
		"negative_prompt":     "blurry",
		"model":               "V_2_TURBO",
		"style_type":          "REALISTIC",
		"aspect_ratio":        "ASPECT_16_9",
		"magic_prompt_option": "OFF",
		"seed":                float64(1234),
		"num_images":          float64(2),
		"color_palette":       map[string]any{"name": "EMBER"},
	}
	if !reflect.DeepEqual(body.ImageRequest, want) {
		t.Errorf("image_request =\n%v\nwant\n%v", body.ImageRequest, want)
	}

	// A minimal request sends only the prompt and the explicit default model.
	if _, err := c.Generate(context.Background(), messages.GenerationRequest{Prompt: "minimal"}, handlers.Inputs{}); err != nil {
		t.Fatalf("Generate minimal: %v", err)
	}
	var minimal struct {
		ImageRequest map[string]any `json:"image_request"`
	}
	json.Unmarshal(rec.take()[0].body, &minimal)
	keys := make([]string, 0, len(minimal.ImageRequest))
	for k := range minimal.ImageRequest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "model,prompt" || minimal.ImageRequest["model"] != messages.DefaultModel {
		t.Errorf("minimal image_request = %v, want only prompt and model %s", minimal.ImageRequest, messages.DefaultModel)
	}
}

func TestGenerateMapsResponse(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	images, attempts, err := c.GenerateAttempts(context.Background(), messages.GenerationRequest{
		Prompt: "a lighthouse", Seed: ptr[int64](10), NumImages: ptr(3), MagicPrompt: "ON", StyleType: "DESIGN",
	}, handlers.Inputs{})

	if err != nil || attempts != 1 {
		t.Fatalf("GenerateAttempts: %v after %d attempts", err, attempts)
	}
	for i, im := range images {
		if im.Index != i || im.Seed != int64(10+i) || im.Resolution != "1024x1024" || im.StyleType != "DESIGN" || im.Filtered {
			t.Errorf("image %d = %+v", i, im)
		}
		if !strings.HasPrefix(im.Prompt, "a lighthouse") || im.Prompt == "a lighthouse" {
			t.Errorf("image %d prompt %q: want the magic-prompt rewrite", i, im.Prompt)
		}
		if !strings.HasPrefix(im.SourceURL, srv.URL+"/images/ephemeral/") {
			t.Errorf("image %d URL %q is not the simulator's", i, im.SourceURL)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	const maxAttempts = 4
	tests := []struct {
		name      string
		req       messages.GenerationRequest
		key       string
		timeout   time.Duration
		ok        bool
		code      messages.Code
		retryable bool
		attempts  int
		message   string
	}{
		{name: "429 twice then success", req: gen("rate [sim:429x2]"), ok: true, attempts: 3},
		{name: "503 once then success", req: gen("blip [sim:503x1]"), ok: true, attempts: 2},
		{name: "500 always", req: gen("broken [sim:500]"), code: messages.CodeUpstreamUnavailable, retryable: true, attempts: maxAttempts, message: "Internal server error"},
		{name: "429 always", req: gen("busy [sim:429]"), code: messages.CodeRateLimited, retryable: true, attempts: maxAttempts, message: "in-flight"},
		{name: "safety 422", req: gen("bad [sim:unsafe]"), code: messages.CodeContentFiltered, attempts: 1, message: "safety checks"},
		{name: "wrong key 401", req: gen("hello"), key: "wrong", code: messages.CodeUnauthorized, attempts: 1, message: "Api-Key"},
		{name: "no funds 402", req: gen("poor [sim:402]"), code: messages.CodeInsufficientFunds, attempts: 1, message: "insufficient_funds"},
		{name: "forbidden 403", req: gen("locked [sim:403]"), code: messages.CodeForbidden, attempts: 1},
		{name: "invalid 400", req: messages.GenerationRequest{Prompt: "x", NumImages: ptr(9)}, code: messages.CodeInvalidRequest, attempts: 1, message: "num_images"},
		{name: "aspect with resolution 400", req: messages.GenerationRequest{Prompt: "x", AspectRatio: "ASPECT_1_1", Resolution: "RESOLUTION_1024_1024"}, code: messages.CodeInvalidRequest, attempts: 1, message: "aspect_ratio"},
		{name: "timeout", req: gen("slow [sim:timeout]"), timeout: 50 * time.Millisecond, code: messages.CodeTimeout, retryable: true, attempts: maxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, w := newTestClient(t, srv.URL, func(cfg *Config) {
				cfg.MaxAttempts = maxAttempts
				if tt.key != "" {
					cfg.APIKey = tt.key
				}
				if tt.timeout != 0 {
					cfg.Timeout = tt.timeout
				}
			})
			images, attempts, err := c.GenerateAttempts(context.Background(), tt.req, handlers.Inputs{})
			if tt.ok {
				if err != nil || len(images) != 1 || attempts != tt.attempts {
					t.Fatalf("got %d images, %d attempts, err %v; want success after %d", len(images), attempts, err, tt.attempts)
				}
			} else {
				e := classified(t, err, tt.code, tt.retryable, tt.attempts)
				if !strings.Contains(e.Message, tt.message) {
					t.Errorf("message %q does not contain %q", e.Message, tt.message)
				}
				if attempts != tt.attempts {
					t.Errorf("GenerateAttempts reported %d attempts, error %d", attempts, tt.attempts)
				}
				if strings.Contains(err.Error(), testKey) {
					t.Errorf("error leaks the API key: %v", err)
				}
			}
			if got := len(w.all()); got != tt.attempts-1 {
				t.Errorf("slept %d times, want %d", got, tt.attempts-1)
			}
		})
	}
}

func gen(prompt string) messages.GenerationRequest {
	return messages.GenerationRequest{Prompt: prompt}
}

func TestRetryAfter(t *testing.T) {
	sim, srv := startSim(t, SimOptions{})

	t.Run("seconds stretch the backoff", func(t *testing.T) {
		c, w := newTestClient(t, srv.URL, nil)
		if _, err := c.Generate(context.Background(), gen("wait [sim:429x1] [sim:retry-after=7]"), handlers.Inputs{}); err != nil {
			t.Fatal(err)
		}
		if got := w.all(); !reflect.DeepEqual(got, []time.Duration{7 * time.Second}) {
			t.Errorf("waits %v, want [7s]", got)
		}
	})
	t.Run("zero keeps the backoff", func(t *testing.T) {
		c, w := newTestClient(t, srv.URL, nil)
		if _, err := c.Generate(context.Background(), gen("nowait [sim:429x2]"), handlers.Inputs{}); err != nil {
			t.Fatal(err)
		}
		for _, d := range w.all() {
			if d <= 0 || d > 5*time.Millisecond {
				t.Errorf("wait %v outside the configured backoff", d)
			}
		}
	})
	t.Run("too long hands back to the pipeline", func(t *testing.T) {
		c, w := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxRetryAfter = time.Minute })
		prompt := "later [sim:503] [sim:retry-after=3600]"
		_, err := c.Generate(context.Background(), gen(prompt), handlers.Inputs{})
		e := classified(t, err, messages.CodeUpstreamUnavailable, true, 1)
		if e.RetryAfter != time.Hour {
			t.Errorf("RetryAfter %v, want 1h", e.RetryAfter)
		}
		if len(w.all()) != 0 || sim.PromptCalls(prompt) != 1 {
			t.Errorf("retried despite a Retry-After beyond MaxRetryAfter")
		}
	})
	t.Run("HTTP date", func(t *testing.T) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		h := http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}
		if got := retryAfter(h, now); got != 90*time.Second {
			t.Errorf("retryAfter = %v, want 90s", got)
		}
		for _, v := range []string{"", "soon", "-3"} {
			if got := retryAfter(http.Header{"Retry-After": {v}}, now); got != 0 {
				t.Errorf("retryAfter(%q) = %v, want 0", v, got)
			}
		}
	})
}

func TestRetryNotify(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	var events []RetryEvent
	c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.OnRetry = func(e RetryEvent) { events = append(events, e) } })
	if _, err := c.Generate(context.Background(), gen("notify [sim:429x2]"), handlers.Inputs{}); err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Attempt != 1 || events[1].Attempt != 2 || events[0].Op != "generate" || events[0].Err.Code != messages.CodeRateLimited {
		t.Errorf("retry events %+v", events)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	c, _ := newTestClient(t, base, func(cfg *Config) { cfg.MaxAttempts = 3 })
	_, err := c.Generate(context.Background(), gen("x"), handlers.Inputs{})
	classified(t, err, messages.CodeUpstreamUnavailable, true, 3)
}

func TestCallerContextEndsRetries(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, srv.URL, func(cfg *Config) {
		cfg.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	})
	_, err := c.Generate(ctx, gen("cancel [sim:500]"), handlers.Inputs{})
	classified(t, err, messages.CodeTimeout, true, 1)
}

// TestAPIKeyRedacted: even an API that echoes the key must not get it into
// our errors, which end up in failed events and logs.
func TestAPIKeyRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "key " + r.Header.Get("Api-Key") + " revoked"})
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, nil)
	_, err := c.Generate(context.Background(), gen("x"), handlers.Inputs{})
	classified(t, err, messages.CodeUnauthorized, false, 1)
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error leaks the API key: %v", err)
	}
}

func TestUnreadableSuccessIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<html>gateway</html>`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 2 })
	_, err := c.Generate(context.Background(), gen("x"), handlers.Inputs{})
	classified(t, err, messages.CodeUpstreamUnavailable, true, 2)
}

func TestErrorText(t *testing.T) {
	tests := map[string]string{
		`{"error": "Prompt failed"}`:                              "Prompt failed",
		`{"error": {"message": "nested"}}`:                        "nested",
		`{"message": "plain"}`:                                    "plain",
		`{"detail": [{"msg": "field required"}, {"msg": "bad"}]}`: "field required; bad",
		`{"error": "No funds", "reject_reason": "daily_limit"}`:   "No funds: daily_limit",
		`upstream connect error`:                                  "upstream connect error",
	}
	for body, want := range tests {
		if got := errorText([]byte(body)); got != want {
			t.Errorf("errorText(%s) = %q, want %q", body, got, want)
		}
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	tests := []struct {
		cfg   Config
		field string
	}{
		{Config{}, "APIKey"},
		{Config{APIKey: "k", BaseURL: "http://localhost:1"}, "BaseURL"},
		{Config{APIKey: "k", BaseURL: "not a url"}, "BaseURL"},
		{Config{APIKey: "k", MaxAttempts: -1}, "MaxAttempts"},
		{Config{APIKey: "k", Timeout: -time.Second}, "Timeout"},
		{Config{APIKey: "k", Jitter: 2}, "Jitter"},
		{Config{APIKey: "k", MaxDownloadBytes: -1}, "MaxDownloadBytes"},
		{Config{APIKey: "k", ImageHosts: []string{"https://x/"}}, "ImageHosts"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), "Config."+tt.field) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tt.cfg, err, tt.field)
		}
		if err != nil && tt.cfg.APIKey != "" && strings.Contains(err.Error(), tt.cfg.APIKey+" ") {
			t.Errorf("config error echoes the key: %v", err)
		}
	}
	c, err := New(Config{APIKey: "k"})
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.cfg.BaseURL != DefaultBaseURL || c.cfg.MaxAttempts != DefaultMaxAttempts || c.cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults not applied: %+v", c.cfg)
	}
}

package ideogram

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

func TestGeneratedImagesArePNGsOfTheRequestedSize(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	tests := []struct {
		req  messages.GenerationRequest
		w, h int
	}{
		{messages.GenerationRequest{Prompt: "default size"}, 1024, 1024},
		{messages.GenerationRequest{Prompt: "wide", AspectRatio: "ASPECT_16_9"}, 1312, 736},
		{messages.GenerationRequest{Prompt: "tall", AspectRatio: "ASPECT_9_16"}, 736, 1312},
		{messages.GenerationRequest{Prompt: "banner", AspectRatio: "ASPECT_3_1"}, 1536, 512},
		{messages.GenerationRequest{Prompt: "exact", Resolution: "RESOLUTION_1280_720"}, 1280, 720},
	}
	for _, tt := range tests {
		t.Run(tt.req.Prompt, func(t *testing.T) {
			images, err := c.Generate(context.Background(), tt.req, handlers.Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			body, ct, err := c.Download(context.Background(), images[0].SourceURL)
			if err != nil {
				t.Fatal(err)
			}
			if ct != "image/png" {
				t.Errorf("content type %q", ct)
			}
			img, err := png.Decode(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
				t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.w, tt.h)
			}
			if want := fmt.Sprintf("%dx%d", tt.w, tt.h); images[0].Resolution != want {
				t.Errorf("resolution %q, want %q", images[0].Resolution, want)
			}
		})
	}
}

func TestSameSeedSameBytes(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	fetch := func(req messages.GenerationRequest) ([]byte, int64) {
		t.Helper()
		images, err := c.Generate(context.Background(), req, handlers.Inputs{})
		if err != nil {
			t.Fatal(err)
		}
		body, _, err := c.Download(context.Background(), images[0].SourceURL)
		if err != nil {
			t.Fatal(err)
		}
		return body, images[0].Seed
	}
	a, _ := fetch(messages.GenerationRequest{Prompt: "a harbour", Seed: ptr[int64](99)})
	b, _ := fetch(messages.GenerationRequest{Prompt: "a harbour", Seed: ptr[int64](99)})
	other, _ := fetch(messages.GenerationRequest{Prompt: "a harbour", Seed: ptr[int64](100)})
	if !bytes.Equal(a, b) {
		t.Error("same prompt and seed gave different bytes")
	}
	if bytes.Equal(a, other) {
		t.Error("different seeds gave the same bytes")
	}
	// Without a seed, one is chosen from the prompt, returned, and reusable.
	unseeded, seed := fetch(messages.GenerationRequest{Prompt: "no seed given"})
	again, seed2 := fetch(messages.GenerationRequest{Prompt: "no seed given"})
	replayed, _ := fetch(messages.GenerationRequest{Prompt: "no seed given", Seed: &seed})
	if seed != seed2 || !bytes.Equal(unseeded, again) || !bytes.Equal(unseeded, replayed) {
		t.Errorf("unseeded generation is not reproducible (seeds %d, %d)", seed, seed2)
	}
}

func TestUnsafeImageAmongSeveral(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	images, err := c.Generate(context.Background(), messages.GenerationRequest{Prompt: "crowd [sim:unsafe-image]", NumImages: ptr(3)}, handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 3 {
		t.Fatalf("got %d images, want 3", len(images))
	}
	for i, im := range images[:2] {
		if im.Filtered || im.SourceURL == "" {
			t.Errorf("image %d should be kept: %+v", i, im)
		}
		if _, _, err := c.Download(context.Background(), im.SourceURL); err != nil {
			t.Errorf("image %d: %v", i, err)
		}
	}
	if last := images[2]; !last.Filtered || last.SourceURL != "" || last.Index != 2 {
		t.Errorf("last image should be filtered without URL: %+v", last)
	}
}

func TestDownloadExpiredURL(t *testing.T) {
	clk := &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	sim, srv := startSim(t, SimOptions{Now: clk.Now, URLTTL: time.Hour})
	c, w := newTestClient(t, srv.URL, nil)
	images, err := c.Generate(context.Background(), gen("ephemeral"), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	url := images[0].SourceURL
	if _, _, err := c.Download(context.Background(), url); err != nil {
		t.Fatalf("fresh URL: %v", err)
	}
	clk.Advance(61 * time.Minute)
	_, _, err = c.Download(context.Background(), url)
	e := classified(t, err, messages.CodeSourceExpired, false, 1)
	if strings.Contains(e.Message, "sig=") {
		t.Errorf("message carries the URL signature: %q", e.Message)
	}
	if len(w.all()) != 0 || sim.Calls(RouteImage) != 2 {
		t.Errorf("expired URL was retried (image calls %d)", sim.Calls(RouteImage))
	}

	tampered := strings.Replace(url, "sig=", "sig=0", 1)
	_, _, err = c.Download(context.Background(), tampered)
	classified(t, err, messages.CodeSourceExpired, false, 1)

	images, err = c.Generate(context.Background(), gen("stale [sim:expired-url]"), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Download(context.Background(), images[0].SourceURL)
	classified(t, err, messages.CodeSourceExpired, false, 1)
}

func TestDownloadRefusesUnlistedHosts(t *testing.T) {
	sim, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	images, err := c.Generate(context.Background(), gen("guarded"), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	strict, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.ImageHosts = []string{"ideogram.ai"} })
	_, _, err = strict.Download(context.Background(), images[0].SourceURL)
	e := classified(t, err, messages.CodeInvalidRequest, false, 0)
	if !strings.Contains(e.Message, "not in the allowed image hosts") {
		t.Errorf("message %q", e.Message)
	}
	noHTTP, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.AllowHTTP = false; cfg.BaseURL = "https://api.ideogram.ai" })
	_, _, err = noHTTP.Download(context.Background(), images[0].SourceURL)
	classified(t, err, messages.CodeInvalidRequest, false, 0)
	for _, bad := range []string{"file:///etc/passwd", "relative/path.png", "https://user:pw@ideogram.ai/x.png"} {
		_, _, err = strict.Download(context.Background(), bad)
		classified(t, err, messages.CodeInvalidRequest, false, 0)
	}
	if sim.Calls(RouteImage) != 0 {
		t.Errorf("refused downloads reached the server")
	}

	// Subdomains of a listed host are admitted, look-alikes are not.
	for host, want := range map[string]bool{"ideogram.ai": true, "cdn.ideogram.ai": true, "evilideogram.ai": false, "ideogram.ai.evil.com": false} {
		u := mustParse(t, "https://"+host+"/x.png")
		if got := strict.hostAllowed(u); got != want {
			t.Errorf("hostAllowed(%s) = %v, want %v", host, got, want)
		}
	}
}

func TestDownloadRefusesRedirectOffList(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("redirect target was fetched")
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/x.png", http.StatusFound))
	defer redirector.Close()
	c, _ := newTestClient(t, redirector.URL, nil) // admits only the redirector's host:port
	_, _, err := c.Download(context.Background(), redirector.URL+"/x.png")
	classified(t, err, messages.CodeInvalidRequest, false, 1)
}

func TestDownloadByteCap(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxDownloadBytes = 10_000 })
	images, err := c.Generate(context.Background(), gen("huge"), handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Download(context.Background(), images[0].SourceURL)
	classified(t, err, messages.CodeImageTooLarge, false, 1)

	// Without a Content-Length the cap holds while reading.
	chunked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
		w.(http.Flusher).Flush()
		w.Write(make([]byte, 20_000))
	}))
	defer chunked.Close()
	c2, _ := newTestClient(t, chunked.URL, func(cfg *Config) { cfg.MaxDownloadBytes = 10_000 })
	_, _, err = c2.Download(context.Background(), chunked.URL+"/big.png")
	classified(t, err, messages.CodeImageTooLarge, false, 1)
}

func TestDownloadStatusAndContent(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		code      messages.Code
		retryable bool
		attempts  int
	}{
		{"gone", status(http.StatusGone), messages.CodeSourceExpired, false, 1},
		{"not found", status(http.StatusNotFound), messages.CodeSourceExpired, false, 1},
		{"server error", status(http.StatusBadGateway), messages.CodeUpstreamUnavailable, true, 3},
		{"html page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png") // lies
			io.WriteString(w, "<!DOCTYPE html><html><body>login</body></html>")
		}, messages.CodeInvalidImage, false, 1},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, messages.CodeTimeout, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 3; cfg.DownloadTimeout = 50 * time.Millisecond })
			_, _, err := c.Download(context.Background(), srv.URL+"/img.png")
			classified(t, err, tt.code, tt.retryable, tt.attempts)
		})
	}
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Error(w, http.StatusText(code), code) }
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

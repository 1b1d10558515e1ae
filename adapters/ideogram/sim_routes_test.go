package ideogram

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// TestInflightLimit: like Ideogram, the simulator refuses a call whose
// images would push the organisation past its in-flight limit, with 429
// reject_reason inflight_limit, and admits what fits.
func TestInflightLimit(t *testing.T) {
	sim, srv := startSim(t, SimOptions{InflightLimit: 3})
	c, _ := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxAttempts = 1 })

	// Hold two images in flight: [sim:timeout] hangs until its caller leaves.
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan error, 1)
	go func() {
		_, err := c.Generate(ctx, messages.GenerationRequest{Prompt: "hold [sim:timeout]", NumImages: ptr(2)}, handlers.Inputs{})
		held <- err
	}()
	for sim.Inflight() != 2 {
		time.Sleep(time.Millisecond)
	}

	_, err := c.Generate(context.Background(), messages.GenerationRequest{Prompt: "two more", NumImages: ptr(2)}, handlers.Inputs{})
	e := classified(t, err, messages.CodeRateLimited, true, 1)
	if !strings.Contains(e.Message, rejectInflightLimit) {
		t.Errorf("429 message %q does not carry the reject reason", e.Message)
	}
	if _, err := c.Generate(context.Background(), messages.GenerationRequest{Prompt: "one fits"}, handlers.Inputs{}); err != nil {
		t.Errorf("a call within the limit failed: %v", err)
	}
	// A call larger than the whole limit can never be admitted.
	_, err = c.Generate(context.Background(), messages.GenerationRequest{Prompt: "too big", NumImages: ptr(4)}, handlers.Inputs{})
	classified(t, err, messages.CodeRateLimited, true, 1)

	cancel()
	<-held
	for sim.Inflight() != 0 {
		time.Sleep(time.Millisecond)
	}
	if sim.MaxInflight() != 3 || sim.InflightRejections() != 2 {
		t.Errorf("max in flight %d, rejections %d; want 3 and 2", sim.MaxInflight(), sim.InflightRejections())
	}

	// The raw answer, as another client would see it.
	resp, body := postRaw(t, srv.URL+"/generate", "application/json", []byte(`{"image_request":{"prompt":"x","num_images":4}}`))
	if resp.StatusCode != 429 || body.RejectReason != rejectInflightLimit || resp.Header.Get("Retry-After") != "" {
		t.Errorf("answer %d %+v Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
}

// postRaw sends a body to the simulator as a client other than ours would.
func postRaw(t *testing.T, url, contentType string, body []byte) (*http.Response, apiError) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Api-Key", testKey)
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

// part is one part of a hand-built multipart body: a file when data is set.
type part struct {
	name, value, contentType string
	data                     []byte
}

func multipartBody(t *testing.T, parts ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.data == nil {
			w.WriteField(p.name, p.value)
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", multipart.FileContentDisposition(p.name, "upload"))
		h.Set("Content-Type", p.contentType)
		pw, _ := w.CreatePart(h)
		pw.Write(p.data)
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// TestSimulatorMultipartRefusals: the documented upload rules (10 MB per
// file, JPEG/PNG/WebP judged by the bytes, mask the size of the image) and
// the routes' required fields answer 400 naming the field.
func TestSimulatorMultipartRefusals(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	img := pngBlob(t, quadrants(16, 16)).Data
	mask := pngBlob(t, halfMask(16, 16)).Data
	bigPNG := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, MaxUploadBytes)...)
	tests := []struct {
		name, path string
		parts      []part
		contains   string
	}{
		{"file over 10 MB", "/reframe", []part{{name: "image_file", contentType: "image/png", data: bigPNG}, {name: "resolution", value: "RESOLUTION_1024_1024"}, {name: "model", value: "V_2"}}, "image_file: file is 10485768 bytes"},
		{"GIF", "/upscale", []part{{name: "image_file", contentType: "image/gif", data: []byte("GIF89a\x01\x00\x01\x00")}, {name: "image_request", value: "{}"}}, "image_file: unsupported image format image/gif"},
		{"text claiming PNG", "/upscale", []part{{name: "image_file", contentType: "image/png", data: []byte("hello")}, {name: "image_request", value: "{}"}}, "unsupported image format text/plain"},
		{"broken PNG", "/upscale", []part{{name: "image_file", contentType: "image/png", data: []byte("\x89PNG\r\n\x1a\nbroken")}, {name: "image_request", value: "{}"}}, "not a readable image"},
		{"missing image", "/v1/ideogram-v3/remix", []part{{name: "prompt", value: "x"}}, "image: field required"},
		{"missing image_request", "/remix", []part{{name: "image_file", contentType: "image/png", data: img}}, "image_request: field required"},
		{"image_request not JSON", "/remix", []part{{name: "image_file", contentType: "image/png", data: img}, {name: "image_request", value: "{"}}, "image_request: invalid JSON"},
		{"mask of another size", "/edit", []part{{name: "image_file", contentType: "image/png", data: img}, {name: "mask", contentType: "image/png", data: pngBlob(t, halfMask(8, 16)).Data}, {name: "prompt", value: "x"}, {name: "model", value: "V_2"}}, "mask: must be the same size as image_file"},
		{"legacy edit needs a model", "/edit", []part{{name: "image_file", contentType: "image/png", data: img}, {name: "mask", contentType: "image/png", data: mask}, {name: "prompt", value: "x"}}, "model: field required"},
		{"legacy edit on V_1", "/edit", []part{{name: "image_file", contentType: "image/png", data: img}, {name: "mask", contentType: "image/png", data: mask}, {name: "prompt", value: "x"}, {name: "model", value: "V_1"}}, "model: V_1 does not support edit"},
		{"reframe needs a resolution", "/v1/ideogram-v3/reframe", []part{{name: "image", contentType: "image/png", data: img}}, "resolution: field required"},
		{"V3 resolution in legacy form", "/v1/ideogram-v3/generate", []part{{name: "prompt", value: "x"}, {name: "resolution", value: "RESOLUTION_1024_1024"}}, `resolution: "RESOLUTION_1024_1024" is not a supported resolution`},
		{"V3 aspect in legacy form", "/v1/ideogram-v3/generate", []part{{name: "prompt", value: "x"}, {name: "aspect_ratio", value: "ASPECT_1_1"}}, "aspect_ratio"},
		{"V3 style codes with style type", "/v1/ideogram-v3/generate", []part{{name: "prompt", value: "x"}, {name: "style_codes", value: "AAAAAAAA"}, {name: "style_type", value: "GENERAL"}}, "style_codes: cannot be used together with style_type"},
		{"V3 style type of V2", "/v1/ideogram-v3/generate", []part{{name: "prompt", value: "x"}, {name: "style_type", value: "ANIME"}}, "style_type"},
		{"V3 rendering speed", "/v1/ideogram-v3/generate", []part{{name: "prompt", value: "x"}, {name: "rendering_speed", value: "LUDICROUS"}}, "rendering_speed"},
		{"seed not a number", "/v1/ideogram-v3/generate", []part{{name: "prompt", value: "x"}, {name: "seed", value: "abc"}}, "seed: must be an integer"},
		{"image weight range", "/v1/ideogram-v3/remix", []part{{name: "image", contentType: "image/png", data: img}, {name: "prompt", value: "x"}, {name: "image_weight", value: "0"}}, "image_weight: must be between 1 and 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(t, tt.parts...)
			resp, e := postRaw(t, srv.URL+tt.path, ct, body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, tt.contains) {
				t.Errorf("got %d %q, want 400 containing %q", resp.StatusCode, e.Error, tt.contains)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		resp, e := postRaw(t, srv.URL+"/edit", "application/json", []byte(`{"prompt":"x"}`))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, "multipart") {
			t.Errorf("got %d %q", resp.StatusCode, e.Error)
		}
	})
	t.Run("configured limit", func(t *testing.T) {
		_, small := startSim(t, SimOptions{MaxUploadBytes: 100})
		body, ct := multipartBody(t, part{name: "image_file", contentType: "image/png", data: img}, part{name: "image_request", value: "{}"})
		resp, e := postRaw(t, small.URL+"/upscale", ct, body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, "at most 100 allowed") {
			t.Errorf("got %d %q", resp.StatusCode, e.Error)
		}
	})
}

// TestDerivedImages: edit, remix, upscale and reframe results are computed
// from the upload, visibly.
func TestDerivedImages(t *testing.T) {
	_, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	src := quadrants(64, 48)
	run := func(req messages.GenerationRequest, in handlers.Inputs) image.Image {
		t.Helper()
		images, err := c.Generate(context.Background(), req, in)
		if err != nil {
			t.Fatalf("%s: %v", req.EffectiveOperation(), err)
		}
		return fetchImage(t, c, images[0].SourceURL)
	}
	// Quadrant centres of a w×h picture, in the order of quadrantColor.
	centres := func(w, h int) map[[2]int]image.Point {
		return map[[2]int]image.Point{
			{0, 0}: {w / 4, h / 4}, {1, 0}: {3 * w / 4, h / 4}, {0, 1}: {w / 4, 3 * h / 4}, {1, 1}: {3 * w / 4, 3 * h / 4},
		}
	}

	t.Run("upscale doubles the source", func(t *testing.T) {
		out := run(messages.GenerationRequest{Operation: "upscale"}, handlers.Inputs{Image: pngBlob(t, src)})
		if b := out.Bounds(); b.Dx() != 128 || b.Dy() != 96 {
			t.Fatalf("upscaled to %v, want 128x96", b)
		}
		for q, p := range centres(128, 96) {
			if !near(out.At(p.X, p.Y), quadrantColor(q[0], q[1]), 2) {
				t.Errorf("quadrant %v is %v, want %v", q, out.At(p.X, p.Y), quadrantColor(q[0], q[1]))
			}
		}
	})
	t.Run("edit repaints only the black of the mask", func(t *testing.T) {
		out := run(messages.GenerationRequest{Operation: "edit", Prompt: "a lake", Model: "V_2"},
			handlers.Inputs{Image: pngBlob(t, src), Mask: pngBlob(t, halfMask(64, 48))})
		if b := out.Bounds(); b.Dx() != 64 || b.Dy() != 48 {
			t.Fatalf("edit result %v, want the source's 64x48", b)
		}
		same := 0
		for y := range 48 {
			for x := range 64 {
				if x >= 32 && !near(out.At(x, y), src.At(x, y), 0) {
					t.Fatalf("kept pixel (%d,%d) changed: %v, source %v", x, y, out.At(x, y), src.At(x, y))
				}
				if x < 32 && near(out.At(x, y), src.At(x, y), 8) {
					same++
				}
			}
		}
		if same > 32*48/2 {
			t.Errorf("%d of the %d masked pixels kept the source's colour", same, 32*48)
		}
	})
	t.Run("remix at full weight keeps the source", func(t *testing.T) {
		out := run(messages.GenerationRequest{Operation: "remix", Prompt: "again", ImageWeight: ptr(100), AspectRatio: "ASPECT_4_3"},
			handlers.Inputs{Image: jpegBlob(t, src)})
		if b := out.Bounds(); b.Dx() != 1152 || b.Dy() != 864 {
			t.Fatalf("remix result %v, want 1152x864", b)
		}
		for q, p := range centres(1152, 864) {
			if !near(out.At(p.X, p.Y), quadrantColor(q[0], q[1]), 12) {
				t.Errorf("quadrant %v is %v, want about %v", q, out.At(p.X, p.Y), quadrantColor(q[0], q[1]))
			}
		}
	})
	t.Run("reframe fits the source in the centre", func(t *testing.T) {
		red := image.NewRGBA(image.Rect(0, 0, 32, 32))
		for i := range red.Pix {
			red.Pix[i] = []uint8{255, 0, 0, 255}[i%4]
		}
		out := run(messages.GenerationRequest{Operation: "reframe", Model: "V_2", Resolution: "RESOLUTION_1280_720"},
			handlers.Inputs{Image: pngBlob(t, red)})
		if b := out.Bounds(); b.Dx() != 1280 || b.Dy() != 720 {
			t.Fatalf("reframe result %v, want 1280x720", b)
		}
		if !near(out.At(640, 360), color.RGBA{255, 0, 0, 255}, 0) || !near(out.At(640, 2), color.RGBA{255, 0, 0, 255}, 0) {
			t.Errorf("centre column is not the source: %v, %v", out.At(640, 360), out.At(640, 2))
		}
		if near(out.At(5, 360), color.RGBA{255, 0, 0, 255}, 30) {
			t.Errorf("the outpainted margin is the source's colour")
		}
	})
}

// TestLatencyJitter: per-call latency spreads over Latency ± LatencyJitter,
// reproducibly for one seed.
func TestLatencyJitter(t *testing.T) {
	draw := func() []time.Duration {
		s := NewSimulator(SimOptions{Latency: 100 * time.Millisecond, LatencyJitter: 40 * time.Millisecond, Seed: 3})
		out := make([]time.Duration, 200)
		for i := range out {
			out[i] = s.latency()
		}
		return out
	}
	a, b := draw(), draw()
	lo, hi := a[0], a[0]
	for i, d := range a {
		if d != b[i] {
			t.Fatal("same seed, different latencies")
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 60*time.Millisecond || hi > 140*time.Millisecond || hi-lo < 40*time.Millisecond {
		t.Errorf("latencies span [%v, %v], want a spread within [60ms, 140ms]", lo, hi)
	}
	if d := NewSimulator(SimOptions{Latency: time.Millisecond, LatencyJitter: time.Second}).latency(); d < 0 {
		t.Errorf("negative latency %v", d)
	}
}

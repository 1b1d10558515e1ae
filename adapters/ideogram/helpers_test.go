package ideogram

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

const testKey = "test-key-0123456789"

// startSim serves a simulator over a real socket for the test's duration.
func startSim(t *testing.T, opts SimOptions) (*Simulator, *httptest.Server) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	sim := NewSimulator(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close() // releases [sim:timeout] handlers before the server waits for them
		srv.Close()
	})
	return sim, srv
}

// waits records the backoff waits the client computed, without waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// newTestClient returns a client for baseURL with tiny backoff intervals and
// recorded waits; edit adjusts the config further.
func newTestClient(t *testing.T, baseURL string, edit func(*Config)) (*Client, *waits) {
	t.Helper()
	w := &waits{}
	cfg := SimulatorConfig(baseURL, testKey)
	cfg.InitialInterval = time.Millisecond
	cfg.MaxInterval = 5 * time.Millisecond
	cfg.Sleep = w.sleep
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, w
}

// classified asserts err is a classified error with the given properties.
func classified(t *testing.T, err error, code messages.Code, retryable bool, attempts int) *messages.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var e *messages.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) does not unwrap to *messages.Error", err, err)
	}
	if e.Code != code || e.Retryable != retryable {
		t.Errorf("got code %s retryable %v, want %s retryable %v (%v)", e.Code, e.Retryable, code, retryable, err)
	}
	if got := Attempts(err); got != attempts {
		t.Errorf("got %d attempts, want %d (%v)", got, attempts, err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// clock is a settable time source for the simulator.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recorded is what the API saw of one request.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// filePart is one file of a recorded multipart body.
type filePart struct {
	filename, contentType string
	data                  []byte
}

// form parses a recorded multipart body into its text fields and files.
func (r recorded) form(t *testing.T) (map[string][]string, map[string]filePart) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("Content-Type %q is not multipart/form-data", r.header.Get("Content-Type"))
	}
	values, files := map[string][]string{}, map[string]filePart{}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return values, files
		}
		if err != nil {
			t.Fatalf("bad multipart body: %v", err)
		}
		data, _ := io.ReadAll(p)
		if p.FileName() != "" {
			files[p.FormName()] = filePart{p.FileName(), p.Header.Get("Content-Type"), data}
		} else {
			values[p.FormName()] = append(values[p.FormName()], string(data))
		}
	}
}

// recorder fronts a handler and keeps every request it passes on.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recorded
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
	rec.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.next.ServeHTTP(w, r)
}

// take returns the requests recorded so far and forgets them.
func (rec *recorder) take() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.reqs
	rec.reqs = nil
	return out
}

// recordedSim serves a simulator behind a recorder.
func recordedSim(t *testing.T, opts SimOptions) (*Simulator, *httptest.Server, *recorder) {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	sim := NewSimulator(opts)
	rec := &recorder{next: sim}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv, rec
}

// quadrants is a w×h test picture with four solid quadrants, so that
// derived images can be checked region by region.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, quadrantColor(x*2/w, y*2/h))
		}
	}
	return img
}

func quadrantColor(qx, qy int) color.RGBA {
	return [2][2]color.RGBA{
		{{220, 30, 30, 255}, {30, 30, 220, 255}},
		{{30, 200, 30, 255}, {230, 230, 40, 255}},
	}[qx][qy]
}

func pngBlob(t *testing.T, img image.Image) *handlers.Blob {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return &handlers.Blob{Data: buf.Bytes(), ContentType: "image/png"}
}

func jpegBlob(t *testing.T, img image.Image) *handlers.Blob {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return &handlers.Blob{Data: buf.Bytes(), ContentType: "image/jpeg"}
}

// webp1x1 is a 1×1 lossless WebP: the standard library cannot encode one.
func webp1x1(t *testing.T) *handlers.Blob {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	return &handlers.Blob{Data: data, ContentType: "image/webp"}
}

// halfMask is a w×h edit mask: the left half black (to edit), the right
// half white (to keep).
func halfMask(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if x >= w/2 {
				m.SetGray(x, y, color.Gray{255})
			}
		}
	}
	return m
}

// fetchImage downloads and decodes a result image.
func fetchImage(t *testing.T, c *Client, url string) image.Image {
	t.Helper()
	body, _, err := c.Download(context.Background(), url)
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("result is not a PNG: %v", err)
	}
	return img
}

// near reports whether two colours differ by at most tol per channel.
func near(a, b color.Color, tol int) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) bool { return abs(int(x>>8)-int(y>>8)) <= tol }
	return d(ar, br) && d(ag, bg) && d(ab, bb)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

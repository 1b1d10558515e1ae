package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// paint returns a w x h image coloured by f.
func paint(w, h int, f func(x, y int) color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, f(x, y))
		}
	}
	return m
}

var (
	white = color.NRGBA{255, 255, 255, 255}
	red   = color.NRGBA{255, 0, 0, 255}
	black = color.NRGBA{0, 0, 0, 255}
)

// renderOne renders a single spec and decodes the result.
func renderOne(t testing.TB, r *Resizer, src []byte, spec messages.VariantSpec) (handlers.Rendition, *image.NRGBA) {
	t.Helper()
	out, err := r.Render(context.Background(), src, []messages.VariantSpec{spec})
	if err != nil {
		t.Fatalf("Render(%+v): %v", spec, err)
	}
	if len(out) != 1 {
		t.Fatalf("got %d renditions, want 1", len(out))
	}
	m, format, err := image.Decode(bytes.NewReader(out[0].Data))
	if err != nil {
		t.Fatalf("output of %+v does not decode: %v", spec, err)
	}
	want := spec.Resolve().Format
	if format != want {
		t.Fatalf("output format %s, want %s", format, want)
	}
	if b := m.Bounds(); b.Dx() != out[0].Width || b.Dy() != out[0].Height {
		t.Fatalf("decoded %v, rendition claims %dx%d", b, out[0].Width, out[0].Height)
	}
	// One conversion up front keeps the pixel checks below cheap under -race.
	n := image.NewNRGBA(m.Bounds())
	draw.Draw(n, n.Rect, m, m.Bounds().Min, draw.Src)
	return out[0], n
}

func wantSize(t testing.TB, m image.Image, w, h int) {
	t.Helper()
	if b := m.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
	}
}

// rgb8 returns the colour at (x, y).
func rgb8(m *image.NRGBA, x, y int) color.NRGBA { return m.NRGBAAt(x, y) }

// extent is the bounding box of the pixels matching pred.
func extent(m *image.NRGBA, pred func(c color.NRGBA) bool) image.Rectangle {
	b := m.Bounds()
	r := image.Rectangle{Min: b.Max, Max: b.Min}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if pred(rgb8(m, x, y)) {
				r.Min.X, r.Min.Y = min(r.Min.X, x), min(r.Min.Y, y)
				r.Max.X, r.Max.Y = max(r.Max.X, x+1), max(r.Max.Y, y+1)
			}
		}
	}
	return r
}

func isRed(c color.NRGBA) bool  { return c.R > 160 && c.G < 96 && c.B < 96 }
func isDark(c color.NRGBA) bool { return int(c.R)+int(c.G)+int(c.B) < 3*128 }

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// wantCode asserts err is a *messages.Error with code.
func wantCode(t testing.TB, err error, code messages.Code) {
	t.Helper()
	var e *messages.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *messages.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code %s (%v), want %s", e.Code, err, code)
	}
	if e.Retryable {
		t.Fatalf("%v is retryable, want permanent", err)
	}
}

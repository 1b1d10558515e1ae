package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/gen2brain/webp"
	"github.com/ideobus/ideobus/messages"
)

// BenchmarkWebPEncode compares one 1080x1080 variant of a photographic
// 1024x1024 PNG as JPEG q85 (our encoder) and WebP at several libwebp
// efforts, reporting output bytes.
func BenchmarkWebPEncode(b *testing.B) {
	src := encodePNG(b, photo(1024, 1024))
	t0 := time.Now()
	webp.Init()
	b.Logf("webp runtime init (module compile): %v, shared library: %v", time.Since(t0), WebPUsesSharedLibrary())
	r := New(Options{Concurrency: 1})
	spec := messages.VariantSpec{Name: "instagram", Format: messages.FormatJPEG}
	b.Run("jpeg-q85", func(b *testing.B) { benchOne(b, r, src, spec) })
	img := photo(1080, 1080)
	nrgba := &image.NRGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	for _, m := range []int{0, 2, 4} {
		b.Run(fmt.Sprintf("webp-q80-m%d", m), func(b *testing.B) {
			var out bytes.Buffer
			for b.Loop() {
				out.Reset()
				if err := webp.Encode(&out, nrgba, webp.Options{Quality: 80, Method: m}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len()), "bytes")
		})
	}
	spec.Format = messages.FormatWebP
	b.Run("render-webp", func(b *testing.B) { benchOne(b, r, src, spec) })
}

func benchOne(b *testing.B, r *Resizer, src []byte, spec messages.VariantSpec) {
	var n int
	for b.Loop() {
		out, err := r.Render(context.Background(), src, []messages.VariantSpec{spec})
		if err != nil {
			b.Fatal(err)
		}
		n = len(out[0].Data)
	}
	b.ReportMetric(float64(n), "bytes")
}

package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ideobus/ideobus/messages"
	"golang.org/x/image/draw"
)

// photo is an opaque image with photographic statistics: smooth gradients,
// a few edges and fine grain, so neither PNG nor JPEG gets an easy ride.
func photo(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			base := 110 + 60*math.Sin(fx*7+fy*3) + 40*math.Cos(fy*11-fx*2)
			if (x/97+y/61)%5 == 0 { // hard-edged shapes
				base += 50
			}
			n := rng.NormFloat64() * 6
			o := m.PixOffset(x, y)
			m.Pix[o+0] = uint8(max(0, min(255, base+n+20*fx)))
			m.Pix[o+1] = uint8(max(0, min(255, base*0.8+n+30*fy)))
			m.Pix[o+2] = uint8(max(0, min(255, 255-base+n)))
			m.Pix[o+3] = 255
		}
	}
	return m
}

// BenchmarkRenderPresets measures one resize job: decode a PNG original and
// render the default presets as JPEG q85. "xdraw" is the straightforward
// alternative (x/image/draw Catmull-Rom into *image.RGBA, then image/jpeg),
// run in the same process so the ratio is visible. "ideobus-1cpu" renders
// the variants one at a time, comparable with the sequential baseline.
func BenchmarkRenderPresets(b *testing.B) {
	presets := messages.ResolveVariants(nil, messages.DefaultVariants)
	for _, size := range [][2]int{{1024, 1024}, {1344, 768}} {
		src := encodePNG(b, photo(size[0], size[1]))
		name := fmt.Sprintf("%dx%d", size[0], size[1])
		b.Run(name+"/ideobus", func(b *testing.B) {
			benchResizer(b, New(Options{}), src, presets)
		})
		b.Run(name+"/ideobus-1cpu", func(b *testing.B) {
			benchResizer(b, New(Options{Concurrency: 1}), src, presets)
		})
		b.Run(name+"/xdraw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := xdrawJob(src, presets); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchResizer(b *testing.B, r *Resizer, src []byte, specs []messages.VariantSpec) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		if _, err := r.Render(ctx, src, specs); err != nil {
			b.Fatal(err)
		}
	}
}

// xdrawJob is the baseline: the same job written the obvious way.
func xdrawJob(src []byte, specs []messages.VariantSpec) error {
	img, err := png.Decode(bytes.NewReader(src))
	if err != nil {
		return err
	}
	sb := img.Bounds()
	for _, s := range specs {
		// Centre crop to the target aspect ratio, then scale.
		crop := sb
		if s.Width*sb.Dy() > s.Height*sb.Dx() {
			h := sb.Dx() * s.Height / s.Width
			crop.Min.Y = (sb.Dy() - h) / 2
			crop.Max.Y = crop.Min.Y + h
		} else {
			w := sb.Dy() * s.Width / s.Height
			crop.Min.X = (sb.Dx() - w) / 2
			crop.Max.X = crop.Min.X + w
		}
		dst := image.NewRGBA(image.Rect(0, 0, s.Width, s.Height))
		draw.CatmullRom.Scale(dst, dst.Rect, img, crop, draw.Src, nil)
		var out bytes.Buffer
		if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: s.Quality}); err != nil {
			return err
		}
	}
	return nil
}

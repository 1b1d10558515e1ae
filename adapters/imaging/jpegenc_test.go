package imaging

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"
)

// ycc420 converts an RGBA image to 4:2:0 planes the way the engine does.
func ycc420(m *image.RGBA) (y, cb, cr plane) {
	s := newSource(m)
	p := s.yccPlanes(color.RGBA{255, 255, 255, 255})
	return p[0].plane, p[1].plane, p[2].plane
}

func serial(n int, f func(int)) {
	for i := range n {
		f(i)
	}
}

func stdJPEG(t testing.TB, y, cb, cr plane, q int) []byte {
	img := &image.YCbCr{Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.stride, CStride: cb.stride,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, y.w, y.h)}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// psnr of a decoded JPEG's luma against the reference plane.
func psnrY(t testing.TB, data []byte, ref plane) float64 {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("does not decode: %v", err)
	}
	yc, ok := m.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded %T", m)
	}
	if yc.Rect.Dx() != ref.w || yc.Rect.Dy() != ref.h {
		t.Fatalf("decoded %v, want %dx%d", yc.Rect, ref.w, ref.h)
	}
	var se float64
	for j := range ref.h {
		for i := range ref.w {
			d := float64(yc.Y[j*yc.YStride+i]) - float64(ref.pix[j*ref.stride+i])
			se += d * d
		}
	}
	mse := se / float64(ref.w*ref.h)
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}

// Our encoder shares image/jpeg's DCT, tables and quality scale, so at the
// same quality it must decode to the same quality, at every size including
// partial MCUs, and it must be decodable by image/jpeg (restart markers
// included).
func TestJPEGEncoderMatchesStdlibQuality(t *testing.T) {
	t.Parallel()
	for _, sz := range [][2]int{{1, 1}, {7, 9}, {17, 33}, {200, 100}, {333, 251}, {640, 480}} {
		for _, q := range []int{10, 50, 85, 100} {
			t.Run(fmt.Sprintf("%dx%d/q%d", sz[0], sz[1], q), func(t *testing.T) {
				y, cb, cr := ycc420(photo(sz[0], sz[1]))
				ours := appendJPEG(nil, y, cb, cr, q, serial)
				std := stdJPEG(t, y, cb, cr, q)
				po, ps := psnrY(t, ours, y), psnrY(t, std, y)
				if po < ps-0.01 {
					t.Errorf("PSNR %.3f dB, image/jpeg %.3f dB", po, ps)
				}
				// Restart markers and the JFIF header cost a little.
				if float64(len(ours)) > float64(len(std))*1.01+64 {
					t.Errorf("%d bytes, image/jpeg %d", len(ours), len(std))
				}
				par := appendJPEG(nil, y, cb, cr, q, New(Options{Concurrency: 4}).parallel)
				if !bytes.Equal(par, ours) {
					t.Error("parallel encode differs from serial")
				}
			})
		}
	}
}

func BenchmarkJPEGEncode(b *testing.B) {
	y, cb, cr := ycc420(photo(1200, 630))
	b.Run("ours-serial", func(b *testing.B) {
		var out []byte
		for b.Loop() {
			out = appendJPEG(out[:0], y, cb, cr, 85, serial)
		}
		b.ReportMetric(float64(len(out)), "bytes")
	})
	b.Run("ours-parallel", func(b *testing.B) {
		r := New(Options{})
		var out []byte
		for b.Loop() {
			out = appendJPEG(out[:0], y, cb, cr, 85, r.parallel)
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		var out []byte
		for b.Loop() {
			out = stdJPEG(b, y, cb, cr, 85)
		}
		b.ReportMetric(float64(len(out)), "bytes")
	})
}

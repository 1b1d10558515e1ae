package imaging

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"testing"

	"github.com/ideobus/ideobus/messages"
)

// texture is a smooth but busy opaque pattern.
func texture(w, h int) *image.NRGBA {
	return paint(w, h, func(x, y int) color.NRGBA {
		return color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255}
	})
}

func TestPresetsExactDimensions(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(640, 640))
	var specs []messages.VariantSpec
	for _, name := range messages.PresetNames() {
		specs = append(specs, messages.VariantSpec{Name: name}.Resolve())
	}
	out, err := New(Options{}).Render(context.Background(), src, specs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		p := messages.Presets[specs[i].Name]
		if r.Spec.Name != p.Name || r.Width != p.Width || r.Height != p.Height {
			t.Errorf("rendition %d: %s %dx%d, want %s %dx%d", i, r.Spec.Name, r.Width, r.Height, p.Name, p.Width, p.Height)
		}
		m, err := jpeg.Decode(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatalf("%s: not a JPEG: %v", p.Name, err)
		}
		wantSize(t, m, p.Width, p.Height)
	}
}

// A red square in the middle of a wide source stays in the middle under
// cover/center, at the scaled size.
func TestCoverCenterKeepsCentredSquare(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, paint(1000, 500, func(x, y int) color.NRGBA {
		if x >= 450 && x < 550 && y >= 200 && y < 300 {
			return red
		}
		return white
	}))
	_, m := renderOne(t, New(Options{}), src, messages.VariantSpec{Name: "sq", Width: 400, Height: 400})
	wantSize(t, m, 400, 400)
	// The 500x500 centre crop scales by 0.8: the square spans 160..240.
	got := extent(m, isRed)
	want := image.Rect(160, 160, 240, 240)
	if d := got.Min.Sub(want.Min); abs(d.X) > 2 || abs(d.Y) > 2 || abs(got.Dx()-want.Dx()) > 2 || abs(got.Dy()-want.Dy()) > 2 {
		t.Fatalf("red square at %v, want about %v", got, want)
	}
}

func abs(v int) int { return max(v, -v) }

// Cover scales both axes alike: a circle stays a circle whichever axis is
// cropped.
func TestCoverDoesNotSquash(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, paint(500, 250, func(x, y int) color.NRGBA {
		if dx, dy := x-250, y-125; dx*dx+dy*dy <= 100*100 {
			return black
		}
		return white
	}))
	for _, box := range [][2]int{{300, 300}, {600, 200}, {200, 600}, {400, 210}} {
		t.Run(fmt.Sprintf("%dx%d", box[0], box[1]), func(t *testing.T) {
			_, m := renderOne(t, New(Options{}), src, messages.VariantSpec{Name: "c", Width: box[0], Height: box[1], Format: "png"})
			wantSize(t, m, box[0], box[1])
			e := extent(m, isDark)
			if e.Min.X == 0 || e.Min.Y == 0 || e.Max.X == box[0] || e.Max.Y == box[1] {
				return // circle cropped by the box; roundness is not measurable
			}
			if abs(e.Dx()-e.Dy()) > 2 {
				t.Fatalf("circle extent %dx%d is not round", e.Dx(), e.Dy())
			}
		})
	}
}

// Gravity picks which part of the source survives the crop. The source's red
// channel is a ramp along its long side, so the colour of the output's first
// column (wide source) or row (tall source) tells where the crop starts.
func TestCoverGravity(t *testing.T) {
	t.Parallel()
	const long, short, box = 510, 255, 128
	ramp := func(v int) uint8 { return uint8(v * 255 / (long - 1)) }
	wide := encodePNG(t, paint(long, short, func(x, y int) color.NRGBA { return color.NRGBA{ramp(x), 0, 0, 255} }))
	tall := encodePNG(t, paint(short, long, func(x, y int) color.NRGBA { return color.NRGBA{ramp(y), 0, 0, 255} }))
	// The crop is short x short; gravity slides it along the long side.
	slack := float64(long - short)
	k := float64(short) / box // source pixels per output pixel
	want := func(frac float64) float64 {
		first := slack*frac + k/2 - 0.5 // source index under output pixel 0's centre
		return first * 255 / (long - 1)
	}
	for name, g := range map[string][2]float64{
		"center": {0.5, 0.5}, "north": {0.5, 0}, "south": {0.5, 1}, "east": {1, 0.5}, "west": {0, 0.5},
		"northeast": {1, 0}, "northwest": {0, 0}, "southeast": {1, 1}, "southwest": {0, 1},
	} {
		t.Run(name, func(t *testing.T) {
			gx, gy := g[0], g[1]
			r := New(Options{})
			spec := messages.VariantSpec{Name: "g", Width: box, Height: box, Gravity: name, Format: "png"}
			_, m := renderOne(t, r, wide, spec)
			if got := float64(rgb8(m, 0, box/2).R); !near(got, want(gx), 2) {
				t.Errorf("wide: first column red %v, want about %.1f", got, want(gx))
			}
			_, m = renderOne(t, r, tall, spec)
			if got := float64(rgb8(m, box/2, 0).R); !near(got, want(gy), 2) {
				t.Errorf("tall: first row red %v, want about %.1f", got, want(gy))
			}
		})
	}
}

func TestContainLetterboxes(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, paint(100, 50, func(x, y int) color.NRGBA { return red }))
	green := color.NRGBA{0, 255, 0, 255}
	for _, tc := range []struct {
		gravity, format string
		imgTop          int // first output row of the image
	}{
		{"center", "png", 100}, {"north", "png", 0}, {"south", "png", 200},
		{"center", "jpeg", 100}, {"north", "jpeg", 0},
	} {
		t.Run(tc.gravity+"/"+tc.format, func(t *testing.T) {
			spec := messages.VariantSpec{Name: "c", Width: 400, Height: 400, Fit: "contain",
				Gravity: tc.gravity, Background: "#00FF00", Format: tc.format}
			_, m := renderOne(t, New(Options{}), src, spec)
			wantSize(t, m, 400, 400)
			tol := 0
			if tc.format == "jpeg" {
				tol = 12
			}
			for y := 0; y < 400; y += 3 {
				want := green
				if y >= tc.imgTop && y < tc.imgTop+200 {
					want = red
				}
				if y >= tc.imgTop-4 && y < tc.imgTop+4 || y >= tc.imgTop+196 && y < tc.imgTop+204 {
					continue // JPEG blocks blur the seam
				}
				for _, x := range []int{0, 200, 399} {
					if c := rgb8(m, x, y); !closeColor(c, want, tol) {
						t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, c, want)
					}
				}
			}
		})
	}
}

func closeColor(a, b color.NRGBA, tol int) bool {
	return abs(int(a.R)-int(b.R)) <= tol && abs(int(a.G)-int(b.G)) <= tol &&
		abs(int(a.B)-int(b.B)) <= tol && abs(int(a.A)-int(b.A)) <= tol
}

func TestInsideNeverEnlarges(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(300, 200))
	r := New(Options{})
	for _, tc := range []struct{ bw, bh, w, h int }{
		{1000, 1000, 300, 200}, {300, 200, 300, 200}, {150, 150, 150, 100}, {1000, 50, 75, 50}, {0, 400, 300, 200},
	} {
		rd, m := renderOne(t, r, src, messages.VariantSpec{Name: "i", Width: tc.bw, Height: tc.bh, Fit: "inside"})
		wantSize(t, m, tc.w, tc.h)
		if rd.Width != tc.w || rd.Height != tc.h {
			t.Errorf("rendition says %dx%d, want %dx%d", rd.Width, rd.Height, tc.w, tc.h)
		}
	}
}

func TestOneSideKeepsAspectRatio(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(400, 200))
	r := New(Options{})
	for _, fit := range []string{"cover", "contain", "inside"} {
		_, m := renderOne(t, r, src, messages.VariantSpec{Name: "w", Width: 201, Fit: fit})
		wantSize(t, m, 201, 101) // 100.5 rounds up
		_, m = renderOne(t, r, src, messages.VariantSpec{Name: "h", Height: 50, Fit: fit})
		wantSize(t, m, 100, 50)
	}
	// Cover and contain enlarge; inside does not.
	_, m := renderOne(t, r, src, messages.VariantSpec{Name: "big", Width: 600})
	wantSize(t, m, 600, 300)
}

func meanRGB(m *image.NRGBA) (r, g, b float64) {
	bd := m.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			c := rgb8(m, x, y)
			r, g, b = r+float64(c.R), g+float64(c.G), b+float64(c.B)
		}
	}
	n := float64(bd.Dx() * bd.Dy())
	return r / n, g / n, b / n
}

// Resampling weights sum to one, so a gradient keeps its mean colour through
// shrinking, enlarging and odd ratios.
func TestGradientKeepsMean(t *testing.T) {
	t.Parallel()
	srcImg := paint(512, 300, func(x, y int) color.NRGBA {
		return color.NRGBA{uint8(x * 255 / 511), 128, uint8(255 - x*255/511), 255}
	})
	wr, wg, wb := meanRGB(srcImg)
	src := encodePNG(t, srcImg)
	for _, tc := range []struct {
		w, h   int
		format string
		tol    float64
	}{
		{317, 0, "png", 0.75}, {1024, 0, "png", 0.75}, {100, 0, "png", 0.75}, {700, 0, "jpeg", 1.5}, {333, 0, "jpeg", 1.5},
	} {
		_, m := renderOne(t, New(Options{}), src, messages.VariantSpec{Name: "g", Width: tc.w, Height: tc.h, Format: tc.format})
		r, g, b := meanRGB(m)
		if !near(r, wr, tc.tol) || !near(g, wg, tc.tol) || !near(b, wb, tc.tol) {
			t.Errorf("%dx%d %s: mean (%.2f %.2f %.2f), source (%.2f %.2f %.2f)", tc.w, tc.h, tc.format, r, g, b, wr, wg, wb)
		}
	}
}

// A half-transparent source: the left half opaque red, the right half fully
// transparent green, so resampling without premultiplying would bleed the
// invisible green into the seam (or, with the usual transparent black, darken it).
func alphaSource(t *testing.T) []byte {
	return encodePNG(t, paint(200, 200, func(x, y int) color.NRGBA {
		if x < 100 {
			return red
		}
		return color.NRGBA{0, 255, 0, 0}
	}))
}

func TestAlphaToJPEGCompositesOnBackground(t *testing.T) {
	t.Parallel()
	_, m := renderOne(t, New(Options{}), alphaSource(t), messages.VariantSpec{Name: "a", Width: 150, Height: 150})
	if c := rgb8(m, 20, 75); !closeColor(c, red, 12) {
		t.Errorf("opaque side = %v, want red", c)
	}
	if c := rgb8(m, 130, 75); !closeColor(c, white, 6) {
		t.Errorf("transparent side = %v, want white", c)
	}
	_, m = renderOne(t, New(Options{}), alphaSource(t), messages.VariantSpec{Name: "a", Width: 150, Height: 150, Background: "#0000FF"})
	if c := rgb8(m, 130, 75); !closeColor(c, color.NRGBA{0, 0, 255, 255}, 12) {
		t.Errorf("transparent side on blue = %v, want blue", c)
	}
}

func TestAlphaToPNGKeepsAlpha(t *testing.T) {
	t.Parallel()
	_, m := renderOne(t, New(Options{}), alphaSource(t), messages.VariantSpec{Name: "a", Width: 150, Height: 150, Format: "png"})
	if c := rgb8(m, 20, 75); c != red {
		t.Errorf("opaque side = %v, want %v", c, red)
	}
	if c := rgb8(m, 130, 75); c.A != 0 {
		t.Errorf("transparent side = %v, want alpha 0", c)
	}
	// Premultiplied resampling: the semi-transparent seam is still red.
	seam := 0
	for x := 60; x < 90; x++ {
		c := rgb8(m, x, 75)
		if c.A > 0 && c.A < 255 {
			seam++
			if c.R < 240 || c.G > 16 || c.B > 16 {
				t.Errorf("seam pixel %d = %v, want red with partial alpha", x, c)
			}
		}
	}
	if seam == 0 {
		t.Error("no semi-transparent seam: resampling did not blend alpha")
	}
}

func TestJPEGSource(t *testing.T) {
	t.Parallel()
	// image/jpeg writes 4:2:0, so this exercises subsampled source planes.
	src := encodeJPEG(t, paint(640, 480, func(x, y int) color.NRGBA {
		if x >= 280 && x < 360 && y >= 200 && y < 280 {
			return red
		}
		return white
	}))
	for _, format := range []string{"jpeg", "png"} {
		_, m := renderOne(t, New(Options{}), src, messages.VariantSpec{Name: "j", Width: 320, Height: 240, Format: format})
		got := extent(m, isRed)
		if want := image.Rect(140, 100, 180, 140); abs(got.Min.X-want.Min.X) > 2 || abs(got.Min.Y-want.Min.Y) > 2 ||
			abs(got.Max.X-want.Max.X) > 2 || abs(got.Max.Y-want.Max.Y) > 2 {
			t.Errorf("%s: red square at %v, want about %v", format, got, want)
		}
	}
}

func TestOtherSourceLayouts(t *testing.T) {
	t.Parallel()
	gray := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range gray.Pix {
		gray.Pix[i] = 200
	}
	deep := image.NewNRGBA64(image.Rect(0, 0, 64, 48))
	for i := range deep.Pix {
		deep.Pix[i] = 0xff
	}
	webpLossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	webpAlpha, err := os.ReadFile("testdata/gopher-doc.with-alpha.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{
		"gray": encodePNG(t, gray), "nrgba64": encodePNG(t, deep),
		"webp-lossy": webpLossy, "webp-lossless-alpha": webpAlpha,
	} {
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{"jpeg", "png"} {
				_, m := renderOne(t, New(Options{}), src, messages.VariantSpec{Name: "o", Width: 50, Height: 30, Format: format})
				wantSize(t, m, 50, 30)
			}
		})
	}
	_, m := renderOne(t, New(Options{}), encodePNG(t, gray), messages.VariantSpec{Name: "o", Width: 32, Format: "png"})
	if c := rgb8(m, 10, 10); !closeColor(c, color.NRGBA{200, 200, 200, 255}, 0) {
		t.Errorf("grey source rendered as %v", c)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(300, 200))
	specs := []messages.VariantSpec{{Name: "e", Width: 500, Height: 200}, {Name: "thumbnail"}, {Name: "p", Width: 333, Format: "png"}, {Name: "c", Width: 300, Height: 300, Fit: "contain"}}
	a, err := New(Options{Concurrency: 1}).Render(context.Background(), src, specs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Options{Concurrency: 8}).Render(context.Background(), src, specs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s differs between renders", specs[i].Name)
		}
	}
}

func TestFiltersAgree(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(400, 300))
	spec := messages.VariantSpec{Name: "f", Width: 200, Format: "png"}
	_, a := renderOne(t, New(Options{Filter: CatmullRom}), src, spec)
	_, b := renderOne(t, New(Options{Filter: Lanczos3}), src, spec)
	ar, ag, _ := meanRGB(a)
	br, bg, _ := meanRGB(b)
	if !near(ar, br, 0.5) || !near(ag, bg, 0.5) {
		t.Errorf("CatmullRom mean (%.2f %.2f) vs Lanczos3 (%.2f %.2f)", ar, ag, br, bg)
	}
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Render(ctx, encodePNG(t, texture(10, 10)), []messages.VariantSpec{{Name: "thumbnail"}})
	if !messages.IsRetryable(err) {
		t.Fatalf("cancelled render: %v, want a retryable error", err)
	}
}

func TestKernels(t *testing.T) {
	t.Parallel()
	for _, f := range []Filter{CatmullRom, Lanczos3} {
		if f.at(0) != 1 || math.Abs(f.at(1)) > 1e-9 || math.Abs(f.at(2)) > 1e-9 || f.at(f.support()) != 0 {
			t.Errorf("filter %d is not interpolating", f)
		}
	}
}

// Odd sizes leave unpaired rows and columns in the half-resolution chroma;
// they must keep their colour, not fade towards grey or green.
func TestOddSizesKeepFlatColour(t *testing.T) {
	t.Parallel()
	want := color.NRGBA{200, 100, 50, 255}
	src := encodePNG(t, paint(33, 17, func(x, y int) color.NRGBA { return want }))
	for _, spec := range []messages.VariantSpec{
		{Name: "same", Width: 33, Height: 17},
		{Name: "up", Width: 99, Height: 51},
		{Name: "down", Width: 11, Height: 7},
	} {
		_, m := renderOne(t, New(Options{}), src, spec)
		b := m.Bounds()
		for _, p := range []image.Point{{0, 0}, {b.Dx() - 1, 0}, {0, b.Dy() - 1}, {b.Dx() - 1, b.Dy() - 1}, {b.Dx() / 2, b.Dy() / 2}} {
			if c := rgb8(m, p.X, p.Y); !closeColor(c, want, 6) {
				t.Errorf("%s: pixel %v = %v, want %v", spec.Name, p, c, want)
			}
		}
	}
}

func TestPNGCompressionOnlyChangesSize(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(120, 80))
	spec := messages.VariantSpec{Name: "p", Width: 60, Format: "png"}
	_, fast := renderOne(t, New(Options{PNGCompression: png.BestSpeed}), src, spec)
	_, small := renderOne(t, New(Options{}), src, spec)
	if !bytes.Equal(fast.Pix, small.Pix) {
		t.Fatal("compression level changed the pixels")
	}
}

package imaging

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"os"
	"slices"
	"testing"

	"github.com/ideobus/ideobus/messages"
)

// Every preset in every fit mode and output format: exact (or bounded)
// dimensions, the declared format, and a centred feature that stays centred
// and undistorted.
func TestEveryPresetFitFormat(t *testing.T) {
	t.Parallel()
	const sw, sh = 480, 320
	src := encodePNG(t, paint(sw, sh, func(x, y int) color.NRGBA {
		if dx, dy := x-sw/2, y-sh/2; dx*dx+dy*dy <= 40*40 {
			return red
		}
		return color.NRGBA{uint8(x / 2), 200, uint8(y / 2), 255}
	}))
	r := New(Options{})
	for _, format := range messages.Formats {
		for _, fit := range messages.FitModes {
			t.Run(format+"/"+fit, func(t *testing.T) {
				t.Parallel()
				var specs []messages.VariantSpec
				for _, name := range messages.PresetNames() {
					specs = append(specs, messages.VariantSpec{Name: name, Fit: fit, Format: format, Background: "#000000"}.Resolve())
				}
				out, err := r.Render(context.Background(), src, specs)
				if err != nil {
					t.Fatal(err)
				}
				for i, rd := range out {
					p := messages.Presets[specs[i].Name]
					m, got, err := image.Decode(bytes.NewReader(rd.Data))
					if err != nil {
						t.Fatalf("%s: %v", p.Name, err)
					}
					if got != format {
						t.Fatalf("%s: decoded as %s", p.Name, got)
					}
					wantSize(t, m, rd.Width, rd.Height)
					switch fit {
					case messages.FitInside: // never enlarged, aspect kept
						if rd.Width > p.Width || rd.Height > p.Height || rd.Width > sw || rd.Height > sh {
							t.Fatalf("%s inside: %dx%d", p.Name, rd.Width, rd.Height)
						}
						if d := float64(rd.Width)/float64(rd.Height) - float64(sw)/sh; d > 0.02 || d < -0.02 {
							t.Fatalf("%s inside: %dx%d changes the aspect ratio", p.Name, rd.Width, rd.Height)
						}
					default:
						if rd.Width != p.Width || rd.Height != p.Height {
							t.Fatalf("%s %s: %dx%d, want %dx%d", p.Name, fit, rd.Width, rd.Height, p.Width, p.Height)
						}
					}
					n := image.NewNRGBA(m.Bounds())
					draw.Draw(n, n.Rect, m, image.Point{}, draw.Src)
					e := extent(n, isRed)
					cx, cy := float64(e.Min.X+e.Max.X)/2, float64(e.Min.Y+e.Max.Y)/2
					if !near(cx, float64(rd.Width)/2, 2+0.01*float64(rd.Width)) || !near(cy, float64(rd.Height)/2, 2+0.01*float64(rd.Height)) {
						t.Errorf("%s: centred disc at (%.1f,%.1f) of %dx%d", p.Name, cx, cy, rd.Width, rd.Height)
					}
					if abs(e.Dx()-e.Dy()) > 3 {
						t.Errorf("%s: disc is %dx%d, distorted", p.Name, e.Dx(), e.Dy())
					}
				}
			})
		}
	}
}

// The values messages validation allows are exactly those the engine
// renders.
func TestSpecValuesMatchMessages(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(40, 30))
	r := New(Options{})
	for _, f := range messages.Formats {
		for _, fit := range messages.FitModes {
			for _, g := range messages.Gravities {
				s := messages.VariantSpec{Name: "v", Width: 20, Height: 20, Fit: fit, Gravity: g, Format: f, Quality: 50, Background: "#102030"}
				if _, err := r.check(s); err != nil {
					t.Errorf("%+v: %v", s, err)
				}
			}
		}
	}
	for _, f := range []string{"gif", "avif", "jpg", "JPEG"} {
		if slices.Contains(messages.Formats, f) {
			continue
		}
		_, err := r.Render(context.Background(), src, []messages.VariantSpec{{Name: "x", Width: 10, Format: f}})
		wantCode(t, err, messages.CodeInvalidRequest)
	}
}

// WebP output: alpha survives from PNG and WebP sources, and the bytes are
// deterministic.
func TestWebPOutput(t *testing.T) {
	t.Parallel()
	r := New(Options{})
	spec := messages.VariantSpec{Name: "a", Width: 150, Height: 150, Format: "webp", Quality: 90}
	rd, m := renderOne(t, r, alphaSource(t), spec)
	if c := rgb8(m, 20, 75); !closeColor(c, red, 20) { // lossy, 4:2:0
		t.Errorf("opaque side = %v, want red", c)
	}
	if c := rgb8(m, 130, 75); c.A != 0 {
		t.Errorf("transparent side = %v, want alpha 0", c)
	}
	again, _ := renderOne(t, r, alphaSource(t), spec)
	if !bytes.Equal(rd.Data, again.Data) {
		t.Error("webp output is not deterministic")
	}
	gopher, err := os.ReadFile("testdata/gopher-doc.with-alpha.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"webp", "png"} {
		_, m := renderOne(t, r, gopher, messages.VariantSpec{Name: "g", Width: 100, Fit: "inside", Format: format})
		transparent := 0
		for _, a := range alphaOf(m) {
			if a == 0 {
				transparent++
			}
		}
		if transparent == 0 {
			t.Errorf("%s from an alpha WebP has no transparent pixel", format)
		}
	}
	// A gradient keeps its mean colour through lossy WebP too.
	g := paint(512, 300, func(x, y int) color.NRGBA { return color.NRGBA{uint8(x * 255 / 511), 128, uint8(255 - x*255/511), 255} })
	wr, wg, wb := meanRGB(g)
	_, m = renderOne(t, r, encodePNG(t, g), messages.VariantSpec{Name: "g", Width: 333, Format: "webp"})
	if mr, mg, mb := meanRGB(m); !near(mr, wr, 2) || !near(mg, wg, 2) || !near(mb, wb, 2) {
		t.Errorf("webp mean (%.1f %.1f %.1f), source (%.1f %.1f %.1f)", mr, mg, mb, wr, wg, wb)
	}
}

func alphaOf(m *image.NRGBA) []uint8 {
	var a []uint8
	for i := 3; i < len(m.Pix); i += 4 {
		a = append(a, m.Pix[i])
	}
	return a
}

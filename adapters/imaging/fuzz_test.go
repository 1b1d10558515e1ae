package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/ideobus/ideobus/messages"
)

// FuzzRender feeds arbitrary bytes and small specs to Render. It must never
// panic, and must either render exactly what the spec asks for or fail with
// a permanent, classified error.
func FuzzRender(f *testing.F) {
	f.Add(encodePNG(f, paint(7, 5, func(x, y int) color.NRGBA { return color.NRGBA{uint8(x * 30), uint8(y * 50), 9, uint8(x * y * 8)} })),
		uint16(16), uint16(9), uint8(0), uint8(0), uint8(1))
	f.Add(encodeJPEG(f, texture(9, 11)), uint16(5), uint16(0), uint8(1), uint8(3), uint8(0))
	f.Add(pngHeader(20000, 20000), uint16(16), uint16(16), uint8(2), uint8(4), uint8(0))

	fits := []string{messages.FitCover, messages.FitContain, messages.FitInside}
	formats := []string{messages.FormatJPEG, messages.FormatPNG, messages.FormatWebP}
	r := New(Options{MaxPixels: 1 << 20, MaxBytes: 1 << 20, Concurrency: 2})
	f.Fuzz(func(t *testing.T, src []byte, w, h uint16, fit, grav, format uint8) {
		spec := messages.VariantSpec{
			Name:    "fuzz",
			Width:   int(w % 257),
			Height:  int(h % 257),
			Fit:     fits[int(fit)%len(fits)],
			Gravity: messages.Gravities[int(grav)%len(messages.Gravities)],
			Format:  formats[int(format)%len(formats)],
		}
		specs := []messages.VariantSpec{spec, {Name: "small", Width: 3, Height: 2, Format: "png"}}
		out, err := r.Render(context.Background(), src, specs)
		if err != nil {
			var e *messages.Error
			if !errors.As(err, &e) || e.Retryable {
				t.Fatalf("unclassified or retryable error %v", err)
			}
			switch e.Code {
			case messages.CodeInvalidImage, messages.CodeImageTooLarge, messages.CodeInvalidRequest:
			default:
				t.Fatalf("unexpected code %s: %v", e.Code, err)
			}
			return
		}
		if len(out) != len(specs) {
			t.Fatalf("%d renditions for %d specs", len(out), len(specs))
		}
		for i, rd := range out {
			cfg, _, err := image.DecodeConfig(bytes.NewReader(rd.Data))
			if err != nil {
				t.Fatalf("%s: output does not decode: %v", rd.Spec.Name, err)
			}
			if cfg.Width != rd.Width || cfg.Height != rd.Height {
				t.Fatalf("%s: output %dx%d, rendition says %dx%d", rd.Spec.Name, cfg.Width, cfg.Height, rd.Width, rd.Height)
			}
			s := specs[i]
			exact := s.Fit != messages.FitInside && s.Width > 0 && s.Height > 0
			if exact && (rd.Width != s.Width || rd.Height != s.Height) {
				t.Fatalf("%s: %dx%d, want exactly %dx%d", s.Name, rd.Width, rd.Height, s.Width, s.Height)
			}
			if s.Fit == messages.FitInside && ((s.Width > 0 && rd.Width > s.Width) || (s.Height > 0 && rd.Height > s.Height)) {
				t.Fatalf("%s: %dx%d overflows %dx%d", s.Name, rd.Width, rd.Height, s.Width, s.Height)
			}
		}
	})
}

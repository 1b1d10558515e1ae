package imaging

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/ideobus/ideobus/messages"
)

// pngHeader is a PNG signature and IHDR chunk claiming w x h RGBA pixels,
// with nothing after it.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, deflate, no interlace
	b = binary.BigEndian.AppendUint32(b, uint32(len(ihdr)-4))
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

var thumb = []messages.VariantSpec{{Name: "thumbnail"}}

// Not parallel: it reads the process-wide allocation counter. (Parallel tests
// only start once the sequential ones are done.)
func TestRefusesTooManyPixelsFromHeader(t *testing.T) {
	r := New(Options{})
	src := pngHeader(20000, 20000) // 1.6 GB of NRGBA if decoded
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := r.Render(context.Background(), src, thumb)
	runtime.ReadMemStats(&after)
	wantCode(t, err, messages.CodeImageTooLarge)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("refusal allocated %d bytes; the header check must come before decoding", grew)
	}
}

func TestGuards(t *testing.T) {
	t.Parallel()
	good := encodePNG(t, texture(64, 64))
	goodJPEG := encodeJPEG(t, texture(64, 64))
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for _, tc := range []struct {
		name string
		opts Options
		src  []byte
		code messages.Code
	}{
		{"bytes over limit", Options{MaxBytes: len(good) - 1}, good, messages.CodeImageTooLarge},
		{"pixels over limit", Options{MaxPixels: 64*64 - 1}, good, messages.CodeImageTooLarge},
		{"wide header", Options{}, pngHeader(1<<31-1, 1), messages.CodeImageTooLarge},
		{"zero width header", Options{}, pngHeader(0, 10), messages.CodeInvalidImage},
		{"header only", Options{}, pngHeader(10, 10), messages.CodeInvalidImage},
		{"truncated png", Options{}, good[:len(good)/2], messages.CodeInvalidImage},
		{"truncated png header", Options{}, good[:20], messages.CodeInvalidImage},
		{"truncated jpeg", Options{}, goodJPEG[:len(goodJPEG)/2], messages.CodeInvalidImage},
		{"jpeg magic only", Options{}, []byte{0xff, 0xd8}, messages.CodeInvalidImage},
		{"webp magic only", Options{}, []byte("RIFF\x04\x00\x00\x00WEBP"), messages.CodeInvalidImage},
		{"gif", Options{}, gifBuf.Bytes(), messages.CodeInvalidImage},
		{"garbage", Options{}, garbage, messages.CodeInvalidImage},
		{"empty", Options{}, nil, messages.CodeInvalidImage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := New(tc.opts).Render(context.Background(), tc.src, thumb)
			if out != nil {
				t.Errorf("got renditions with an error")
			}
			wantCode(t, err, tc.code)
		})
	}
}

func TestRejectsBadSpecs(t *testing.T) {
	t.Parallel()
	src := encodePNG(t, texture(10, 100))
	for _, spec := range []messages.VariantSpec{
		{Name: "x", Width: 100, Format: "gif"},
		{Name: "x", Width: 100, Fit: "stretch"},
		{Name: "x", Width: 100, Gravity: "up"},
		{Name: "x", Width: 100, Background: "white"},
		{Name: "x", Width: 100, Background: "#12345"},
		{Name: "x", Width: 100, Background: "#+12345"},
		{Name: "x", Width: 100, Quality: 101},
		{Name: "x", Width: -1},
		{Name: "x", Width: messages.MaxVariantSide + 1},
		{Name: "not-a-preset"},
		{Name: "derived side too long", Width: 1000}, // 10x100 source: 1000x10000
	} {
		_, err := New(Options{}).Render(context.Background(), src, []messages.VariantSpec{{Name: "thumbnail"}, spec})
		wantCode(t, err, messages.CodeInvalidRequest)
	}
	// An output over the pixel budget is refused rather than allocated.
	_, err := New(Options{MaxPixels: 5000}).Render(context.Background(), src, []messages.VariantSpec{{Name: "big", Width: 100, Height: 100}})
	wantCode(t, err, messages.CodeInvalidRequest)
}

package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/ideobus/ideobus/messages"
	"golang.org/x/image/webp"
)

// codec is one accepted source format. Formats are dispatched on their magic
// bytes rather than through image.RegisterFormat, so whatever else the
// process registers (GIF, BMP, TIFF…) never widens what a request can make
// us decode.
type codec struct {
	name         string
	match        func([]byte) bool
	decodeConfig func(io.Reader) (image.Config, error)
	decode       func(io.Reader) (image.Image, error)
}

var codecs = []codec{
	{"png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode},
	{"jpeg", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\xff\xd8")) }, jpeg.DecodeConfig, jpeg.Decode},
	{"webp", func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}, webp.DecodeConfig, webp.Decode},
}

func invalidImage(format string, args ...any) *messages.Error {
	return messages.Permanent(messages.CodeInvalidImage, format, args...)
}

// decode checks src against the limits using only its header, then decodes
// it. Every failure is a permanent *messages.Error.
func (r *Resizer) decode(src []byte) (img image.Image, err error) {
	if len(src) > r.opts.MaxBytes {
		return nil, messages.Permanent(messages.CodeImageTooLarge,
			"source is %d bytes, over the %d byte limit", len(src), r.opts.MaxBytes)
	}
	var c *codec
	for i := range codecs {
		if codecs[i].match(src) {
			c = &codecs[i]
			break
		}
	}
	if c == nil {
		return nil, invalidImage("source is not a PNG, JPEG or WebP image")
	}
	// Decoders are fed hostile bytes; a panic in one must fail the job, not
	// the process.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, invalidImage("%s decoder failed: %v", c.name, p)
		}
	}()
	cfg, err := c.decodeConfig(bytes.NewReader(src))
	if err != nil {
		return nil, invalidImage("unreadable %s header: %v", c.name, err)
	}
	if err := r.checkPixels(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err = c.decode(bytes.NewReader(src))
	if err != nil {
		return nil, invalidImage("undecodable %s: %v", c.name, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, invalidImage("%s decoded to %dx%d, header says %dx%d",
			c.name, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, nil
}

func (r *Resizer) checkPixels(w, h int) error {
	if w <= 0 || h <= 0 {
		return invalidImage("source has no pixels (%dx%d)", w, h)
	}
	if int64(w)*int64(h) > int64(r.opts.MaxPixels) {
		return messages.Permanent(messages.CodeImageTooLarge,
			"source is %dx%d, over the %d pixel limit", w, h, r.opts.MaxPixels)
	}
	return nil
}

package imaging

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"

	"github.com/ideobus/ideobus/messages"
)

// render draws one variant and encodes it.
func (r *Resizer) render(s *source, j job, l layout) ([]byte, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	var err error
	switch j.spec.Format {
	case messages.FormatPNG:
		err = r.renderPNG(buf, s, j, l)
	case messages.FormatWebP:
		err = r.renderWebP(buf, s, j, l)
	default:
		r.renderJPEG(buf, s, j, l)
	}
	if err != nil {
		return nil, messages.Permanent(messages.CodeInternal, "encode %q: %v", j.spec.Name, err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// renderJPEG resamples straight into 4:2:0 Y'CbCr, the layout image/jpeg
// encodes without any per-pixel conversion, and resamples chroma at half
// resolution: the encoder would average it down to that anyway.
func (r *Resizer) renderJPEG(buf *bytes.Buffer, s *source, j job, l layout) {
	src := s.yccPlanes(j.bg)
	cw, ch := (l.w+1)/2, (l.h+1)/2
	dst := [3]plane{
		{getBytes(l.w * l.h), l.w, l.h, l.w},
		{getBytes(cw * ch), cw, ch, cw},
		{getBytes(cw * ch), cw, ch, cw},
	}
	defer func() {
		for _, p := range dst {
			putBytes(p.pix)
		}
	}()
	var fill [3]uint8
	fill[0], fill[1], fill[2] = color.RGBToYCbCr(j.bg.R, j.bg.G, j.bg.B)
	for i, d := range dst {
		sub := 1
		if i > 0 {
			sub = 2
		}
		r.draw(d, sub, src[i], l, fill[i])
	}
	out := appendJPEG(buf.AvailableBuffer(), dst[0], dst[1], dst[2], j.spec.Quality, r.parallel)
	buf.Write(out)
}

// pngBuffers lets every Resizer reuse deflate state between PNG variants.
var pngBuffers = new(pngBufferPool)

type pngBufferPool struct{ p sync.Pool }

func (p *pngBufferPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngBufferPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

func (r *Resizer) renderPNG(buf *bytes.Buffer, s *source, j job, l layout) error {
	pix := r.drawRGBA(s, j, l, true)
	defer putBytes(pix)
	img := &image.RGBA{Pix: pix, Stride: 4 * l.w, Rect: image.Rect(0, 0, l.w, l.h)}
	enc := png.Encoder{CompressionLevel: r.opts.PNGCompression, BufferPool: pngBuffers}
	return enc.Encode(buf, img)
}

// drawRGBA renders the layout as interleaved 8-bit RGBA, premultiplied or
// not, in a pooled buffer the caller puts back.
func (r *Resizer) drawRGBA(s *source, j job, l layout, premultiplied bool) []uint8 {
	src := s.rgbaPlanes()
	n := l.w * l.h
	var dst [4]plane
	for i := range src {
		dst[i] = plane{getBytes(n), l.w, l.h, l.w}
	}
	pix := getBytes(4 * n)
	defer func() {
		for _, p := range dst {
			putBytes(p.pix)
		}
	}()
	fill := [4]uint8{j.bg.R, j.bg.G, j.bg.B, 255}
	for i := range src {
		r.draw(dst[i], 1, src[i], l, fill[i])
	}
	for y := 0; y < l.h; y++ {
		out := pix[4*y*l.w : 4*(y+1)*l.w]
		rr, gr, br := dst[0].row(y), dst[1].row(y), dst[2].row(y)
		if len(src) == 3 {
			for x := range rr {
				o := out[4*x : 4*x+4 : 4*x+4]
				o[0], o[1], o[2], o[3] = rr[x], gr[x], br[x], 255
			}
			continue
		}
		ar := dst[3].row(y)
		for x := range rr {
			a := ar[x]
			o := out[4*x : 4*x+4 : 4*x+4]
			// Kernel overshoot can push a premultiplied colour above its
			// alpha, which is not a valid colour.
			cr, cg, cb := min(rr[x], a), min(gr[x], a), min(br[x], a)
			if !premultiplied && a != 255 && a != 0 {
				cr, cg, cb = unpremul(cr, a), unpremul(cg, a), unpremul(cb, a)
			}
			o[0], o[1], o[2], o[3] = cr, cg, cb, a
		}
	}
	return pix
}

// unpremul returns round(c*255/a) for c <= a, a > 0.
func unpremul(c, a uint8) uint8 {
	return uint8((uint32(c)*255 + uint32(a)/2) / uint32(a))
}

// draw renders the layout into dst (subsampled by sub on both axes),
// letterboxing with fill.
func (r *Resizer) draw(dst plane, sub int, src srcPlane, l layout, fill uint8) {
	if l.letterboxed() {
		dst.fill(fill)
	}
	xm, ym, x0, y0, x1, y1 := l.maps(sub, sub, src.sx, src.sy)
	resample(dst, x0, y0, x1, y1, src.plane, xm, ym, r.opts.Filter)
}

package imaging

import (
	"image"
	"image/color"
	"image/draw"
	"sync"
)

// srcPlane is a source channel subsampled by (sx, sy) relative to the image.
type srcPlane struct {
	plane
	sx, sy int
}

// source is a decoded image and the planes derived from it. Planes are built
// lazily, once, and shared by the variants rendered concurrently from it.
type source struct {
	img    image.Image // *image.YCbCr, *image.NRGBA or *image.RGBA
	w, h   int
	opaque bool

	mu    sync.Mutex
	ycc   map[color.RGBA]*lazyPlanes
	rgba  lazyPlanes
	owned [][]byte // pooled buffers to hand back in release
}

type lazyPlanes struct {
	once   sync.Once
	planes []srcPlane
}

func newSource(img image.Image) *source {
	s := &source{ycc: map[color.RGBA]*lazyPlanes{}}
	switch m := img.(type) {
	case *image.YCbCr:
		if chromaSubsampling(m.SubsampleRatio) != [2]int{} {
			s.img, s.opaque = m, true
		}
	case *image.NRGBA:
		s.img, s.opaque = m, m.Opaque()
	case *image.RGBA:
		s.img, s.opaque = m, m.Opaque()
	}
	if s.img == nil {
		// Rare layouts (grey, 16-bit, paletted, CMYK, WebP with alpha) take
		// one trip through the stdlib's converters.
		b := img.Bounds()
		m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(m, m.Rect, img, b.Min, draw.Src)
		s.img, s.opaque = m, m.Opaque()
	}
	s.w, s.h = s.img.Bounds().Dx(), s.img.Bounds().Dy()
	return s
}

func chromaSubsampling(r image.YCbCrSubsampleRatio) [2]int {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return [2]int{1, 1}
	case image.YCbCrSubsampleRatio422:
		return [2]int{2, 1}
	case image.YCbCrSubsampleRatio420:
		return [2]int{2, 2}
	case image.YCbCrSubsampleRatio440:
		return [2]int{1, 2}
	case image.YCbCrSubsampleRatio411:
		return [2]int{4, 1}
	case image.YCbCrSubsampleRatio410:
		return [2]int{4, 2}
	}
	return [2]int{}
}

func (s *source) newPlane(w, h int) plane {
	buf := getBytes(w * h)
	s.mu.Lock()
	s.owned = append(s.owned, buf)
	s.mu.Unlock()
	return plane{pix: buf, w: w, h: h, stride: w}
}

// release returns the pooled plane buffers. No plane may be used after it.
func (s *source) release() {
	for _, b := range s.owned {
		putBytes(b)
	}
	s.owned = nil
}

// yccPlanes returns Y', Cb and Cr planes of the source composited over bg.
func (s *source) yccPlanes(bg color.RGBA) []srcPlane {
	if s.opaque {
		bg = color.RGBA{} // the background never shows through
	}
	s.mu.Lock()
	lp := s.ycc[bg]
	if lp == nil {
		lp = new(lazyPlanes)
		s.ycc[bg] = lp
	}
	s.mu.Unlock()
	lp.once.Do(func() { lp.planes = s.buildYCC(bg) })
	return lp.planes
}

// rgbaPlanes returns premultiplied R, G, B and, unless the source is opaque,
// A planes. Premultiplied samples resample without dark fringes around
// transparent areas.
func (s *source) rgbaPlanes() []srcPlane {
	s.rgba.once.Do(func() { s.rgba.planes = s.buildRGBA() })
	return s.rgba.planes
}

func (s *source) buildYCC(bg color.RGBA) []srcPlane {
	if m, ok := s.img.(*image.YCbCr); ok {
		ss := chromaSubsampling(m.SubsampleRatio)
		cw := (m.Rect.Max.X+ss[0]-1)/ss[0] - m.Rect.Min.X/ss[0]
		ch := (m.Rect.Max.Y+ss[1]-1)/ss[1] - m.Rect.Min.Y/ss[1]
		co := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
		return []srcPlane{
			{plane{m.Y[m.YOffset(m.Rect.Min.X, m.Rect.Min.Y):], s.w, s.h, m.YStride}, 1, 1},
			{plane{m.Cb[co:], cw, ch, m.CStride}, ss[0], ss[1]},
			{plane{m.Cr[co:], cw, ch, m.CStride}, ss[0], ss[1]},
		}
	}
	// Chroma is stored at half resolution (2x2 means, JFIF siting), as in a
	// 4:2:0 JPEG: every JPEG variant is 4:2:0, so full-resolution chroma
	// would only be filtered away again, at twice the cost.
	cw, ch := (s.w+1)/2, (s.h+1)/2
	y := s.newPlane(s.w, s.h)
	cb, cr := s.newPlane(cw, ch), s.newPlane(cw, ch)
	pix, stride, premul := s.pixels()
	sumB, sumR := getInt32s(cw), getInt32s(cw)
	defer putInt32s(sumB)
	defer putInt32s(sumR)
	for j := range s.h {
		if j%2 == 0 {
			clear(sumB)
			clear(sumR)
		}
		in := pix[j*stride : j*stride+4*s.w]
		yr := y.row(j)
		for i := range yr {
			p := in[4*i : 4*i+4 : 4*i+4]
			var r, g, b uint8
			if p[3] == 255 {
				r, g, b = p[0], p[1], p[2]
			} else {
				r, g, b = composite(p, premul, bg)
			}
			yy, cbv, crv := color.RGBToYCbCr(r, g, b)
			yr[i] = yy
			sumB[i>>1] += int32(cbv)
			sumR[i>>1] += int32(crv)
		}
		if j%2 == 1 || j == s.h-1 {
			rows := int32(1 + j%2) // an odd height leaves the last row unpaired
			finishChroma(cb.row(j/2), sumB, rows, s.w)
			finishChroma(cr.row(j/2), sumR, rows, s.w)
		}
	}
	return []srcPlane{{y, 1, 1}, {cb, 2, 2}, {cr, 2, 2}}
}

// finishChroma writes the rounded means of blocks whose sums are in sum; a
// block spans rows rows and two columns, except the last of an odd width.
func finishChroma(out []uint8, sum []int32, rows int32, w int) {
	for i, v := range sum[:len(out)] {
		n := 2 * rows
		if i == w/2 { // only reachable for an odd width
			n = rows
		}
		out[i] = uint8((v + n/2) / n)
	}
}

// composite returns an RGBA-layout pixel over an opaque background.
func composite(p []uint8, premul bool, bg color.RGBA) (uint8, uint8, uint8) {
	r, g, b, a := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
	if a == 255 {
		return uint8(r), uint8(g), uint8(b)
	}
	if !premul {
		r, g, b = (r*a+127)/255, (g*a+127)/255, (b*a+127)/255
	}
	// Premultiplied "over": c + bg*(1-a).
	ia := 255 - a
	r = min(r+(uint32(bg.R)*ia+127)/255, 255)
	g = min(g+(uint32(bg.G)*ia+127)/255, 255)
	b = min(b+(uint32(bg.B)*ia+127)/255, 255)
	return uint8(r), uint8(g), uint8(b)
}

func (s *source) buildRGBA() []srcPlane {
	r, g, b := s.newPlane(s.w, s.h), s.newPlane(s.w, s.h), s.newPlane(s.w, s.h)
	out := []srcPlane{{r, 1, 1}, {g, 1, 1}, {b, 1, 1}}
	if m, ok := s.img.(*image.YCbCr); ok {
		for j := 0; j < s.h; j++ {
			rr, gr, br := r.row(j), g.row(j), b.row(j)
			for i := range rr {
				yi := m.YOffset(m.Rect.Min.X+i, m.Rect.Min.Y+j)
				ci := m.COffset(m.Rect.Min.X+i, m.Rect.Min.Y+j)
				rr[i], gr[i], br[i] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
		return out
	}
	var a plane
	if !s.opaque {
		a = s.newPlane(s.w, s.h)
		out = append(out, srcPlane{a, 1, 1})
	}
	pix, stride, premul := s.pixels()
	for j := 0; j < s.h; j++ {
		in := pix[j*stride : j*stride+4*s.w]
		rr, gr, br := r.row(j), g.row(j), b.row(j)
		var ar []uint8
		if !s.opaque {
			ar = a.row(j)
		}
		for i := range rr {
			p := in[4*i : 4*i+4 : 4*i+4]
			cr, cg, cb, ca := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
			if !premul && ca != 255 {
				cr, cg, cb = (cr*ca+127)/255, (cg*ca+127)/255, (cb*ca+127)/255
			}
			rr[i], gr[i], br[i] = uint8(cr), uint8(cg), uint8(cb)
			if ar != nil {
				ar[i] = uint8(ca)
			}
		}
	}
	return out
}

// pixels exposes an RGBA-layout source's pixel rows.
func (s *source) pixels() (pix []uint8, stride int, premultiplied bool) {
	switch m := s.img.(type) {
	case *image.NRGBA:
		return m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, false
	case *image.RGBA:
		return m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, true
	}
	panic("imaging: pixels called on a non-RGBA source")
}

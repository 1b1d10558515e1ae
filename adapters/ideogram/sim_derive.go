package ideogram

import (
	"bytes"
	"image"
	"image/draw"
	_ "image/jpeg" // uploads may be JPEG
	_ "image/png"

	_ "golang.org/x/image/webp" // and WebP

	"github.com/ideobus/ideobus/messages"
)

// The simulator's edit, remix, upscale and reframe results are computed
// from the uploaded image, so that a test (or a person looking at the demo)
// can see that the output belongs to the input:
//
//	edit     the source, with the mask's black region repainted from the prompt
//	remix    the source cropped to the target aspect, blended with a fresh
//	         rendering by image_weight (default 50)
//	upscale  the source scaled 2x (at most maxUpscaleSide on the long side)
//	reframe  a fresh rendering at the target size with the source fitted,
//	         unchanged in proportion, in its centre (outpainting)

// maxUpscaleSide bounds upscale results, so that one request cannot make
// the simulator allocate gigabytes.
const maxUpscaleSide = 4096

// defaultImageWeight is remix's weight of the source when none is given.
const defaultImageWeight = 50

// deriveImage renders sp from its source (and mask). src and mask are the
// uploaded bytes, already validated as decodable images.
func deriveImage(sp imageSpec, src, mask []byte) (*image.RGBA, error) {
	source, err := decodeRGBA(src)
	if err != nil {
		return nil, err
	}
	switch sp.op {
	case messages.OperationEdit:
		m, err := decodeRGBA(mask)
		if err != nil {
			return nil, err
		}
		out := resize(source, sp.w, sp.h)
		maskBlend(out, renderImage(sp.prompt, sp.seed, sp.w, sp.h), resize(m, sp.w, sp.h))
		return out, nil
	case messages.OperationRemix:
		out := resize(coverCrop(source, sp.w, sp.h), sp.w, sp.h)
		mix(out, renderImage(sp.prompt, sp.seed, sp.w, sp.h), 1-float64(sp.weight)/100)
		return out, nil
	case messages.OperationUpscale:
		return resize(source, sp.w, sp.h), nil
	default: // reframe
		out := renderImage(sp.prompt, sp.seed, sp.w, sp.h)
		sw, sh := source.Rect.Dx(), source.Rect.Dy()
		scale := min(float64(sp.w)/float64(sw), float64(sp.h)/float64(sh))
		fw, fh := max(1, int(float64(sw)*scale)), max(1, int(float64(sh)*scale))
		x0, y0 := (sp.w-fw)/2, (sp.h-fh)/2
		draw.Draw(out, image.Rect(x0, y0, x0+fw, y0+fh), resize(source, fw, fh), image.Point{}, draw.Src)
		return out, nil
	}
}

// upscaleSize is the size upscale answers with for a w×h source.
func upscaleSize(w, h int) (int, int) {
	f := min(2, float64(maxUpscaleSide)/float64(max(w, h)))
	return max(1, int(float64(w)*f)), max(1, int(float64(h)*f))
}

func decodeRGBA(data []byte) (*image.RGBA, error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if rgba, ok := img.(*image.RGBA); ok && rgba.Rect.Min == (image.Point{}) {
		return rgba, nil
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out, nil
}

// coverCrop returns the centred part of src with the aspect ratio w:h.
func coverCrop(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	cw, ch := sw, sw*h/w
	if ch > sh {
		cw, ch = sh*w/h, sh
	}
	x0, y0 := (sw-cw)/2, (sh-ch)/2
	return src.SubImage(image.Rect(x0, y0, x0+max(cw, 1), y0+max(ch, 1))).(*image.RGBA)
}

// resize scales src to w×h with bilinear sampling. Like the renderer's
// loops it skips race instrumentation: the images are private to the
// rendering goroutine.
//
//go:norace
func resize(src *image.RGBA, w, h int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	if sw == w && sh == h {
		draw.Draw(out, out.Rect, src, src.Rect.Min, draw.Src)
		return out
	}
	ox, oy := src.Rect.Min.X, src.Rect.Min.Y
	for y := range h {
		fy := max(0, (float64(y)+0.5)*float64(sh)/float64(h)-0.5)
		y0 := min(int(fy), sh-1)
		y1 := min(y0+1, sh-1)
		ty := fy - float64(y0)
		for x := range w {
			fx := max(0, (float64(x)+0.5)*float64(sw)/float64(w)-0.5)
			x0 := min(int(fx), sw-1)
			x1 := min(x0+1, sw-1)
			tx := fx - float64(x0)
			p00 := src.PixOffset(ox+x0, oy+y0)
			p10 := src.PixOffset(ox+x1, oy+y0)
			p01 := src.PixOffset(ox+x0, oy+y1)
			p11 := src.PixOffset(ox+x1, oy+y1)
			d := out.PixOffset(x, y)
			for c := range 4 {
				top := float64(src.Pix[p00+c])*(1-tx) + float64(src.Pix[p10+c])*tx
				bot := float64(src.Pix[p01+c])*(1-tx) + float64(src.Pix[p11+c])*tx
				out.Pix[d+c] = uint8(top*(1-ty) + bot*ty + 0.5)
			}
		}
	}
	return out
}

// maskBlend repaints dst with fresh where mask is dark: Ideogram's masks
// mark the region to edit in black and the region to keep in white.
//
//go:norace
func maskBlend(dst, fresh, mask *image.RGBA) {
	for i := 0; i+3 < len(dst.Pix); i += 4 {
		lum := (299*int(mask.Pix[i]) + 587*int(mask.Pix[i+1]) + 114*int(mask.Pix[i+2])) / 1000
		a := 1 - float64(lum)/255
		for c := range 3 {
			dst.Pix[i+c] = uint8(float64(dst.Pix[i+c])*(1-a) + float64(fresh.Pix[i+c])*a + 0.5)
		}
		dst.Pix[i+3] = 255
	}
}

// mix blends a share t of fresh into dst.
//
//go:norace
func mix(dst, fresh *image.RGBA, t float64) {
	for i := 0; i+3 < len(dst.Pix); i += 4 {
		for c := range 3 {
			dst.Pix[i+c] = uint8(float64(dst.Pix[i+c])*(1-t) + float64(fresh.Pix[i+c])*t + 0.5)
		}
		dst.Pix[i+3] = 255
	}
}

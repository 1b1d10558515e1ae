package imaging

import (
	"math"

	"github.com/ideobus/ideobus/messages"
)

// layout is where a variant's pixels come from and go to.
type layout struct {
	w, h int // output size
	// The source is drawn into [ox, ox+fw) x [oy, oy+fh) of the output;
	// anything outside is letterbox.
	ox, oy, fw, fh int
	// crop is the source rectangle drawn, in (fractional) source pixels.
	// Fractional edges let cover keep the exact aspect ratio instead of
	// rounding the crop to whole pixels.
	cx, cy, cw, ch float64
}

func (l layout) letterboxed() bool { return l.fw != l.w || l.fh != l.h }

// gravity maps a gravity name to the fraction of the slack (overflow for
// cover, padding for contain) placed before the image on each axis.
func gravity(name string) (gx, gy float64, ok bool) {
	switch name {
	case "center", "centre", "":
		return 0.5, 0.5, true
	case "north":
		return 0.5, 0, true
	case "south":
		return 0.5, 1, true
	case "east":
		return 1, 0.5, true
	case "west":
		return 0, 0.5, true
	case "northeast":
		return 1, 0, true
	case "northwest":
		return 0, 0, true
	case "southeast":
		return 1, 1, true
	case "southwest":
		return 0, 1, true
	}
	return 0, 0, false
}

// plan computes the layout of spec over a sw x sh source. The spec has been
// validated.
func plan(spec messages.VariantSpec, sw, sh int) (layout, error) {
	w, h := spec.Width, spec.Height
	fsw, fsh := float64(sw), float64(sh)
	// A missing side follows the source's aspect ratio.
	if w == 0 {
		w = scaleSide(h, sw, sh)
	}
	if h == 0 {
		h = scaleSide(w, sh, sw)
	}
	if w > messages.MaxVariantSide || h > messages.MaxVariantSide {
		return layout{}, messages.Permanent(messages.CodeInvalidRequest,
			"variant %q would be %dx%d, over the %d pixel side limit", spec.Name, w, h, messages.MaxVariantSide)
	}
	gx, gy, _ := gravity(spec.Gravity)
	l := layout{w: w, h: h, fw: w, fh: h, cw: fsw, ch: fsh}
	switch spec.Fit {
	case messages.FitCover:
		s := math.Max(float64(w)/fsw, float64(h)/fsh)
		l.cw = math.Min(float64(w)/s, fsw)
		l.ch = math.Min(float64(h)/s, fsh)
		l.cx = (fsw - l.cw) * gx
		l.cy = (fsh - l.ch) * gy
	case messages.FitContain:
		l.fw, l.fh = fitSize(w, h, sw, sh)
		l.ox = int(math.Round(float64(w-l.fw) * gx))
		l.oy = int(math.Round(float64(h-l.fh) * gy))
	case messages.FitInside:
		if w >= sw && h >= sh {
			w, h = sw, sh
		}
		l.w, l.h = fitSize(w, h, sw, sh)
		l.fw, l.fh = l.w, l.h
	}
	return l, nil
}

// fitSize is the largest size with the source's aspect ratio that fits in
// w x h. The constrained side is kept exactly and the other derived with the
// same rounding as a missing side, so "width 201" and "inside 201x201" agree.
func fitSize(w, h, sw, sh int) (int, int) {
	if int64(w)*int64(sh) <= int64(h)*int64(sw) { // width is the constraint
		return w, min(scaleSide(w, sh, sw), h)
	}
	return min(scaleSide(h, sw, sh), w), h
}

// scaleSide returns round(n*num/den), at least 1.
func scaleSide(n, num, den int) int {
	return max(1, int(math.Round(float64(n)*float64(num)/float64(den))))
}

// maps returns the axis maps that draw the layout's crop into a destination
// plane subsampled by (dsx, dsy) from a source plane subsampled by (ssx, ssy),
// and the destination plane region covered.
func (l layout) maps(dsx, dsy, ssx, ssy int) (xm, ym axisMap, x0, y0, x1, y1 int) {
	kx := l.cw / float64(l.fw) // source pixels per output pixel
	ky := l.ch / float64(l.fh)
	xm = axisMap{
		off:   (l.cx - float64(l.ox)*kx) / float64(ssx),
		scale: kx * float64(dsx) / float64(ssx),
	}
	ym = axisMap{
		off:   (l.cy - float64(l.oy)*ky) / float64(ssy),
		scale: ky * float64(dsy) / float64(ssy),
	}
	x0, x1 = l.ox/dsx, (l.ox+l.fw+dsx-1)/dsx
	y0, y1 = l.oy/dsy, (l.oy+l.fh+dsy-1)/dsy
	return
}

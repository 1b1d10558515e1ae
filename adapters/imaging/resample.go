package imaging

import "math"

// Filter selects the resampling kernel.
type Filter int

const (
	// CatmullRom is the Keys cubic with a = -0.5: sharp, little ringing,
	// and 4 taps per axis when enlarging. It is the default.
	CatmullRom Filter = iota
	// Lanczos3 is the windowed sinc libvips and Pillow use for thumbnails:
	// slightly sharper, 6 taps per axis when enlarging.
	Lanczos3
)

// support is the kernel radius in source pixels at scale 1.
func (f Filter) support() float64 {
	if f == Lanczos3 {
		return 3
	}
	return 2
}

func (f Filter) at(x float64) float64 {
	x = math.Abs(x)
	if f == Lanczos3 {
		if x >= 3 {
			return 0
		}
		if x < 1e-9 {
			return 1
		}
		px := math.Pi * x
		return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
	}
	switch {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}

// plane is one 8-bit channel.
type plane struct {
	pix    []uint8
	w, h   int
	stride int
}

func (p plane) row(y int) []uint8 { return p.pix[y*p.stride : y*p.stride+p.w] }

func (p plane) fill(v uint8) {
	for y := 0; y < p.h; y++ {
		r := p.row(y)
		for i := range r {
			r[i] = v
		}
	}
}

// Weights are 1.14 fixed point: integer arithmetic makes the output
// bit-for-bit reproducible across platforms, and 14 bits keep the error far
// below one 8-bit step.
const (
	weightBits = 14
	// Intermediate (horizontal pass) values keep 7 fractional bits, so the
	// vertical pass adds no rounding error of its own and cannot overflow
	// int32 even with a kernel's overshoot.
	interBits = 7
	hShift    = weightBits - interBits
	vShift    = weightBits + interBits
)

// axisMap places destination pixel j's centre at source coordinate
// off + scale*(j+0.5) (continuous coordinates, pixel k spans [k, k+1)).
type axisMap struct{ off, scale float64 }

// weights is a precomputed filter table for one axis: destination pixel j
// (counted from the first pixel of the region) reads source pixels
// start[j] .. start[j]+taps-1 with weights w[j*taps:(j+1)*taps].
type weights struct {
	taps  int
	start []int32
	w     []int32
}

func makeWeights(f Filter, m axisMap, j0, j1, srcLen int) weights {
	fscale := math.Max(m.scale, 1) // widen the kernel when shrinking, to anti-alias
	support := f.support() * fscale
	n := j1 - j0
	// First find each pixel's source window, so the table is exactly as wide
	// as the widest window (4 taps, not 5, for Catmull-Rom when enlarging).
	lo, hi := make([]int, n), make([]int, n)
	taps := 1
	for j := range n {
		center := m.off + m.scale*(float64(j0+j)+0.5)
		l := max(int(math.Floor(center-support+0.5)), 0)
		h := min(int(math.Floor(center+support+0.5)), srcLen)
		if h <= l { // centre far outside the source: clamp to its edge
			l = min(max(int(math.Floor(center)), 0), srcLen-1)
			h = l + 1
		}
		lo[j], hi[j] = l, h
		taps = max(taps, h-l)
	}
	ws := weights{taps: taps, start: make([]int32, n), w: make([]int32, n*taps)}
	fw := make([]float64, taps)
	for j := range n {
		center := m.off + m.scale*(float64(j0+j)+0.5)
		start := min(lo[j], srcLen-taps)
		clear(fw)
		sum := 0.0
		for k := lo[j]; k < hi[j]; k++ {
			v := f.at((float64(k) + 0.5 - center) / fscale)
			fw[k-start] = v
			sum += v
		}
		if sum == 0 {
			fw[lo[j]-start], sum = 1, 1
		}
		row := ws.w[j*taps : (j+1)*taps]
		var isum int32
		peak := lo[j] - start
		for t, v := range fw {
			row[t] = int32(math.Round(v / sum * (1 << weightBits)))
			isum += row[t]
			if row[t] > row[peak] {
				peak = t
			}
		}
		// Make every row sum to exactly one so flat areas stay flat and the
		// mean colour is preserved.
		row[peak] += 1<<weightBits - isum
		ws.start[j] = int32(start)
	}
	return ws
}

// resample scales the src region selected by xm and ym into the dst region
// [dx0,dx1)x[dy0,dy1). It is separable: a horizontal pass over only the
// source rows the vertical pass will read, then a vertical pass.
func resample(dst plane, dx0, dy0, dx1, dy1 int, src plane, xm, ym axisMap, f Filter) {
	dw, dh := dx1-dx0, dy1-dy0
	if dw <= 0 || dh <= 0 {
		return
	}
	xw := makeWeights(f, xm, dx0, dx1, src.w)
	yw := makeWeights(f, ym, dy0, dy1, src.h)
	r0 := int(yw.start[0])
	r1 := int(yw.start[dh-1]) + yw.taps
	for _, s := range yw.start { // starts are monotonic, but do not rely on it
		r0 = min(r0, int(s))
		r1 = max(r1, int(s)+yw.taps)
	}

	tmp := getInt32s((r1 - r0) * dw)
	defer putInt32s(tmp)
	for r := r0; r < r1; r++ {
		horizontal(tmp[(r-r0)*dw:(r-r0+1)*dw], src.row(r), xw)
	}

	acc := getInt32s(dw)
	defer putInt32s(acc)
	for j := range dh {
		base := int(yw.start[j]) - r0
		rows := tmp[base*dw : (base+yw.taps)*dw]
		out := dst.pix[(dy0+j)*dst.stride+dx0 : (dy0+j)*dst.stride+dx1]
		vertical(out, rows, dw, yw.w[j*yw.taps:(j+1)*yw.taps], acc)
	}
}

// horizontal filters one source row into out. The inner loops are unrolled
// for the tap counts that dominate (Catmull-Rom and Lanczos3 when enlarging);
// this pass and vertical are where the resize time goes.
func horizontal(out []int32, in []uint8, ws weights) {
	const round = 1 << (hShift - 1)
	switch ws.taps {
	case 4:
		for x := range out {
			s := int(ws.start[x])
			p := in[s : s+4 : s+4]
			w := ws.w[x*4 : x*4+4 : x*4+4]
			sum := int32(p[0])*w[0] + int32(p[1])*w[1] + int32(p[2])*w[2] + int32(p[3])*w[3]
			out[x] = (sum + round) >> hShift
		}
	case 6:
		for x := range out {
			s := int(ws.start[x])
			p := in[s : s+6 : s+6]
			w := ws.w[x*6 : x*6+6 : x*6+6]
			sum := int32(p[0])*w[0] + int32(p[1])*w[1] + int32(p[2])*w[2] +
				int32(p[3])*w[3] + int32(p[4])*w[4] + int32(p[5])*w[5]
			out[x] = (sum + round) >> hShift
		}
	default:
		taps := ws.taps
		for x := range out {
			s := int(ws.start[x])
			p := in[s : s+taps]
			w := ws.w[x*taps : x*taps+taps]
			w = w[:len(p)]
			var sum int32
			for t, v := range p {
				sum += int32(v) * w[t]
			}
			out[x] = (sum + round) >> hShift
		}
	}
}

// vertical combines len(w) consecutive intermediate rows (each dw long) into
// one output row. acc is dw of scratch.
func vertical(out []uint8, rows []int32, dw int, w []int32, acc []int32) {
	const round = 1 << (vShift - 1)
	out = out[:dw]
	if len(w) == 4 {
		r0, r1, r2, r3 := rows[:dw], rows[dw:2*dw], rows[2*dw:3*dw], rows[3*dw:4*dw]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		w0, w1, w2, w3 := w[0], w[1], w[2], w[3]
		for x, v := range r0 {
			out[x] = clamp8((v*w0 + r1[x]*w1 + r2[x]*w2 + r3[x]*w3 + round) >> vShift)
		}
		return
	}
	// Any other width: accumulate two rows per sweep over acc.
	acc = acc[:dw]
	clear(acc)
	t := 0
	for ; t+1 < len(w); t += 2 {
		a, b := rows[t*dw:(t+1)*dw], rows[(t+1)*dw:(t+2)*dw]
		a, b = a[:len(acc)], b[:len(acc)]
		wa, wb := w[t], w[t+1]
		for x := range acc {
			acc[x] += a[x]*wa + b[x]*wb
		}
	}
	if t < len(w) {
		a := rows[t*dw : (t+1)*dw]
		a = a[:len(acc)]
		wa := w[t]
		for x := range acc {
			acc[x] += a[x] * wa
		}
	}
	for x, v := range acc {
		out[x] = clamp8((v + round) >> vShift)
	}
}

func clamp8(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}

package ideogram

import (
	"hash/fnv"
	"image"
	"math"
	"sync"
)

// renderPNG draws a deterministic w×h "landscape" for (prompt, seed): a sky
// gradient, a sun with a glow, rolling hills, a few silhouettes, film-grain
// noise and a vignette. Same inputs, same bytes. It only has to look like a
// photograph from a distance, and to be cheap: tests render many.
//
// The pixel loops are marked go:norace: the image is private to this
// goroutine until returned, and instrumenting every pixel access would make
// -race runs of every test that renders an image an order of magnitude slower.
func renderPNG(prompt string, seed int64, w, h int) []byte {
	return encodePNG(renderImage(prompt, seed, w, h))
}

// renderImage is renderPNG before encoding; the edit, remix and reframe
// renderings start from it.
func renderImage(prompt string, seed int64, w, h int) *image.RGBA {
	rng := newSplitMix(hashString(prompt) ^ uint64(seed)*0x9E3779B97F4A7C15 ^ uint64(w)<<32 ^ uint64(h))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	pal := newPalette(rng)

	horizon := hills(rng, w, h)
	paintBackground(img, pal, horizon)
	paintSun(img, rng, pal, horizon)
	paintSilhouettes(img, rng, pal, horizon)
	grainAndVignette(img, rng)
	return img
}

type rgb [3]float64

type palette struct {
	skyTop, skyLow, sun, ground, groundFar, shadow rgb
}

func newPalette(r *splitMix) palette {
	hue := r.float() * 360
	warm := hue + 150 + r.float()*60 // the sun sits opposite the sky hue
	return palette{
		skyTop:    hsv(hue, 0.55+0.3*r.float(), 0.35+0.25*r.float()),
		skyLow:    hsv(hue+25, 0.25+0.2*r.float(), 0.85+0.15*r.float()),
		sun:       hsv(warm, 0.35+0.3*r.float(), 1),
		groundFar: hsv(hue+90+r.float()*60, 0.3+0.3*r.float(), 0.45+0.2*r.float()),
		ground:    hsv(hue+100+r.float()*60, 0.4+0.3*r.float(), 0.2+0.15*r.float()),
		shadow:    hsv(hue+180, 0.3, 0.08+0.08*r.float()),
	}
}

// hills returns, per column, the row where the land starts.
func hills(r *splitMix, w, h int) []int {
	base := float64(h) * (0.55 + 0.15*r.float())
	var amp, freq, phase [3]float64
	for i := range amp {
		amp[i] = float64(h) * (0.06 / float64(i+1)) * (0.5 + r.float())
		freq[i] = (1.5 + 2.5*r.float()) * float64(i*2+1) * 2 * math.Pi / float64(w)
		phase[i] = r.float() * 2 * math.Pi
	}
	out := make([]int, w)
	for x := range out {
		y := base
		for i := range amp {
			y += amp[i] * math.Sin(float64(x)*freq[i]+phase[i])
		}
		out[x] = min(max(int(y), 0), h)
	}
	return out
}

//go:norace
func paintBackground(img *image.RGBA, p palette, horizon []int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	sky := make([][3]uint8, h)
	land := make([][3]uint8, h)
	for y := range h {
		t := float64(y) / float64(h)
		sky[y] = p.skyTop.mix(p.skyLow, math.Sqrt(t)).bytes()
		land[y] = p.groundFar.mix(p.ground, math.Min(1, t*2.5)).bytes()
	}
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			c := &sky[y]
			if y >= horizon[x] {
				c = &land[y-horizon[x]]
			}
			row[x*4], row[x*4+1], row[x*4+2], row[x*4+3] = c[0], c[1], c[2], 255
		}
	}
}

// paintSun adds a disc with a soft glow to the sky, behind the hills.
//
//go:norace
func paintSun(img *image.RGBA, r *splitMix, p palette, horizon []int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	rad := float64(min(w, h)) * (0.04 + 0.05*r.float())
	cx := float64(w) * (0.15 + 0.7*r.float())
	cy := float64(h) * (0.15 + 0.35*r.float())
	glow := rad * 4
	x0, x1 := max(0, int(cx-glow)), min(w, int(cx+glow)+1)
	y0, y1 := max(0, int(cy-glow)), min(h, int(cy+glow)+1)
	for y := y0; y < y1; y++ {
		dy := float64(y) - cy
		for x := x0; x < x1; x++ {
			if y >= horizon[x] {
				continue
			}
			dx := float64(x) - cx
			d := math.Sqrt(dx*dx + dy*dy)
			var a float64
			switch {
			case d <= rad:
				a = 1
			case d < glow:
				f := 1 - (d-rad)/(glow-rad)
				a = 0.6 * f * f
			default:
				continue
			}
			blend(img.Pix[y*img.Stride+x*4:], p.sun, a)
		}
	}
}

// paintSilhouettes stands a few dark trees (ellipse on a trunk) or blocks on
// the hills, so the picture has edges for resizers and viewers to chew on.
func paintSilhouettes(img *image.RGBA, r *splitMix, p palette, horizon []int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	n := 3 + int(r.next()%4)
	for range n {
		x := int(r.float() * float64(w))
		ground := horizon[min(x, w-1)]
		size := float64(h) * (0.05 + 0.12*r.float())
		shade := p.shadow.mix(p.ground, 0.3*r.float())
		if r.float() < 0.5 {
			// A block (a building, a rock) stands on the lowest ground under
			// it, so it never floats over a slope.
			bw, bh := int(size*(0.4+r.float())), int(size)
			x0, x1 := max(0, x-bw/2), min(w, x+bw/2)
			top := ground
			for _, g := range horizon[x0:x1] {
				top = min(top, g)
			}
			bottom := ground
			for _, g := range horizon[x0:x1] {
				bottom = max(bottom, g)
			}
			fillRect(img, x0, top-bh, x1, bottom+int(size*0.1), shade, 0.92)
			continue
		}
		trunkW := max(1, int(size*0.08))
		fillRect(img, x-trunkW, ground-int(size*0.5), x+trunkW, ground+int(size*0.1), shade, 0.95)
		fillEllipse(img, float64(x), float64(ground)-size*0.75, size*0.35, size*0.45, shade, 0.9)
	}
}

//go:norace
func fillRect(img *image.RGBA, x0, y0, x1, y1 int, c rgb, a float64) {
	b := image.Rect(x0, y0, x1, y1).Intersect(img.Rect)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			blend(img.Pix[y*img.Stride+x*4:], c, a)
		}
	}
}

//go:norace
func fillEllipse(img *image.RGBA, cx, cy, rx, ry float64, c rgb, a float64) {
	b := image.Rect(int(cx-rx), int(cy-ry), int(cx+rx)+1, int(cy+ry)+1).Intersect(img.Rect)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		dy := (float64(y) - cy) / ry
		for x := b.Min.X; x < b.Max.X; x++ {
			dx := (float64(x) - cx) / rx
			if dx*dx+dy*dy <= 1 {
				blend(img.Pix[y*img.Stride+x*4:], c, a)
			}
		}
	}
}

// grainAndVignette darkens the corners and adds luminance noise, the two
// cues that make a flat render read as a photograph.
//
//go:norace
func grainAndVignette(img *image.RGBA, r *splitMix) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	vx := make([]int32, w)
	for x := range w {
		t := 2*float64(x)/float64(w) - 1
		vx[x] = int32(256 * (1 - 0.25*t*t))
	}
	state := uint32(r.next()) | 1
	for y := range h {
		t := 2*float64(y)/float64(h) - 1
		vy := int32(256 * (1 - 0.3*t*t))
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := range w {
			// xorshift32: far cheaper per pixel than the seeded generator.
			state ^= state << 13
			state ^= state >> 17
			state ^= state << 5
			n := int32(state&15) - 8
			f := vx[x] * vy >> 8
			for c := range 3 {
				v := (int32(row[x*4+c])*f)>>8 + n
				row[x*4+c] = uint8(min(max(v, 0), 255))
			}
		}
	}
}

//go:norace
func blend(px []uint8, c rgb, a float64) {
	for i := range 3 {
		px[i] = uint8(float64(px[i])*(1-a) + c[i]*255*a)
	}
}

func (c rgb) mix(o rgb, t float64) rgb {
	return rgb{c[0] + (o[0]-c[0])*t, c[1] + (o[1]-c[1])*t, c[2] + (o[2]-c[2])*t}
}

func (c rgb) bytes() [3]uint8 {
	return [3]uint8{uint8(c[0] * 255), uint8(c[1] * 255), uint8(c[2] * 255)}
}

// hsv converts hue (degrees, any range), saturation and value in 0..1.
func hsv(h, s, v float64) rgb {
	h = math.Mod(math.Mod(h, 360)+360, 360) / 60
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	m := v - c
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return rgb{math.Min(r+m, 1), math.Min(g+m, 1), math.Min(b+m, 1)}
}

// splitMix is SplitMix64: tiny, seedable and stable across Go releases,
// unlike math/rand's unexported algorithms.
type splitMix struct{ s uint64 }

func newSplitMix(seed uint64) *splitMix { return &splitMix{s: seed} }

func (r *splitMix) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

func (r *splitMix) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// renderCache keeps recently rendered images. Concurrent requests for the
// same image wait for one render instead of each doing it.
type renderCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]*renderEntry
	order   []string // insertion order, for eviction
}

type renderEntry struct {
	once sync.Once
	data []byte
}

func (c *renderCache) get(key string, render func() []byte) []byte {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*renderEntry{}
	}
	e, ok := c.entries[key]
	if !ok {
		e = &renderEntry{}
		c.entries[key] = e
		c.order = append(c.order, key)
		for len(c.order) > c.max {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.data = render() })
	return e.data
}

// forget drops key, so that a failed render is tried again next time.
func (c *renderCache) forget(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

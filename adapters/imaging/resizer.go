package imaging

import (
	"context"
	"fmt"
	"image/color"
	"image/png"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
	"golang.org/x/sync/errgroup"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultMaxPixels = 50_000_000
	DefaultMaxBytes  = 25 << 20
)

// Options configures a Resizer. Zero fields take their defaults.
type Options struct {
	// MaxPixels bounds the source's width*height, checked from its header
	// before any pixel is decoded, and the size of any one variant.
	MaxPixels int
	// MaxBytes bounds the encoded source size.
	MaxBytes int
	// Concurrency bounds the variants of one Render call rendered at once.
	// It defaults to GOMAXPROCS.
	Concurrency int
	// Filter is the resampling kernel; CatmullRom by default.
	Filter Filter
	// PNGCompression is the deflate effort for PNG variants; the zero value
	// is png.DefaultCompression. png.BestSpeed encodes a 1080x1080 variant
	// about 1.25x (grainy photo) to 5x (smooth artwork) faster, for files
	// about 12% to 65% larger: worth it only where CPU costs more than the
	// CDN bytes each variant is served with.
	PNGCompression png.CompressionLevel
}

// Resizer renders variants from source images. It is safe for concurrent use.
type Resizer struct {
	opts Options
	// helpers bounds the goroutines that help split one variant's work
	// (JPEG strips) on top of the per-variant ones.
	helpers chan struct{}
}

var _ handlers.Resizer = (*Resizer)(nil)

// New returns a Resizer with opts, defaults filled in.
func New(opts Options) *Resizer {
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runtime.GOMAXPROCS(0)
	}
	return &Resizer{opts: opts, helpers: make(chan struct{}, opts.Concurrency)}
}

// job is one validated variant.
type job struct {
	spec messages.VariantSpec
	bg   color.RGBA
}

// Render decodes src once and renders every spec from it, returning the
// renditions in spec order. Failures are *messages.Error: invalid_image or
// image_too_large for a source it cannot or will not decode, invalid_request
// for a spec it cannot render.
// Cancellation is a retryable timeout.
func (r *Resizer) Render(ctx context.Context, src []byte, specs []messages.VariantSpec) ([]handlers.Rendition, error) {
	jobs := make([]job, len(specs))
	for i, s := range specs {
		j, err := r.check(s)
		if err != nil {
			return nil, err
		}
		jobs[i] = j
	}
	if err := ctx.Err(); err != nil {
		return nil, messages.Transient(messages.CodeTimeout, err)
	}
	img, err := r.decode(src)
	if err != nil {
		return nil, err
	}
	s := newSource(img)
	defer s.release()

	layouts := make([]layout, len(jobs))
	for i, j := range jobs {
		l, err := plan(j.spec, s.w, s.h)
		if err != nil {
			return nil, err
		}
		if int64(l.w)*int64(l.h) > int64(r.opts.MaxPixels) {
			return nil, messages.Permanent(messages.CodeInvalidRequest,
				"variant %q would be %dx%d, over the %d pixel limit", j.spec.Name, l.w, l.h, r.opts.MaxPixels)
		}
		layouts[i] = l
	}

	out := make([]handlers.Rendition, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Concurrency)
	for i, j := range jobs {
		g.Go(func() (err error) {
			// A bug here must fail this job, not take down every stage
			// running in the process.
			defer func() {
				if p := recover(); p != nil {
					err = messages.Permanent(messages.CodeInternal, "render %q panicked: %v", j.spec.Name, p)
				}
			}()
			if err := gctx.Err(); err != nil {
				return messages.Transient(messages.CodeTimeout, err)
			}
			data, err := r.render(s, j, layouts[i])
			if err != nil {
				return err
			}
			out[i] = handlers.Rendition{Spec: j.spec, Width: layouts[i].w, Height: layouts[i].h, Data: data}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func invalidSpec(s messages.VariantSpec, format string, args ...any) *messages.Error {
	return messages.Permanent(messages.CodeInvalidRequest, "variant %q: %s", s.Name, fmt.Sprintf(format, args...))
}

// check resolves and validates a spec. The request validator already
// rejects bad specs; this is the adapter refusing to trust that.
func (r *Resizer) check(s messages.VariantSpec) (job, error) {
	s = s.Resolve()
	switch {
	case s.Width < 0 || s.Width > messages.MaxVariantSide || s.Height < 0 || s.Height > messages.MaxVariantSide:
		return job{}, invalidSpec(s, "size %dx%d outside 0..%d", s.Width, s.Height, messages.MaxVariantSide)
	case s.Width == 0 && s.Height == 0:
		return job{}, invalidSpec(s, "not a preset and no width or height")
	case s.Fit != messages.FitCover && s.Fit != messages.FitContain && s.Fit != messages.FitInside:
		return job{}, invalidSpec(s, "unknown fit %q", s.Fit)
	case s.Format != messages.FormatJPEG && s.Format != messages.FormatPNG && s.Format != messages.FormatWebP:
		return job{}, invalidSpec(s, "unknown format %q", s.Format)
	case s.Quality < 0 || s.Quality > 100:
		return job{}, invalidSpec(s, "quality %d outside 1..100", s.Quality)
	}
	if _, _, ok := gravity(s.Gravity); !ok {
		return job{}, invalidSpec(s, "unknown gravity %q", s.Gravity)
	}
	bg, ok := parseColor(s.Background)
	if !ok {
		return job{}, invalidSpec(s, "background %q is not #RRGGBB", s.Background)
	}
	return job{spec: s, bg: bg}, nil
}

// parseColor reads "#RRGGBB"; empty means white.
func parseColor(s string) (color.RGBA, bool) {
	if s == "" {
		return color.RGBA{255, 255, 255, 255}, true
	}
	if len(s) != 7 || s[0] != '#' {
		return color.RGBA{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.RGBA{}, false
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}, true
}

// parallel runs f(0) .. f(n-1), on the calling goroutine and on as many
// helper goroutines as the Resizer has idle slots for. A panic in a helper
// is re-raised on the caller, where Render's recover turns it into an error.
func (r *Resizer) parallel(n int, f func(int)) {
	var next atomic.Int64
	var failed atomic.Value
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
		}
	}
	var wg sync.WaitGroup
	for k := 1; k < min(n, r.opts.Concurrency); k++ {
		select {
		case r.helpers <- struct{}{}:
		default:
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-r.helpers }()
			defer func() {
				if p := recover(); p != nil {
					failed.Store(fmt.Sprint(p))
					next.Store(int64(n)) // stop handing out work
				}
			}()
			work()
		}()
	}
	work()
	wg.Wait()
	if p := failed.Load(); p != nil {
		panic(p)
	}
}

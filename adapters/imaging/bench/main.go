// Command bench runs ideobus's variant job, disintegration/imaging and
// libvips (through govips, 2 threads) in one process on the same inputs, and
// prints medians and ratios. See README.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/davidbyttow/govips/v2/vips"
	dimaging "github.com/disintegration/imaging"
	"github.com/ideobus/ideobus/adapters/imaging"
	"github.com/ideobus/ideobus/messages"
)

var (
	count   = flag.Int("count", 7, "timed runs of each job per input (median reported)")
	load    = flag.Duration("load", 3*time.Second, "duration of each full-load (all cores busy) run")
	child   = flag.String("child", "", "internal: run one contender for the peak-RSS measurement")
	inputF  = flag.String("input", "", "internal: input name for -child")
	noRSS   = flag.Bool("norss", false, "skip the peak-RSS child processes")
	noWebP  = flag.Bool("nowebp", false, "skip the WebP measurements")
	threads = flag.Int("vips-threads", 2, "libvips worker threads")
)

// The job: og-image, instagram, twitter-header as JPEG q85.
var presets = []string{"og-image", "instagram", "twitter-header"}

type input struct {
	name string
	png  []byte
}

// photo is a deterministic opaque image with photographic statistics:
// smooth gradients, hard edges and sensor-like grain (the same generator
// as the imaging package's benchmarks).
func photo(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			base := 110 + 60*math.Sin(fx*7+fy*3) + 40*math.Cos(fy*11-fx*2)
			if (x/97+y/61)%5 == 0 {
				base += 50
			}
			n := rng.NormFloat64() * 6
			o := m.PixOffset(x, y)
			m.Pix[o+0] = uint8(max(0, min(255, base+n+20*fx)))
			m.Pix[o+1] = uint8(max(0, min(255, base*0.8+n+30*fy)))
			m.Pix[o+2] = uint8(max(0, min(255, 255-base+n)))
			m.Pix[o+3] = 255
		}
	}
	return m
}

func inputs() []input {
	var out []input
	for _, s := range [][2]int{{1024, 1024}, {1344, 768}} {
		var b bytes.Buffer
		m := photo(s[0], s[1])
		// Ideogram serves RGB PNGs: drop alpha so the PNG is colour type 2.
		rgb := image.NewNRGBA(m.Rect)
		copy(rgb.Pix, m.Pix)
		if err := png.Encode(&b, opaqueRGB{rgb}); err != nil {
			panic(err)
		}
		out = append(out, input{fmt.Sprintf("%dx%d", s[0], s[1]), b.Bytes()})
	}
	return out
}

// opaqueRGB makes png.Encode write colour type 2 (RGB) instead of RGBA.
type opaqueRGB struct{ *image.NRGBA }

func (opaqueRGB) Opaque() bool { return true }

// A contender runs the job once and returns the bytes produced.
type contender struct {
	name string
	job  func(src []byte) (int, error)
}

func ideobusJob(format string) func([]byte) (int, error) {
	r := imaging.New(imaging.Options{})
	var specs []messages.VariantSpec
	for _, p := range presets {
		specs = append(specs, messages.VariantSpec{Name: p, Format: format}.Resolve())
	}
	return func(src []byte) (int, error) {
		out, err := r.Render(context.Background(), src, specs)
		n := 0
		for _, o := range out {
			n += len(o.Data)
		}
		return n, err
	}
}

func imagingJob(src []byte) (int, error) {
	img, err := dimaging.Decode(bytes.NewReader(src))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range presets {
		s := messages.Presets[p]
		m := dimaging.Fill(img, s.Width, s.Height, dimaging.Center, dimaging.CatmullRom)
		var b bytes.Buffer
		if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 85}); err != nil {
			return 0, err
		}
		n += b.Len()
	}
	return n, nil
}

// vipsJob decodes once into memory, then thumbnails (Lanczos3, centre crop)
// and encodes each variant.
func vipsJob(format string) func([]byte) (int, error) {
	return func(src []byte) (int, error) {
		img, err := vips.LoadImageFromBuffer(src, nil)
		if err != nil {
			return 0, err
		}
		defer img.Close()
		n := 0
		for _, p := range presets {
			s := messages.Presets[p]
			c, err := img.Copy()
			if err != nil {
				return 0, err
			}
			if err := c.Thumbnail(s.Width, s.Height, vips.InterestingCentre); err != nil {
				c.Close()
				return 0, err
			}
			var b []byte
			if format == messages.FormatWebP {
				ep := vips.NewWebpExportParams()
				ep.Quality = imaging.DefaultWebPQuality
				b, _, err = c.ExportWebp(ep)
			} else {
				ep := vips.NewJpegExportParams()
				ep.Quality = 85
				ep.StripMetadata = true
				b, _, err = c.ExportJpeg(ep)
			}
			c.Close()
			if err != nil {
				return 0, err
			}
			n += len(b)
		}
		return n, nil
	}
}

// vipsThumbJob is libvips's recommended path: one thumbnail_buffer per
// variant (it re-reads the PNG each time, as PNG has no shrink-on-load).
func vipsThumbJob(src []byte) (int, error) {
	n := 0
	for _, p := range presets {
		s := messages.Presets[p]
		c, err := vips.NewThumbnailFromBuffer(src, s.Width, s.Height, vips.InterestingCentre)
		if err != nil {
			return 0, err
		}
		ep := vips.NewJpegExportParams()
		ep.Quality = 85
		ep.StripMetadata = true
		b, _, err := c.ExportJpeg(ep)
		c.Close()
		if err != nil {
			return 0, err
		}
		n += len(b)
	}
	return n, nil
}

func contenders() []contender {
	cs := []contender{
		{"ideobus", ideobusJob(messages.FormatJPEG)},
		{"imaging", imagingJob},
		{"libvips", vipsJob(messages.FormatJPEG)},
		{"libvips-thumbnail", vipsThumbJob},
	}
	if !*noWebP {
		cs = append(cs,
			contender{"ideobus-webp", ideobusJob(messages.FormatWebP)},
			contender{"libvips-webp", vipsJob(messages.FormatWebP)})
	}
	return cs
}

type result struct {
	wall            []time.Duration
	bytes           int
	allocs, allocB  float64 // Go heap, per job
	cpuMS           float64 // CPU-ms per job under full load
	rssKB           int64
	fullLoadJobsSec float64
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must(n int, err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	return n
}

func main() {
	flag.Parse()
	vips.LoggingSettings(nil, vips.LogLevelError)
	// No operation cache: every run must do the work.
	vips.Startup(&vips.Config{ConcurrencyLevel: *threads, MaxCacheFiles: 0, MaxCacheMem: 0, MaxCacheSize: 0})
	defer vips.Shutdown()

	ins := inputs()
	cs := contenders()
	if *child != "" {
		runChild(ins, cs)
		return
	}
	fmt.Printf("GOMAXPROCS=%d  libvips %s, %d threads  count=%d  full-load %v  webp via shared libwebp: %v\n",
		runtime.GOMAXPROCS(0), vips.Version, *threads, *count, *load, imaging.WebPUsesSharedLibrary())
	fmt.Println("job: decode PNG, then og-image 1200x630, instagram 1080x1080, twitter-header 1500x500 (cover, centre), JPEG q85")
	fmt.Println()

	for _, in := range ins {
		res := map[string]*result{}
		for _, c := range cs {
			res[c.name] = &result{}
			// Warm up: first-use costs (WASM compile, vips init, pools).
			for range 2 {
				res[c.name].bytes = must(c.job(in.png))
			}
		}
		// Interleaved rounds, so drift hits every contender alike.
		for range *count {
			for _, c := range cs {
				runtime.GC()
				t0 := time.Now()
				must(c.job(in.png))
				res[c.name].wall = append(res[c.name].wall, time.Since(t0))
			}
		}
		for _, c := range cs {
			r := res[c.name]
			var a, b runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&a)
			const n = 3
			for range n {
				must(c.job(in.png))
			}
			runtime.ReadMemStats(&b)
			r.allocs = float64(b.Mallocs-a.Mallocs) / n
			r.allocB = float64(b.TotalAlloc-a.TotalAlloc) / n
			r.cpuMS, r.fullLoadJobsSec = fullLoad(c, in.png)
			if !*noRSS {
				r.rssKB = childRSS(c.name, in.name)
			}
		}
		report(in, cs, res)
	}
}

// fullLoad keeps every core busy with independent jobs (GOMAXPROCS
// goroutines each running jobs back to back) and returns process CPU-ms per
// job and throughput. libvips's own threads are counted too.
func fullLoad(c contender, src []byte) (cpuMS, jobsPerSec float64) {
	var jobs atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(*load)
	runtime.GC()
	c0, t0 := cpuTime(), time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				must(c.job(src))
				jobs.Add(1)
			}
		}()
	}
	wg.Wait()
	cpu, wall := cpuTime()-c0, time.Since(t0)
	n := float64(jobs.Load())
	return float64(cpu.Microseconds()) / 1000 / n, n / wall.Seconds()
}

// childRSS re-runs this binary for one contender alone and reads its peak
// resident set size.
func childRSS(name, in string) int64 {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	args := []string{"-child", name, "-input", in, "-count", fmt.Sprint(*count), "-vips-threads", fmt.Sprint(*threads)}
	if *noWebP {
		args = append(args, "-nowebp")
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: child:", err)
		return 0
	}
	// Not rusage's ru_maxrss: Linux carries the parent's peak across the
	// vfork+exec that starts the child.
	var kb int64
	fmt.Sscan(string(out), &kb)
	return kb
}

// peakRSSKB reads VmHWM, the peak resident set, in kB.
func peakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	return 0
}

func runChild(ins []input, cs []contender) {
	// Start the peak from here: input generation is not the contender's.
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	for _, in := range ins {
		if in.name != *inputF {
			continue
		}
		for _, c := range cs {
			if c.name == *child {
				for range *count {
					must(c.job(in.png))
				}
				fmt.Println(peakRSSKB())
				return
			}
		}
	}
	fmt.Fprintln(os.Stderr, "bench: unknown child", *child, *inputF)
	os.Exit(2)
}

func report(in input, cs []contender, res map[string]*result) {
	fmt.Printf("== %s source (%d-byte PNG)\n", in.name, len(in.png))
	fmt.Printf("%-18s %10s %10s %10s %12s %10s %12s %10s\n", "contender", "median", "min", "max", "CPU-ms/job", "jobs/s", "Go allocs", "peak RSS")
	for _, c := range cs {
		r := res[c.name]
		s := slices.Clone(r.wall)
		slices.Sort(s)
		fmt.Printf("%-18s %10s %10s %10s %12.1f %10.1f %12s %10s   out %d B\n", c.name,
			ms(median(r.wall)), ms(s[0]), ms(s[len(s)-1]), r.cpuMS, r.fullLoadJobsSec,
			fmt.Sprintf("%.0f/%.1fMB", r.allocs, r.allocB/1e6), fmt.Sprintf("%.0fMB", float64(r.rssKB)/1024), r.bytes)
	}
	id, vp, im := res["ideobus"], res["libvips"], res["imaging"]
	// The libvips reference is its faster way of doing the job.
	if t := res["libvips-thumbnail"]; median(t.wall) < median(vp.wall) {
		vp = t
	}
	ratio := func(a, b *result) string {
		return fmt.Sprintf("wall %.2fx  CPU-ms %.2fx  allocs %s  peak RSS %s",
			float64(median(a.wall))/float64(median(b.wall)), a.cpuMS/b.cpuMS,
			ratioStr(a.allocs, b.allocs), ratioStr(float64(a.rssKB), float64(b.rssKB)))
	}
	verdict := "MET"
	if float64(median(id.wall)) > 0.6*float64(median(vp.wall)) {
		verdict = "NOT met"
	}
	fmt.Printf("ideobus/libvips  %s   (target wall <= 0.60x: %s)\n", ratio(id, vp), verdict)
	fmt.Printf("ideobus/imaging  %s\n", ratio(id, im))
	fmt.Println("(Go allocs count only the Go heap: libvips allocates in C, so its figure is its Go-side wrapper alone.)")
	if w, ok := res["ideobus-webp"]; ok {
		fmt.Printf("webp: ideobus-webp/ideobus(jpeg) %s  bytes %.2fx\n", ratio(w, id), float64(w.bytes)/float64(id.bytes))
		fmt.Printf("webp: ideobus-webp/libvips-webp  %s  bytes %.2fx\n", ratio(w, res["libvips-webp"]), float64(w.bytes)/float64(res["libvips-webp"].bytes))
	}
	fmt.Println()
}

func ratioStr(a, b float64) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.3gx", a/b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

package imaging

import (
	"bytes"
	"image"

	"github.com/gen2brain/webp"
)

// WebP output.
//
// The encoder is libwebp 1.x compiled to WebAssembly and run by wazero,
// through github.com/gen2brain/webp: pure Go, no cgo, no system library,
// lossy VP8 at the spec's quality. It was chosen over the alternatives with
// these measurements (2-core amd64 box, one 1080x1080 photographic variant;
// see BenchmarkWebPEncode and the bench module):
//
//   - WASM libwebp, lossy q80: 1080x1080 encodes in ~160 ms at method 0,
//     ~340 ms at method 2 and ~960 ms at libwebp's default method 4, against
//     ~12 ms for the same variant with our JPEG encoder (13x), for files
//     about 20-45% smaller than JPEG q85. The first encode in a process also
//     compiles the module: ~280 ms, once.
//   - The same libwebp as a shared library (purego, see below) or through
//     cgo takes ~37 ms at method 0: WASM costs about 4.4x native.
//   - A pure-Go lossless (VP8L) encoder would be cheaper per pixel, but a
//     lossless photo is 5-10x the bytes of JPEG q85: the opposite of why
//     CDN users ask for WebP.
//   - golang.org/x/image/webp only decodes.
//   - cgo bindings (chai2010/webp, kolesa-team/go-webp) or govips are 3-5x
//     faster, but need libwebp at build and run time, which the default
//     build must not.
//
// gen2brain/webp itself prefers a system libwebp.so through purego when the
// binary is dynamically linked and the library is installed (a faster,
// still cgo-free path); build with -tags nodynamic to always use the
// embedded WebAssembly module. Output is deterministic for a given path.

// DefaultWebPQuality is the quality of a webp variant whose spec gives none.
const DefaultWebPQuality = 80

// webpMethod is libwebp's effort (0 fastest .. 6 smallest). 4 is libwebp's
// default; under WASM it costs 6x method 0 for files within a few percent
// (on our photographic fixture method 0 was even 5% smaller), so we take 0.
const webpMethod = 0

func (r *Resizer) renderWebP(buf *bytes.Buffer, s *source, j job, l layout) error {
	pix := r.drawRGBA(s, j, l, false)
	defer putBytes(pix)
	q := j.spec.Quality
	if q == 0 {
		q = DefaultWebPQuality
	}
	img := &image.NRGBA{Pix: pix, Stride: 4 * l.w, Rect: image.Rect(0, 0, l.w, l.h)}
	return webp.Encode(buf, img, webp.Options{Quality: q, Method: webpMethod, Exact: false})
}

// WebPUsesSharedLibrary reports whether WebP encoding runs through a system
// libwebp (see above) rather than the embedded WebAssembly build.
func WebPUsesSharedLibrary() bool { return webp.Dynamic() == nil }

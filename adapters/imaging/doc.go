// Package imaging renders the resized variants of an original image: it is
// the engine behind the resize stage and implements handlers.Resizer in pure
// Go (no cgo, no system libraries).
//
// Sources may be PNG, JPEG or WebP; variants are JPEG (baseline 4:2:0), PNG
// or WebP (lossy). A source is size-checked from its header before any pixel
// is decoded, decoded once, and turned into 8-bit planes: Y'CbCr with
// half-resolution chroma for JPEG variants, premultiplied RGBA for PNG and
// WebP variants. Each variant is then cut from those planes by a separable
// fixed-point resampler (Catmull-Rom by default) that only touches the
// source pixels the variant keeps, and encoded. Variants of one image run
// concurrently, bounded by Options.Concurrency (GOMAXPROCS); a JPEG variant
// is further split into strips of MCU rows that idle workers help encode.
//
// Encoders, and why (measured on the 2-core benchmark box; figures in
// bench/README.md and the issue note):
//
//   - JPEG: our own encoder (jpegenc.go). image/jpeg was half of a job's
//     CPU; ours keeps its DCT, tables and quality scale (identical
//     coefficients, so identical PSNR at the same quality, tested) and is
//     about 3x faster serially on a 1200x630 variant (8 ms vs 25 ms), more
//     with strips encoded in parallel.
//   - PNG: image/png with pooled deflate state.
//   - WebP: libwebp compiled to WebAssembly (gen2brain/webp on wazero), see
//     webp.go for the costs and the alternatives.
//
// Where the time goes in the default job (decode a 1024x1024 PNG, three
// JPEG presets): PNG inflate (compress/flate, inherently serial) is the
// largest single cost and sits on the critical path before any variant can
// start; then resampling and JPEG encoding, which run on all cores.
//
// All resampling arithmetic is integer, so the same input yields the same
// bytes on every platform. Resampling happens in the gamma-encoded sRGB
// space, as most CDN image services do; embedded ICC profiles and EXIF
// orientation are ignored.
package imaging

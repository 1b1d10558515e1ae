// Package imaging renders the resized variants of an original image: it is
// the engine behind the resize stage and implements handlers.Resizer in pure
// Go (no cgo, no system libraries).
//
// Sources may be PNG, JPEG or WebP; variants are JPEG (4:2:0) or PNG. A
// source is size-checked from its header before any pixel is decoded, decoded
// once, and turned into 8-bit planes: Y'CbCr with half-resolution chroma for
// JPEG variants, premultiplied RGBA for PNG variants. Each variant is then cut
// from those planes by a separable fixed-point resampler (Catmull-Rom by
// default) that only touches the source pixels the variant keeps, and
// encoded. Variants of one image run concurrently. All arithmetic is integer,
// so the same input yields the same bytes on every platform.
//
// Resampling happens in the gamma-encoded sRGB space, as most CDN image
// services do; embedded ICC profiles and EXIF orientation are ignored.
package imaging

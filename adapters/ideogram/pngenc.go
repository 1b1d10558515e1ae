package ideogram

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
)

// encodePNG writes an opaque RGBA image as an 8-bit RGB PNG, unfiltered and
// with stored (uncompressed) deflate blocks. image/png spends most of its
// time choosing a filter per row and compressing, which buys little on grainy
// pictures and costs dearly under the race detector, both here and in every
// stage that decodes these images in tests. The files are about 3 MB per
// megapixel: well inside the download cap, and a valid PNG for any decoder.
func encodePNG(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	raw := rgbScanlines(img)

	var buf bytes.Buffer
	buf.Grow(len(raw) + len(raw)/65535*5 + 128)
	buf.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // bit depth 8, colour type RGB; compression, filter, interlace 0
	writeChunk(&buf, "IHDR", ihdr[:])
	writeChunk(&buf, "IDAT", storedZlib(raw))
	writeChunk(&buf, "IEND", nil)
	return buf.Bytes()
}

// rgbScanlines lays out the image as PNG scanlines: a filter byte (0, None)
// then RGB triples.
//
// The image is private to the rendering goroutine, so the race detector has
// nothing to find here, and instrumenting millions of byte accesses would
// make -race test runs an order of magnitude slower.
//
//go:norace
func rgbScanlines(img *image.RGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	stride := 1 + 3*w
	raw := make([]byte, h*stride)
	for y := range h {
		src := img.Pix[y*img.Stride : y*img.Stride+4*w]
		dst := raw[y*stride+1 : (y+1)*stride]
		for x := range w {
			dst[x*3], dst[x*3+1], dst[x*3+2] = src[x*4], src[x*4+1], src[x*4+2]
		}
	}
	return raw
}

// storedZlib wraps data in a zlib stream of stored deflate blocks (RFC 1950,
// RFC 1951 section 3.2.4).
func storedZlib(data []byte) []byte {
	const maxBlock = 65535
	out := make([]byte, 0, len(data)+len(data)/maxBlock*5+16)
	out = append(out, 0x78, 0x01) // deflate, 32K window, no dictionary, fastest
	for off := 0; ; {
		n := min(maxBlock, len(data)-off)
		final := byte(0)
		if off+n == len(data) {
			final = 1
		}
		out = append(out, final, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		out = append(out, data[off:off+n]...)
		off += n
		if final == 1 {
			break
		}
	}
	return binary.BigEndian.AppendUint32(out, adler32.Checksum(data))
}

func writeChunk(buf *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	buf.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	buf.WriteString(typ)
	buf.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	buf.Write(n[:])
}

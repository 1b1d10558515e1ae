package imaging

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"sync/atomic"
)

// This file is our JPEG encoder. image/jpeg was about half of a variant
// job's CPU: it converts every chroma sample from full resolution and
// averages it down again, divides every coefficient, and writes the entropy
// coded data a byte at a time through an interface. This encoder writes only
// what the variants need — baseline, Y'CbCr 4:2:0, the Annex K tables scaled
// exactly as image/jpeg scales them — and reads straight from our planes:
//
//   - The forward DCT is image/jpeg's exact integer one (fdctCols/fdctRows
//     below), so for the same samples the quantised coefficients, and so the
//     quality, are identical to the standard library's.
//   - Quantisation multiplies by a 32-bit reciprocal instead of dividing
//     (exact for every value a DCT can produce: see quantTables).
//   - The zig-zag scan builds a 64-bit mask of non-zero coefficients and
//     walks it with TrailingZeros, so long zero runs cost nothing.
//   - A Huffman code and its value bits go into a 64-bit accumulator in one
//     step; 32 bits at a time leave it, with a word-wide check for the 0xFF
//     bytes that need stuffing.
//   - Every MCU row is its own restart interval (DRI + RSTn). Rows are then
//     independent, so one image's rows are encoded by several goroutines
//     into separate buffers and concatenated. The bytes do not depend on
//     how many goroutines took part: output is deterministic.
//
// The restart markers cost 2 bytes and at most 7 padding bits per 16 pixel
// rows (about 0.05% of a 1200x630 variant at q85), and every decoder,
// image/jpeg and libjpeg included, supports them.

// jpegQuant is the quantisation state for one quality.
type jpegQuant struct {
	dqt [2][64]byte // zig-zag order, as written in DQT
	// half and recip per zig-zag position: q = ((|x| + half) * recip) >> 32
	// equals image/jpeg's div(x, 8*dqt).
	half  [2][64]uint32
	recip [2][64]uint64
}

var jpegQuants [101]atomic.Pointer[jpegQuant]

// quantTables returns the tables for quality (1..100), computing them once.
//
// Exactness of the reciprocal: with d = 8*dqt <= 2040 and m = floor(2^32/d)+1,
// (a*m)>>32 = floor(a/d) whenever a < 2^32/d (> 2^21). The DCT outputs are
// below 2^16 in magnitude, so a = |x| + d/2 always is.
func quantTables(quality int) *jpegQuant {
	quality = min(max(quality, 1), 100)
	if q := jpegQuants[quality].Load(); q != nil {
		return q
	}
	var scale int
	if quality < 50 {
		scale = 5000 / quality
	} else {
		scale = 200 - quality*2
	}
	q := new(jpegQuant)
	for i := range 2 {
		for j := range 64 {
			x := (int(jpegUnscaledQuant[i][j])*scale + 50) / 100
			x = min(max(x, 1), 255)
			q.dqt[i][j] = uint8(x)
			d := uint64(8 * x)
			q.half[i][j] = uint32(d >> 1)
			q.recip[i][j] = (1<<32)/d + 1
		}
	}
	jpegQuants[quality].Store(q)
	return q
}

// huffEnc is a compiled Huffman table: for symbol s, code[s] holds the
// codeword and size[s] its length.
type huffEnc struct {
	code [256]uint32
	size [256]uint8
}

var jpegHuff = func() (h [4]huffEnc) {
	for i, s := range jpegHuffSpecs {
		code, k := uint32(0), 0
		for n := range 16 {
			for range s.count[n] {
				h[i].code[s.value[k]] = code
				h[i].size[s.value[k]] = uint8(n + 1)
				code++
				k++
			}
			code <<= 1
		}
	}
	return h
}()

// bitWriter accumulates entropy-coded bits, right-aligned in acc.
type bitWriter struct {
	out []byte
	acc uint64
	n   uint // bits held in acc, < 32 between calls
}

// put appends the low nb bits of v; nb <= 32.
func (w *bitWriter) put(v uint32, nb uint) {
	w.acc = w.acc<<nb | uint64(v)
	w.n += nb
	if w.n >= 32 {
		w.n -= 32
		word := uint32(w.acc >> w.n)
		// Any 0xFF byte? (has-zero-byte test on the complement)
		x := ^word
		if (x-0x01010101)&^x&0x80808080 == 0 {
			w.out = binary.BigEndian.AppendUint32(w.out, word)
			return
		}
		for s := 24; s >= 0; s -= 8 {
			b := byte(word >> s)
			w.out = append(w.out, b)
			if b == 0xff {
				w.out = append(w.out, 0)
			}
		}
	}
}

// pad flushes whole bytes, filling the last partial byte with ones.
func (w *bitWriter) pad() {
	if r := w.n % 8; r != 0 {
		w.put(1<<(8-r)-1, 8-r)
	}
	for w.n > 0 {
		w.n -= 8
		b := byte(w.acc >> w.n)
		w.out = append(w.out, b)
		if b == 0xff {
			w.out = append(w.out, 0)
		}
	}
	w.acc = 0
}

// magnitude returns the JPEG size category of v and its value bits.
func magnitude(v int32) (size uint, bits32 uint32) {
	a := v
	if a < 0 {
		a = -a
		v--
	}
	size = uint(bits.Len32(uint32(a)))
	return size, uint32(v) & (1<<size - 1)
}

// encodeBlock quantises and entropy-codes one DCT'd block (natural order),
// returning its quantised DC.
func (w *bitWriter) encodeBlock(b *[64]int32, q *jpegQuant, t int, prevDC int32) int32 {
	half, recip := &q.half[t], &q.recip[t]
	var zz [64]int32
	var nz uint64
	// Branch-free: the signs of coefficients are unpredictable.
	for k := range 64 {
		x := b[jpegUnzig[k]&63]
		sign := x >> 31
		a := uint32((x ^ sign) - sign)
		v := int32((uint64(a+half[k]) * recip[k]) >> 32)
		v = (v ^ sign) - sign
		zz[k] = v
		nz |= uint64(uint32(v|-v)>>31) << k
	}
	dc := &jpegHuff[2*t]
	ac := &jpegHuff[2*t+1]

	s, vb := magnitude(zz[0] - prevDC)
	w.put(dc.code[s]<<s|vb, uint(dc.size[s])+s)

	nz >>= 1 // bit i is now zig-zag position i+1
	pos := 1
	for nz != 0 {
		run := bits.TrailingZeros64(nz)
		pos += run
		nz >>= uint(run) + 1
		for run > 15 {
			w.put(ac.code[0xf0], uint(ac.size[0xf0]))
			run -= 16
		}
		s, vb := magnitude(zz[pos])
		sym := byte(run<<4) | byte(s)
		w.put(ac.code[sym]<<s|vb, uint(ac.size[sym])+s)
		pos++
	}
	if pos < 64 {
		w.put(ac.code[0], uint(ac.size[0]))
	}
	return zz[0]
}

// loadBlock copies the 8x8 block at (x, y) of p into b, replicating the
// last column and row past the plane's edge.
func loadBlock(b *[64]int32, p plane, x, y int) {
	if x+8 <= p.w && y+8 <= p.h {
		for j := range 8 {
			r := p.pix[(y+j)*p.stride+x : (y+j)*p.stride+x+8 : (y+j)*p.stride+x+8]
			o := b[8*j : 8*j+8 : 8*j+8]
			o[0], o[1], o[2], o[3] = int32(r[0]), int32(r[1]), int32(r[2]), int32(r[3])
			o[4], o[5], o[6], o[7] = int32(r[4]), int32(r[5]), int32(r[6]), int32(r[7])
		}
		return
	}
	for j := range 8 {
		r := p.row(min(y+j, p.h-1))
		for i := range 8 {
			b[8*j+i] = int32(r[min(x+i, p.w-1)])
		}
	}
}

// encodeMCURow encodes MCU row my (16 luma rows) of the image.
func (w *bitWriter) encodeMCURow(yp, cb, cr plane, q *jpegQuant, my int) {
	var b [64]int32
	var dcY, dcB, dcR int32
	mcus := (yp.w + 15) / 16
	y0 := 16 * my
	for mx := range mcus {
		x0 := 16 * mx
		for k := range 4 {
			loadBlock(&b, yp, x0+8*(k&1), y0+8*(k>>1))
			fdct(&b)
			dcY = w.encodeBlock(&b, q, 0, dcY)
		}
		loadBlock(&b, cb, 8*mx, 8*my)
		fdct(&b)
		dcB = w.encodeBlock(&b, q, 1, dcB)
		loadBlock(&b, cr, 8*mx, 8*my)
		fdct(&b)
		dcR = w.encodeBlock(&b, q, 1, dcR)
	}
	w.pad()
}

// jpegStrips holds per-strip output buffers between encodes.
var jpegStrips = sync.Pool{New: func() any { return new([]byte) }}

// rowsPerStrip groups MCU rows into units of parallel work: big enough
// that handing one out costs nothing, small enough to balance two cores.
const rowsPerStrip = 4

// appendJPEG appends a baseline 4:2:0 JFIF JPEG of the planes to dst: y is
// w x h, cb and cr are (w+1)/2 x (h+1)/2. par runs its function on strip
// indices 0..n-1, possibly concurrently.
func appendJPEG(dst []byte, yp, cb, cr plane, quality int, par func(n int, f func(i int))) []byte {
	q := quantTables(quality)
	w, h := yp.w, yp.h
	mcuRows := (h + 15) / 16
	mcus := (w + 15) / 16

	// Headers: SOI, APP0 (JFIF 1.01, no thumbnail), DQT, SOF0, DHT, DRI, SOS.
	dst = append(dst, 0xff, 0xd8,
		0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	dst = append(dst, 0xff, 0xdb, 0, 2+2*65)
	for i := range 2 {
		dst = append(dst, byte(i))
		dst = append(dst, q.dqt[i][:]...)
	}
	dst = append(dst, 0xff, 0xc0, 0, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	n := 2
	for _, s := range jpegHuffSpecs {
		n += 17 + len(s.value)
	}
	dst = append(dst, 0xff, 0xc4, byte(n>>8), byte(n))
	for i, s := range jpegHuffSpecs {
		dst = append(dst, "\x00\x10\x01\x11"[i])
		dst = append(dst, s.count[:]...)
		dst = append(dst, s.value...)
	}
	// One restart interval per MCU row (mcus <= 512 for an 8192 wide image).
	dst = append(dst, 0xff, 0xdd, 0, 4, byte(mcus>>8), byte(mcus))
	dst = append(dst, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)

	strips := (mcuRows + rowsPerStrip - 1) / rowsPerStrip
	outs := make([]*[]byte, strips)
	par(strips, func(i int) {
		buf := jpegStrips.Get().(*[]byte)
		bw := bitWriter{out: (*buf)[:0]}
		for my := i * rowsPerStrip; my < min((i+1)*rowsPerStrip, mcuRows); my++ {
			if my > 0 {
				bw.out = append(bw.out, 0xff, 0xd0+byte((my-1)%8))
			}
			bw.encodeMCURow(yp, cb, cr, q, my)
		}
		*buf = bw.out
		outs[i] = buf
	})
	for _, b := range outs {
		dst = append(dst, *b...)
		*b = (*b)[:0]
		jpegStrips.Put(b)
	}
	return append(dst, 0xff, 0xd9)
}

// The forward DCT below is image/jpeg's (BSD licence, Copyright The Go
// Authors), kept identical so our coefficients are the standard library's.
// Inputs are samples in [0,255]; outputs are 8x the orthonormal DCT.

const (
	cos1       = 1130768441178740757 // fix cos 1*pi/16
	sin1       = 224923827593068887  // fix sin 1*pi/16
	cos3       = 958619196450722178  // fix cos 3*pi/16
	sin3       = 640528868967736374  // fix sin 3*pi/16
	sqrt2      = 1630477228166597777 // fix sqrt 2
	sqrt2_cos6 = 623956622067911264  // fix (sqrt 2)*cos 6*pi/16
	sqrt2_sin6 = 1506364539328854985 // fix (sqrt 2)*sin 6*pi/16
)

// fc converts a 60-bit fixed-point constant to bits fractional bits.
func fc(x uint64, bits int) int32 {
	return int32((x + (1 << (59 - bits))) >> (60 - bits))
}

func dctBox(x0, x1, kcos, ksin int32) (y0, y1 int32) {
	ksum := kcos * (x0 + x1)
	y0 = ksum + (ksin-kcos)*x1
	y1 = ksum - (kcos+ksin)*x0
	return y0, y1
}

func fdct(b *[64]int32) {
	fdctCols(b)
	fdctRows(b)
}

func fdctCols(b *[64]int32) {
	for i := range 8 {
		x0, x1, x2, x3 := b[0*8+i], b[1*8+i], b[2*8+i], b[3*8+i]
		x4, x5, x6, x7 := b[4*8+i], b[5*8+i], b[6*8+i], b[7*8+i]
		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4
		x4, x7 = dctBox(x4, x7, fc(cos3, 18), fc(sin3, 18))
		x5, x6 = dctBox(x5, x6, fc(cos1, 18), fc(sin1, 18))
		x0, x3 = x0+x3, x0-x3
		x1, x2 = x1+x2, x1-x2
		x2, x3 = dctBox(x2, x3, fc(sqrt2_cos6, 18), fc(sqrt2_sin6, 18))
		x0, x1 = x0+x1, x0-x1
		b[0*8+i] = (x0 - 128*8) << 18
		b[4*8+i] = x1 << 18
		b[2*8+i] = x2
		b[6*8+i] = x3
		x4, x6 = x4+x6, x4-x6
		x7, x5 = x7+x5, x7-x5
		x5 = (x5 >> 12) * fc(sqrt2, 12)
		x6 = (x6 >> 12) * fc(sqrt2, 12)
		x7, x4 = x7+x4, x7-x4
		b[1*8+i] = x7
		b[3*8+i] = x5
		b[5*8+i] = x6
		b[7*8+i] = x4
	}
}

func fdctRows(b *[64]int32) {
	for i := range 8 {
		x := b[8*i : 8*i+8 : 8*i+8]
		x0, x1, x2, x3, x4, x5, x6, x7 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]
		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4
		x4, x7 = dctBox(x4>>14, x7>>14, fc(cos3, 14), fc(sin3, 14))
		x5, x6 = dctBox(x5>>14, x6>>14, fc(cos1, 14), fc(sin1, 14))
		x0, x3 = x0+x3, x0-x3
		x1, x2 = x1+x2, x1-x2
		x2, x3 = dctBox(x2>>14, x3>>14, fc(sqrt2_cos6, 14), fc(sqrt2_sin6, 14))
		x0, x1 = x0+x1, x0-x1
		x4, x6 = x4+x6, x4-x6
		x7, x5 = x7+x5, x7-x5
		x5 = (x5 >> 14) * fc(sqrt2, 14)
		x6 = (x6 >> 14) * fc(sqrt2, 14)
		x7, x4 = x7+x4, x7-x4
		x[0] = (x0 + 1<<17) >> 18
		x[1] = (x7 + 1<<17) >> 18
		x[2] = (x2 + 1<<17) >> 18
		x[3] = (x5 + 1<<17) >> 18
		x[4] = (x1 + 1<<17) >> 18
		x[5] = (x6 + 1<<17) >> 18
		x[6] = (x3 + 1<<17) >> 18
		x[7] = (x4 + 1<<17) >> 18
	}
}

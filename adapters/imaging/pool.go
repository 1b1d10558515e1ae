package imaging

import (
	"bytes"
	"math/bits"
	"sync"
)

// Scratch buffers are pooled because a busy resize stage renders the same few
// sizes over and over; reusing them keeps the garbage collector out of the
// hot path. Buffers are bucketed by power-of-two capacity so a small chroma
// plane never evicts a large luma plane, and pointers to slices are pooled
// so that Put does not allocate.
const poolBuckets = 40

var (
	bytePools  [poolBuckets]sync.Pool // *[]byte
	int32Pools [poolBuckets]sync.Pool // *[]int32
	bufPool    = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

func bucket(n int) int { return bits.Len(uint(n - 1)) }

// getBytes returns a slice of length n with unspecified contents.
func getBytes(n int) []byte {
	if n <= 0 {
		return nil
	}
	k := bucket(n)
	if k >= poolBuckets {
		return make([]byte, n)
	}
	if p, ok := bytePools[k].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<k)
}

func putBytes(b []byte) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 || bucket(c) >= poolBuckets {
		return // not ours
	}
	b = b[:c]
	bytePools[bucket(c)].Put(&b)
}

// getInt32s returns a slice of length n with unspecified contents.
func getInt32s(n int) []int32 {
	if n <= 0 {
		return nil
	}
	k := bucket(n)
	if k >= poolBuckets {
		return make([]int32, n)
	}
	if p, ok := int32Pools[k].Get().(*[]int32); ok {
		return (*p)[:n]
	}
	return make([]int32, n, 1<<k)
}

func putInt32s(b []int32) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 || bucket(c) >= poolBuckets {
		return
	}
	b = b[:c]
	int32Pools[bucket(c)].Put(&b)
}

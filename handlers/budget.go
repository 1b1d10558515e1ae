package handlers

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// DefaultInflightImages is Ideogram's default limit of images in flight per
// organisation.
const DefaultInflightImages = 10

// Budget is the generate stage's share of Ideogram's in-flight limit: one
// weighted semaphore held across all of the stage's goroutines, each call
// weighing its number of images, so the stage's own load never draws a 429.
type Budget struct {
	sem      *semaphore.Weighted
	capacity int64
	inUse    atomic.Int64
}

// NewBudget returns a budget of capacity images in flight (at least 1).
func NewBudget(capacity int) *Budget {
	if capacity < 1 {
		capacity = 1
	}
	return &Budget{sem: semaphore.NewWeighted(int64(capacity)), capacity: int64(capacity)}
}

// Acquire waits until n images fit in the budget. A request for more than the
// whole budget waits for all of it.
func (b *Budget) Acquire(ctx context.Context, n int) (release func(), err error) {
	w := int64(n)
	if w > b.capacity {
		w = b.capacity
	}
	if w < 1 {
		w = 1
	}
	if err := b.sem.Acquire(ctx, w); err != nil {
		return nil, err
	}
	b.inUse.Add(w)
	return func() {
		b.inUse.Add(-w)
		b.sem.Release(w)
	}, nil
}

// Capacity is the budget's size in images.
func (b *Budget) Capacity() int { return int(b.capacity) }

// InUse is the number of images in flight now.
func (b *Budget) InUse() int { return int(b.inUse.Load()) }

package messages

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// SeenStore remembers which event IDs a consumer has handled, so at-least-once
// duplicates are dropped. A Consumer marks an ID only after its handler
// succeeded: a failed event must come back (unlike watermill's Deduplicator,
// which records before the handler runs).
type SeenStore interface {
	Seen(ctx context.Context, eventID string) (bool, error)
	MarkSeen(ctx context.Context, eventID string) error
}

// Consumer dispatches outcome events from any Watermill subscriber to typed
// callbacks. A callback error nacks the message, so it is delivered again.
type Consumer struct {
	sub    message.Subscriber
	topics Topics
	seen   SeenStore

	onCompleted func(context.Context, GenerationCompleted) error
	onFailed    func(context.Context, GenerationFailed) error
	onBatch     func(context.Context, BatchCompleted) error
	onDecode    func(*message.Message, error) error
}

// NewConsumer returns a Consumer of the outcome topics (the default topics
// when topics is the zero value). seen may be nil (no de-duplication).
func NewConsumer(sub message.Subscriber, topics Topics, seen SeenStore) *Consumer {
	if topics == (Topics{}) {
		topics = DefaultTopics()
	}
	return &Consumer{sub: sub, topics: topics, seen: seen}
}

// OnCompleted registers the handler of ideogram.generation.completed.
func (c *Consumer) OnCompleted(fn func(context.Context, GenerationCompleted) error) {
	c.onCompleted = fn
}

// OnFailed registers the handler of ideogram.generation.failed.
func (c *Consumer) OnFailed(fn func(context.Context, GenerationFailed) error) { c.onFailed = fn }

// OnBatchCompleted registers the handler of ideogram.batch.completed.
func (c *Consumer) OnBatchCompleted(fn func(context.Context, BatchCompleted) error) { c.onBatch = fn }

// OnDecodeError decides what happens to a message that cannot be decoded:
// return nil to skip it (it is acked), or an error to stop Run with it.
// Without this hook, Run stops with a *DecodeError naming the topic and
// message, rather than dropping data silently.
func (c *Consumer) OnDecodeError(fn func(*message.Message, error) error) { c.onDecode = fn }

// Run consumes until ctx ends (returning nil) or a decode error stops it. It
// subscribes to the topics of the registered handlers only.
func (c *Consumer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type sub struct {
		topic, typ string
	}
	var subs []sub
	if c.onCompleted != nil {
		subs = append(subs, sub{c.topics.Completed, TypeCompleted})
	}
	if c.onFailed != nil {
		subs = append(subs, sub{c.topics.Failed, TypeFailed})
	}
	if c.onBatch != nil {
		subs = append(subs, sub{c.topics.BatchCompleted, TypeBatchCompleted})
	}
	if len(subs) == 0 {
		return errors.New("consumer: no handler registered")
	}
	errc := make(chan error, len(subs))
	var wg sync.WaitGroup
	for _, s := range subs {
		ch, err := c.sub.Subscribe(ctx, s.topic)
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", s.topic, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range ch {
				if err := c.handle(m, s.topic, s.typ); err != nil {
					errc <- err
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func (c *Consumer) handle(m *message.Message, topic, typ string) error {
	ctx := m.Context()
	id := m.Metadata.Get(HeaderID)
	if id == "" {
		id = m.UUID
	}
	if c.seen != nil {
		dup, err := c.seen.Seen(ctx, id)
		if err != nil {
			m.Nack()
			return nil
		}
		if dup {
			m.Ack()
			return nil
		}
	}
	err := c.dispatch(ctx, m, typ)
	var de *DecodeError
	if errors.As(err, &de) {
		if c.onDecode != nil {
			if herr := c.onDecode(m, err); herr != nil {
				m.Nack()
				return herr
			}
			m.Ack()
			return nil
		}
		m.Nack()
		return fmt.Errorf("consumer: message %s on %s: %w", m.UUID, topic, err)
	}
	if err != nil {
		m.Nack()
		return nil
	}
	if c.seen != nil {
		if err := c.seen.MarkSeen(ctx, id); err != nil {
			// Handled but not remembered: a redelivery would run it again,
			// which at-least-once permits; acking is still right.
			_ = err
		}
	}
	m.Ack()
	return nil
}

func (c *Consumer) dispatch(ctx context.Context, m *message.Message, typ string) error {
	switch typ {
	case TypeCompleted:
		var v GenerationCompleted
		if err := Decode(m, typ, &v); err != nil {
			return err
		}
		return c.onCompleted(ctx, v)
	case TypeFailed:
		var v GenerationFailed
		if err := Decode(m, typ, &v); err != nil {
			return err
		}
		return c.onFailed(ctx, v)
	default:
		var v BatchCompleted
		if err := Decode(m, typ, &v); err != nil {
			return err
		}
		return c.onBatch(ctx, v)
	}
}

// MemorySeenStore is a SeenStore in memory holding the most recent IDs, for a
// single consumer process. Use a shared store (Redis, a database) when
// several processes consume one group.
type MemorySeenStore struct {
	mu    sync.Mutex
	max   int
	order []string
	set   map[string]bool
}

// NewMemorySeenStore remembers up to max IDs (default 100000).
func NewMemorySeenStore(max int) *MemorySeenStore {
	if max <= 0 {
		max = 100000
	}
	return &MemorySeenStore{max: max, set: map[string]bool{}}
}

// Seen implements SeenStore.
func (s *MemorySeenStore) Seen(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set[id], nil
}

// MarkSeen implements SeenStore.
func (s *MemorySeenStore) MarkSeen(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set[id] {
		return nil
	}
	s.set[id] = true
	s.order = append(s.order, id)
	if len(s.order) > s.max {
		delete(s.set, s.order[0])
		s.order = s.order[1:]
	}
	return nil
}

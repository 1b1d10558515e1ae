package messages_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/ideobus/ideobus/messages"
)

func TestProducerValidatesWholeBatchBeforePublishing(t *testing.T) {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	defer ps.Close()
	p := messages.NewProducer(ps, messages.Topics{})
	zero := 0
	_, err := p.SubmitBatch(context.Background(), "camp-1", []messages.GenerationRequest{
		{Prompt: "ok"}, {Prompt: ""}, {Prompt: "x", NumImages: &zero},
	})
	var e *messages.Error
	if !errors.As(err, &e) || e.Code != messages.CodeInvalidRequest {
		t.Fatalf("got %v, want invalid_request", err)
	}
	want := map[string]bool{"requests[1].prompt": true, "requests[2].num_images": true}
	for _, f := range e.Fields {
		delete(want, f.Field)
	}
	if len(want) > 0 {
		t.Fatalf("problems %v do not name %v", e.Fields, want)
	}
	ch, _ := ps.Subscribe(context.Background(), messages.TypeRequested)
	select {
	case m := <-ch:
		t.Fatalf("published %s although the batch was invalid", m.UUID)
	case <-time.After(50 * time.Millisecond):
	}

	ids, err := p.SubmitBatch(context.Background(), "camp-1", []messages.GenerationRequest{{Prompt: "a"}, {ID: "mine", Prompt: "b"}})
	if err != nil || len(ids) != 2 || ids[1] != "mine" {
		t.Fatalf("ids=%v err=%v", ids, err)
	}
	for i := 0; i < 2; i++ {
		m := <-ch
		m.Ack()
		var r messages.GenerationRequest
		if err := messages.Decode(m, messages.TypeRequested, &r); err != nil {
			t.Fatal(err)
		}
		if r.BatchID != "camp-1" || r.BatchSize != 2 || m.Metadata.Get(messages.HeaderPartitionKey) != r.ID {
			t.Fatalf("batch fields or key missing: %+v key=%s", r, m.Metadata.Get(messages.HeaderPartitionKey))
		}
	}
}

// TestConsumerDedupsOnlyAfterSuccess: a handler that fails the first time
// must see the event again (it was not marked), and a duplicate of a
// handled event must not reach it at all.
func TestConsumerDedupsOnlyAfterSuccess(t *testing.T) {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true, BlockPublishUntilSubscriberAck: true}, watermill.NopLogger{})
	defer ps.Close()
	c := messages.NewConsumer(ps, messages.Topics{}, messages.NewMemorySeenStore(0))
	var mu sync.Mutex
	calls := 0
	done := make(chan struct{})
	c.OnCompleted(func(_ context.Context, ev messages.GenerationCompleted) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return errors.New("downstream unavailable")
		}
		if calls == 2 {
			close(done)
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	ev, _ := messages.NewMessage(messages.TypeCompleted, "req-1", messages.GenerationCompleted{RequestID: "req-1"})
	if err := ps.Publish(messages.TypeCompleted, ev); err != nil {
		t.Fatal(err)
	}
	<-done
	dup, _ := messages.NewMessage(messages.TypeCompleted, "req-1", messages.GenerationCompleted{RequestID: "req-1"})
	if err := ps.Publish(messages.TypeCompleted, dup); err != nil { // blocks until acked (dropped)
		t.Fatal(err)
	}
	mu.Lock()
	got := calls
	mu.Unlock()
	if got != 2 {
		t.Fatalf("handler ran %d times, want 2 (a retry after the failure, then the duplicate dropped)", got)
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
}

func TestConsumerSurfacesDecodeErrors(t *testing.T) {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	defer ps.Close()
	bad := message.NewMessage("garbage-1", []byte("{not json"))
	bad.Metadata.Set(messages.HeaderType, messages.TypeFailed)
	_ = ps.Publish(messages.TypeFailed, bad)
	c := messages.NewConsumer(ps, messages.Topics{}, nil)
	c.OnFailed(func(context.Context, messages.GenerationFailed) error { return nil })
	err := c.Run(context.Background())
	var de *messages.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("Run = %v, want a *DecodeError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "garbage-1") || !strings.Contains(msg, messages.TypeFailed) {
		t.Fatalf("error %q should name the message and topic", msg)
	}
}

// TestCQRSEventProcessorRoutesByContractNames shows ideobus outcomes handled
// by Watermill's cqrs.EventProcessor, routed by their contract type names.
func TestCQRSEventProcessorRoutesByContractNames(t *testing.T) {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	defer ps.Close()
	r, _ := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	var m cqrs.CommandEventMarshaler = messages.CQRSMarshaler{}
	ep, err := cqrs.NewEventProcessorWithConfig(r, cqrs.EventProcessorConfig{
		GenerateSubscribeTopic: func(p cqrs.EventProcessorGenerateSubscribeTopicParams) (string, error) {
			return p.EventName, nil // the default topics are the type names
		},
		SubscriberConstructor: func(cqrs.EventProcessorSubscriberConstructorParams) (message.Subscriber, error) { return ps, nil },
		Marshaler:             m,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	if err := ep.AddHandlers(cqrs.NewEventHandler("on-completed", func(_ context.Context, ev *messages.GenerationCompleted) error {
		got <- ev.RequestID
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if name := m.Name(&messages.GenerationCompleted{}); name != messages.TypeCompleted {
		t.Fatalf("Name = %s", name)
	}
	go func() { _ = r.Run(context.Background()) }()
	defer r.Close()
	<-r.Running()
	bus, err := cqrs.NewEventBusWithConfig(ps, cqrs.EventBusConfig{
		GeneratePublishTopic: func(p cqrs.GenerateEventPublishTopicParams) (string, error) { return p.EventName, nil },
		Marshaler:            m,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(context.Background(), &messages.GenerationCompleted{RequestID: "req-cqrs"}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != "req-cqrs" {
			t.Fatalf("got %s", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cqrs handler never ran")
	}
}

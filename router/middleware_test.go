package router_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/ideobus/ideobus/messages"
	"github.com/ideobus/ideobus/router"
)

func TestDetachOutlivesShutdownByTheGrace(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	msg := message.NewMessage("m", nil)
	msg.SetContext(parent)
	seen := make(chan context.Context, 1)
	release := make(chan struct{})
	h := router.Detach(200 * time.Millisecond)(func(m *message.Message) ([]*message.Message, error) {
		seen <- m.Context()
		<-release
		return nil, m.Context().Err()
	})
	done := make(chan error, 1)
	go func() { _, err := h(msg); done <- err }()
	ctx := <-seen
	cancel() // the subscriber gives up on the message: shutdown
	select {
	case <-ctx.Done():
		t.Fatal("work was cancelled at once; it must get the grace period")
	case <-time.After(50 * time.Millisecond):
	}
	select {
	case <-ctx.Done(): // and it ends when the grace is over
	case <-time.After(5 * time.Second):
		t.Fatal("detached context never ended after the grace")
	}
	close(release)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler saw %v", err)
	}
	if msg.Context() != parent {
		t.Fatal("the message's own context was not restored")
	}
}

func TestPoisonOnErrorGivesTheJobAFailedOutcome(t *testing.T) {
	ps := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	defer ps.Close()
	topics := messages.DefaultTopics()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	boom := func(*message.Message) ([]*message.Message, error) { return nil, errors.New("panic occurred: nil map") }

	in, _ := messages.NewMessage(messages.TypeRequested, "req-9", messages.GenerationRequest{
		ID: "req-9", Prompt: "p", BatchID: "b-1", BatchSize: 3, CallbackURL: "https://hooks.example.com/x",
	})
	out, err := router.PoisonOnError(ps, topics, "generate", false, quiet)(boom)(in)
	if err != nil || out != nil {
		t.Fatalf("want the message acked (nil, nil), got %v %v", out, err)
	}
	poisoned, _ := ps.Subscribe(context.Background(), topics.Poison)
	failed, _ := ps.Subscribe(context.Background(), topics.Failed)
	p := <-poisoned
	f := <-failed
	var fe messages.GenerationFailed
	if err := messages.Decode(f, messages.TypeFailed, &fe); err != nil {
		t.Fatal(err)
	}
	if p.Metadata.Get(messages.HeaderType) != messages.TypePoison || fe.RequestID != "req-9" || fe.Code != messages.CodeInternal ||
		fe.BatchID != "b-1" || fe.BatchSize != 3 || fe.CallbackURL == "" {
		t.Fatalf("failed outcome: %+v", fe)
	}

	// After the outcome (batch, notify) a transient error is handed back
	// for redelivery: batch state must not be poisoned by a storage hiccup.
	transient := func(*message.Message) ([]*message.Message, error) {
		return nil, messages.Transient(messages.CodeStorageFailed, errors.New("503"))
	}
	if _, err := router.PoisonOnError(ps, topics, "batch", true, quiet)(transient)(in); err == nil {
		t.Fatal("a transient error after the outcome was swallowed")
	}
}

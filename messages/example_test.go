package messages_test

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/ideobus/ideobus/messages"
)

// A producer builds a request message; publishing it on the requested topic
// with any Watermill publisher submits the job.
func ExampleNewRequestMessage() {
	n := 2
	msg, req, err := messages.NewRequestMessage(messages.GenerationRequest{
		ID:        "launch-hero-1",
		Prompt:    "a paper rocket over a city skyline, poster style",
		NumImages: &n,
		Variants:  []messages.VariantSpec{{Name: "og-image"}, {Name: "instagram"}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(req.ID, msg.Metadata.Get(messages.HeaderType), msg.Metadata.Get(messages.HeaderPartitionKey))
	// Output: launch-hero-1 ideogram.generation.requested launch-hero-1
}

// Validation names every problem at once.
func ExampleGenerationRequest_Validate() {
	n := 0
	err := messages.GenerationRequest{ID: "x", Prompt: "", NumImages: &n}.Validate()
	fmt.Println(err)
	// Output: invalid_request: prompt: is required and must not be blank; num_images: is 0, must be between 1 and 8
}

// Produce: a typed producer over any Watermill publisher (here the
// in-memory GoChannel; in production the Kafka publisher).
func ExampleProducer_SubmitBatch() {
	pubSub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	defer pubSub.Close()
	p := messages.NewProducer(pubSub, messages.DefaultTopics())
	ids, err := p.SubmitBatch(context.Background(), "spring-launch", []messages.GenerationRequest{
		{ID: "hero", Prompt: "a paper rocket over a skyline"},
		{ID: "banner", Prompt: "a paper rocket, wide banner", AspectRatio: "ASPECT_3_1"},
	})
	fmt.Println(ids, err)

	_, err = p.Submit(context.Background(), messages.GenerationRequest{Prompt: "x", Model: "V_9"})
	fmt.Println(err)
	// Output:
	// [hero banner] <nil>
	// invalid_request: model: "V_9" is not one of V_1, V_1_TURBO, V_2, V_2_TURBO, V_2A, V_2A_TURBO, V_3
}

// Consume: typed callbacks for the outcome topics over any Watermill
// subscriber, with de-duplication by event ID recorded only after success.
func ExampleConsumer() {
	pubSub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	defer pubSub.Close()
	done, _ := messages.NewMessage(messages.TypeCompleted, "hero", messages.GenerationCompleted{
		RequestID: "hero", Images: []messages.Image{{Variants: []messages.VariantAsset{{Name: "og-image", Width: 1200, Height: 630}}}},
	})
	dup := done.Copy() // at-least-once delivery may repeat an event
	failed, _ := messages.NewMessage(messages.TypeFailed, "banner", messages.GenerationFailed{RequestID: "banner", Code: messages.CodeContentFiltered})
	_ = pubSub.Publish(messages.TypeCompleted, done, dup)
	_ = pubSub.Publish(messages.TypeFailed, failed)

	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	c := messages.NewConsumer(pubSub, messages.DefaultTopics(), messages.NewMemorySeenStore(0))
	c.OnCompleted(func(_ context.Context, ev messages.GenerationCompleted) error {
		v := ev.Images[0].Variants[0]
		fmt.Println("completed", ev.RequestID, v.Name, v.Width, v.Height)
		if seen++; seen == 2 {
			cancel()
		}
		return nil
	})
	c.OnFailed(func(_ context.Context, ev messages.GenerationFailed) error {
		fmt.Println("failed", ev.RequestID, ev.Code)
		if seen++; seen == 2 {
			cancel()
		}
		return nil
	})
	_ = c.Run(ctx)
	// Unordered output:
	// completed hero og-image 1200 630
	// failed banner content_filtered
}

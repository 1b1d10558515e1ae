package messages_test

import (
	"fmt"

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

package ideogram_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"log"

	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// The client against the embedded simulator: the same code path as
// production, with only the base URL and image hosts changed.
func Example() {
	sim := ideogram.NewSimulator(ideogram.SimOptions{APIKey: "local-key"})
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	client, err := ideogram.New(ideogram.SimulatorConfig(base, "local-key"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	seed := int64(42)
	images, err := client.Generate(ctx, messages.GenerationRequest{
		Prompt:      "a lighthouse at dusk, film photo",
		AspectRatio: "ASPECT_16_9",
		Seed:        &seed,
	}, handlers.Inputs{})

	if err != nil {
		log.Fatal(err)
	}
	body, contentType, err := client.Download(ctx, images[0].SourceURL)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(images), images[0].Resolution, images[0].Seed, contentType, cfg.Width, cfg.Height)

	// Failures are classified: a safety rejection is permanent.
	_, err = client.Generate(ctx, messages.GenerationRequest{Prompt: "something [sim:unsafe]"}, handlers.Inputs{})
	e := messages.Classify(err)
	fmt.Println(e.Code, e.Retryable, ideogram.Attempts(err))
	// Output:
	// 1 1312x736 42 image/png 1312 736
	// content_filtered false 1
}

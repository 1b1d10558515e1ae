package router_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/ideobus/ideobus/adapters/cdn"
	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/adapters/imaging"
	"github.com/ideobus/ideobus/adapters/storage"
	"github.com/ideobus/ideobus/messages"
	"github.com/ideobus/ideobus/router"
)

// Mount the ideobus stages into a Watermill router you already run, on your
// own pub/sub (here Watermill's in-memory GoChannel) with your own middleware.
// The outside systems are the embedded peers; in production the same
// adapters point at Ideogram, R2 and Cloudflare.
func ExampleMount() {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	ports, cleanup := embeddedPorts(ctx)
	defer cleanup()

	pubSub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	r, _ := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	// Your router-level middleware runs around the stages'. (Not InstantAck:
	// acking before the work is done gives up at-least-once delivery.)
	r.AddMiddleware(middleware.Timeout(2 * time.Minute))

	err := router.Mount(r, router.Config{
		Ports:      ports,
		Publisher:  pubSub,
		Subscriber: pubSub,
		Logger:     quiet,
	})
	if err != nil {
		panic(err)
	}
	completed, _ := pubSub.Subscribe(ctx, messages.TypeCompleted)
	go func() { _ = r.Run(ctx) }()
	defer r.Close()
	<-r.Running()

	msg, _, err := messages.NewRequestMessage(messages.GenerationRequest{
		ID:       "example-1",
		Prompt:   "a lighthouse at dawn, travel poster",
		Variants: []messages.VariantSpec{{Name: "og-image"}, {Name: "thumbnail"}},
	})
	if err != nil {
		panic(err)
	}
	if err := pubSub.Publish(messages.TypeRequested, msg); err != nil {
		panic(err)
	}

	out := <-completed
	out.Ack()
	var done messages.GenerationCompleted
	_ = messages.Decode(out, messages.TypeCompleted, &done)
	fmt.Println("completed", done.RequestID)
	for _, v := range done.Images[0].Variants {
		fmt.Println(v.Name, v.Width, v.Height, v.Format)
	}
	// Output:
	// completed example-1
	// og-image 1200 630 jpeg
	// thumbnail 400 400 jpeg
}

// embeddedPorts starts the embedded peers and returns real adapters on them.
func embeddedPorts(ctx context.Context) (router.Ports, func()) {
	sim := ideogram.NewSimulator(ideogram.SimOptions{APIKey: "example-key"})
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	client, err := ideogram.New(ideogram.SimulatorConfig(base, "example-key"))
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "ideobus-example-")
	s3, err := storage.NewLocalServer(dir)
	if err != nil {
		panic(err)
	}
	edge, err := cdn.NewLocalCDN(cdn.LocalCDNOptions{Origin: s3.URL() + "/images"})
	if err != nil {
		panic(err)
	}
	scfg := s3.Config("images")
	scfg.PublicBaseURL = edge.URL()
	store, err := storage.New(ctx, scfg)
	if err != nil {
		panic(err)
	}
	if err := store.EnsureBucket(ctx); err != nil {
		panic(err)
	}
	purger, err := cdn.New(edge.ClientConfig())
	if err != nil {
		panic(err)
	}
	return router.Ports{
			Generator:  client,
			Downloader: client,
			Store:      store,
			Resizer:    imaging.New(imaging.Options{}),
			CDN:        purger,
		}, func() {
			edge.Close()
			s3.Close()
			sim.Close()
			os.RemoveAll(dir)
		}
}

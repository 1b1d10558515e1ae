package router_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
	"github.com/ideobus/ideobus/router"
)

// A stage-only deployment: this process runs only the resize stage (scaled
// on its own, e.g. on CPU-heavy nodes); other processes run the rest.
func ExampleMount_stageOnly() {
	ctx := context.Background()
	ports, cleanup := embeddedPorts(ctx)
	defer cleanup()
	pubSub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	r, _ := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	err := router.Mount(r, router.Config{
		Ports:      router.Ports{Store: ports.Store, Resizer: ports.Resizer}, // only what resize needs
		Stages:     []string{messages.StageResize},
		Publisher:  pubSub,
		Subscriber: pubSub,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	fmt.Println("mounted:", err == nil, len(r.Handlers()), "handler")
	// Output: mounted: true 1 handler
}

// A custom stage after resize: a watermark step between resize and purge,
// wired with your own topic names. The ideobus stages are mounted with
// renamed topics so resize publishes to "acme.to-watermark", your handler
// consumes it and republishes ideogram.image.resized for purge.
func ExampleMount_customStageAfterResize() {
	ctx := context.Background()
	ports, cleanup := embeddedPorts(ctx)
	defer cleanup()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pubSub := gochannel.NewGoChannel(gochannel.Config{Persistent: true}, watermill.NopLogger{})
	r, _ := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})

	topics := messages.DefaultTopics()
	pipeline := topics
	pipeline.Resized = "acme.to-watermark" // resize's output goes to our stage first
	if err := router.Mount(r, router.Config{
		Ports: ports, Publisher: pubSub, Subscriber: pubSub, Topics: pipeline, Logger: quiet,
		Stages: []string{messages.StageGenerate, messages.StageUpload, messages.StageResize},
	}); err != nil {
		panic(err)
	}
	if err := router.Mount(r, router.Config{
		Ports: ports, Publisher: pubSub, Subscriber: pubSub, Topics: topics, Logger: quiet,
		Stages: []string{messages.StagePurge},
	}); err != nil {
		panic(err)
	}
	marked := 0
	r.AddHandler("acme.watermark", pipeline.Resized, pubSub, topics.Resized, pubSub,
		func(msg *message.Message) ([]*message.Message, error) {
			var ev messages.ImageResized
			if err := messages.Decode(msg, messages.TypeResized, &ev); err != nil {
				return nil, err
			}
			for _, im := range ev.Images {
				for _, v := range im.Variants {
					src, err := ports.Store.Get(msg.Context(), v.Key)
					if err != nil {
						return nil, err
					}
					out, err := watermark(src)
					if err != nil {
						return nil, err
					}
					if _, err := ports.Store.Put(msg.Context(), v.Key, out, "image/jpeg"); err != nil {
						return nil, err
					}
					marked++
				}
			}
			return []*message.Message{msg.Copy()}, nil // hand the same event on to purge
		})

	completed, _ := pubSub.Subscribe(ctx, topics.Completed)
	go func() { _ = r.Run(ctx) }()
	defer r.Close()
	<-r.Running()
	p := messages.NewProducer(pubSub, topics)
	_, _ = p.Submit(ctx, messages.GenerationRequest{ID: "wm-1", Prompt: "a bakery storefront", Variants: []messages.VariantSpec{{Name: "thumbnail"}}})
	select {
	case m := <-completed:
		m.Ack()
		fmt.Println("completed", m.Metadata.Get(messages.HeaderSubject), "watermarked variants:", marked)
	case <-time.After(time.Minute):
		fmt.Println("timed out")
	}
	// Output: completed wm-1 watermarked variants: 1
}

// watermark draws a small white square in the bottom-right corner.
func watermark(src []byte) ([]byte, error) {
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, img, b.Min, draw.Src)
	mark := image.Rect(b.Max.X-24, b.Max.Y-24, b.Max.X-8, b.Max.Y-8)
	draw.Draw(dst, mark, &image.Uniform{color.White}, image.Point{}, draw.Over)
	var out bytes.Buffer
	err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85})
	return out.Bytes(), err
}

// Each stage is an ordinary message.HandlerFunc: run one directly on a
// message, outside any router. A request that fails validation turns into a
// failed event naming the fields, before any call to Ideogram.
func Example_handlerFunc() {
	h := handlers.NewGenerate(handlers.GeneratePorts{Generator: nil}, handlers.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	zero := 0
	in, _ := messages.NewMessage(messages.TypeRequested, "req-x", messages.GenerationRequest{SchemaVersion: 1, ID: "req-x", Prompt: "", NumImages: &zero})
	out, _ := h(in)
	var f messages.GenerationFailed
	_ = messages.Decode(out[0], messages.TypeFailed, &f)
	fmt.Println(out[0].Metadata.Get(messages.HeaderType), f.Code, f.Stage)
	for _, fe := range f.Fields {
		fmt.Println(fe.Field)
	}
	// Output:
	// ideogram.generation.failed invalid_request validate
	// prompt
	// num_images
}

package handlers

import (
	"context"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// NewResize returns the resize stage: it consumes ideogram.image.uploaded,
// renders every requested variant of each stored original (or the default set)
// and stores them, then emits ideogram.image.resized.
func NewResize(store ObjectStore, rz Resizer, opts Options) message.HandlerFunc {
	s := stage{name: messages.StageResize, opts: opts.withDefaults()}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			job, err := decodeJob(msg, messages.TypeUploaded, &ref)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			specs := messages.ResolveVariants(job.Request.Variants, s.opts.DefaultVariants)
			for i := range job.Images {
				im := &job.Images[i]
				if im.Original == nil {
					continue
				}
				src, err := store.Get(ctx, im.Original.Key)
				if err != nil {
					return nil, err
				}
				rendered, err := rz.Render(ctx, src, specs)
				if err != nil {
					return nil, err
				}
				if len(rendered) != len(specs) {
					return nil, messages.Transient(messages.CodeInternal, fmt.Errorf("resizer returned %d renditions for %d specs", len(rendered), len(specs)))
				}
				variants := make([]messages.VariantAsset, 0, len(rendered))
				for _, r := range rendered {
					asset, err := store.Put(ctx, messages.VariantKey(s.opts.KeyPrefix, job.RequestID, im.Index, r.Spec), r.Data, r.Spec.ContentType())
					if err != nil {
						return nil, err
					}
					variants = append(variants, messages.VariantAsset{
						Name: r.Spec.Name, Key: asset.Key, URL: asset.URL,
						Width: r.Width, Height: r.Height, Format: r.Spec.Format,
						Bytes: asset.Bytes, SHA256: asset.SHA256,
					})
				}
				im.Variants = variants
				ref.images = job.Images
			}
			job.Stages = append(job.Stages, report(s.name, attemptFrom(ctx).n, time.Since(start)))
			return messages.NewMessage(messages.TypeResized, job.RequestID, messages.ImageResized{Job: job})
		})
	}
}

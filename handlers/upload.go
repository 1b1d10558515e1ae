package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// NewUpload returns the upload stage: it consumes ideogram.generation.generated,
// copies each image from its ephemeral URL into object storage under its
// deterministic key, and emits ideogram.image.uploaded. A replay overwrites the
// same keys; it never calls Ideogram.
func NewUpload(dl Downloader, store ObjectStore, opts Options) message.HandlerFunc {
	s := stage{name: messages.StageUpload, opts: opts.withDefaults()}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			job, err := decodeJob(msg, messages.TypeGenerated, &ref)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			for i := range job.Images {
				im := &job.Images[i]
				if im.Filtered || im.Original != nil {
					continue
				}
				key := messages.OriginalKey(s.opts.KeyPrefix, job.RequestID, im.Index)
				body, ctype, err := dl.Download(ctx, im.SourceURL)
				if err != nil && messages.Classify(err).Code == messages.CodeSourceExpired {
					// A replay after the URL expired: the copy may already be
					// stored from the first run.
					if stored, gerr := store.Get(ctx, key); gerr == nil {
						body, ctype, err = stored, "image/png", nil
					}
				}
				if err != nil {
					return nil, err
				}
				asset, err := store.Put(ctx, key, body, ctype)
				if err != nil {
					return nil, err
				}
				im.Original = &asset
				// The copy is made: the ephemeral URL's signature is of no
				// further use and does not belong in events or logs.
				im.SourceURL = stripQuery(im.SourceURL)
				ref.images = job.Images
			}
			job.Stages = append(job.Stages, report(s.name, attemptFrom(ctx).n, time.Since(start)))
			return messages.NewMessage(messages.TypeUploaded, job.RequestID, messages.ImageUploaded{Job: job})
		})
	}
}

func stripQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

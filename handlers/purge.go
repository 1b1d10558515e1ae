package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// NewPurge returns the purge stage: it consumes ideogram.image.resized, purges
// every stored URL of the job from the CDN (a replay may have replaced objects
// the edge still holds), warms them, and emits ideogram.generation.completed.
// Warming is best effort: a cold cache is slower, not wrong.
func NewPurge(cdn CDN, opts Options) message.HandlerFunc {
	s := stage{name: messages.StagePurge, opts: opts.withDefaults()}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			job, err := decodeJob(msg, messages.TypeResized, &ref)
			if err != nil {
				return nil, err
			}
			start := time.Now()
			var urls []string
			for _, im := range job.Images {
				if im.Original != nil {
					urls = append(urls, im.Original.URL)
				}
				for _, v := range im.Variants {
					urls = append(urls, v.URL)
				}
			}
			if len(urls) > 0 {
				if err := cdn.Purge(ctx, urls); err != nil {
					return nil, err
				}
				if err := cdn.Warm(ctx, urls); err != nil {
					s.opts.Logger.Warn("cache warm failed", slog.String("request_id", job.RequestID), slog.String("error", err.Error()))
				}
			}
			done := messages.GenerationCompleted{
				SchemaVersion: messages.SchemaVersion,
				RequestID:     job.RequestID,
				BatchID:       job.BatchID,
				Labels:        job.Labels,
				BatchSize:     job.Request.BatchSize,
				CallbackURL:   job.Request.CallbackURL,
				Operation:     job.Request.EffectiveOperation(),
				Prompt:        job.Request.Prompt,
				Model:         job.Request.EffectiveModel(),
				Images:        job.Images,
				PurgedURLs:    urls,
				Stages:        append(job.Stages, report(s.name, attemptFrom(ctx).n, time.Since(start))),
				CompletedAt:   time.Now().UTC(),
			}
			return messages.NewMessage(messages.TypeCompleted, job.RequestID, done)
		})
	}
}

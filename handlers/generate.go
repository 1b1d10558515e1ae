package handlers

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// NewGenerate returns the generate stage: it consumes
// ideogram.generation.requested, validates the request, calls Ideogram through
// gen and emits ideogram.generation.generated with the images' ephemeral URLs.
// An invalid request fails at once with invalid_request, before any paid call.
func NewGenerate(gen Generator, opts Options) message.HandlerFunc {
	s := stage{name: messages.StageGenerate, inType: messages.TypeRequested, opts: opts.withDefaults()}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			var req messages.GenerationRequest
			if err := messages.Decode(msg, messages.TypeRequested, &req); err != nil {
				return nil, err
			}
			ref = jobRef{requestID: req.ID, batchID: req.BatchID, labels: req.Labels}
			if !messages.ValidID(req.ID) {
				// Without a usable ID the job cannot be tracked or keyed:
				// fail it under the message's own ID so it is still answered.
				ref.requestID = msg.UUID
			}
			if err := req.Validate(); err != nil {
				return nil, err
			}
			start := time.Now()
			images, err := gen.Generate(ctx, req, Inputs{})
			if err != nil {
				return nil, err
			}
			usable := 0
			for i := range images {
				images[i].Index = i
				if !images[i].Filtered {
					usable++
				}
			}
			if usable == 0 {
				return nil, messages.Permanent(messages.CodeContentFiltered, "every image was filtered by Ideogram's safety check")
			}
			job := messages.Job{
				SchemaVersion: messages.SchemaVersion,
				RequestID:     req.ID,
				BatchID:       req.BatchID,
				Labels:        req.Labels,
				Request:       req,
				Images:        images,
				Stages:        []messages.StageReport{report(s.name, attemptFrom(ctx).n, time.Since(start))},
			}
			return messages.NewMessage(messages.TypeGenerated, req.ID, messages.GenerationGenerated{Job: job})
		})
	}
}

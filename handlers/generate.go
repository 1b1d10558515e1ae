package handlers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/cenkalti/backoff/v4"

	"github.com/ideobus/ideobus/messages"
)

// GeneratePorts are what the generate stage uses. Only Generator is required.
type GeneratePorts struct {
	Generator Generator
	// Ledger, when set, makes a redelivered request re-emit its recorded
	// result instead of paying for a second call.
	Ledger Ledger
	// Budget, when set, bounds the images in flight at Ideogram across all
	// of the stage's goroutines.
	Budget *Budget
	// Store resolves source images referenced by object key; URLs resolve
	// through URLs. Needed only for edit, remix, upscale and reframe.
	Store ObjectStore
	URLs  URLFetcher
}

// NewGenerate returns the generate stage: it consumes
// ideogram.generation.requested, validates the request, calls Ideogram and
// emits ideogram.generation.generated with the images' ephemeral URLs.
//
// An invalid request fails at once with invalid_request, before any paid
// call. With a Ledger, a request already paid for is answered from the
// record; the record is written after the call and before the event, with a
// conditional create.
func NewGenerate(p GeneratePorts, opts Options) message.HandlerFunc {
	s := stage{name: messages.StageGenerate, opts: opts.withDefaults()}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			var req messages.GenerationRequest
			if err := messages.Decode(msg, messages.TypeRequested, &req); err != nil {
				return nil, err
			}
			ref = jobRef{requestID: req.ID, labels: req.Labels}
			if !messages.ValidID(req.ID) {
				// Without a usable ID the job cannot be tracked or keyed:
				// fail it under an ID derived from the message so it is
				// still answered (the message UUID comes from the producer,
				// so it is not trusted as a key either).
				ref.requestID = "invalid-" + messages.EventID(msg.UUID, messages.TypeRequested)
			}
			if messages.ValidID(req.BatchID) && req.BatchSize > 0 {
				ref.batchID, ref.batchSize = req.BatchID, req.BatchSize
			}
			if messages.ValidCallbackURL(req.CallbackURL) {
				ref.callback = req.CallbackURL
			}
			if err := req.Validate(); err != nil {
				return nil, err
			}
			start := time.Now()
			images, attempts, replayed, err := s.generate(ctx, p, req)
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
				return nil, messages.Permanent(messages.CodeContentFiltered, "every image was withheld by Ideogram's safety check")
			}
			if replayed {
				s.opts.Logger.Info("answered from the ledger, no API call", slog.String("request_id", req.ID))
			}
			job := messages.Job{
				SchemaVersion: messages.SchemaVersion,
				RequestID:     req.ID,
				BatchID:       req.BatchID,
				Labels:        req.Labels,
				Request:       req,
				Images:        images,
				Stages:        []messages.StageReport{report(s.name, attempts, time.Since(start))},
			}
			return messages.NewMessage(messages.TypeGenerated, req.ID, messages.GenerationGenerated{Job: job})
		})
	}
}

// generate answers from the ledger when it can, else pays for one call and
// records it. attempts counts API calls made now (0 for a replay).
func (s stage) generate(ctx context.Context, p GeneratePorts, req messages.GenerationRequest) (images []messages.Image, attempts int, replayed bool, err error) {
	if p.Ledger != nil {
		rec, found, err := p.Ledger.Lookup(ctx, req.ID)
		if err != nil {
			return nil, 0, false, err
		}
		if found {
			if rec.Fingerprint != "" && rec.Fingerprint != Fingerprint(req) {
				return nil, 0, false, invalidField("id", fmt.Sprintf("%q was already used for a different request (ledger recorded %s); request IDs are idempotency keys", req.ID, rec.RecordedAt.Format(time.RFC3339)))
			}
			return rec.Images, 0, true, nil
		}
	}
	in, err := fetchInputs(ctx, p, s.opts.KeyPrefix, req)
	if err != nil {
		return nil, 0, false, err
	}
	if p.Budget != nil {
		release, err := p.Budget.Acquire(ctx, req.Images())
		if err != nil {
			return nil, 0, false, err
		}
		defer release()
	}
	if ga, ok := p.Generator.(AttemptReporter); ok {
		images, attempts, err = ga.GenerateAttempts(ctx, req, in)
	} else {
		images, err = p.Generator.Generate(ctx, req, in)
		attempts = 1
	}
	if err != nil {
		return nil, attempts, false, noMoreAttempts{err}
	}
	if p.Ledger != nil {
		rec := LedgerRecord{
			Fingerprint:   Fingerprint(req),
			SchemaVersion: messages.SchemaVersion, RequestID: req.ID,
			Operation: req.EffectiveOperation(), Model: req.EffectiveModel(),
			Images: images, Attempts: attempts, RecordedAt: time.Now().UTC(),
		}
		// The call is paid for: record it even if the message's context
		// ends now (shutdown), and never fail the stage for it, since a
		// retry would pay again.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		stored, err := recordWithRetry(wctx, p.Ledger, rec)
		cancel()
		if err != nil {
			s.opts.Logger.Error("ledger write failed; continuing without a record", slog.String("request_id", req.ID), slog.String("error", err.Error()))
		} else {
			images = stored.Images // a racing delivery recorded first: emit its result
		}
	}
	return images, attempts, false, nil
}

// recordWithRetry retries a failed ledger write in place, briefly: the paid
// result must not be lost to a storage hiccup.
func recordWithRetry(ctx context.Context, l Ledger, rec LedgerRecord) (LedgerRecord, error) {
	b := backoff.WithContext(backoff.WithMaxRetries(backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(200*time.Millisecond), backoff.WithMaxInterval(2*time.Second)), 5), ctx)
	var stored LedgerRecord
	err := backoff.Retry(func() error {
		var err error
		stored, err = l.Record(ctx, rec)
		if err != nil && !messages.IsRetryable(err) {
			return backoff.Permanent(err)
		}
		return err
	}, b)
	return stored, err
}

// AttemptReporter is a Generator that also says how many API calls it made
// (its own retries included), for the stage report. Wrappers of a Generator
// should keep it.
type AttemptReporter interface {
	GenerateAttempts(ctx context.Context, req messages.GenerationRequest, in Inputs) ([]messages.Image, int, error)
}

// fetchInputs loads the source image and mask of edit, remix, upscale and
// reframe, refusing anything but JPEG, PNG or WebP up to 10 MB.
func fetchInputs(ctx context.Context, p GeneratePorts, prefix string, req messages.GenerationRequest) (Inputs, error) {
	var in Inputs
	var err error
	if req.SourceImage != "" {
		if in.Image, err = fetchSource(ctx, p, prefix, "source_image", req.SourceImage); err != nil {
			return in, err
		}
	}
	if req.Mask != "" {
		if in.Mask, err = fetchSource(ctx, p, prefix, "mask", req.Mask); err != nil {
			return in, err
		}
	}
	return in, nil
}

func fetchSource(ctx context.Context, p GeneratePorts, prefix, field, ref string) (*Blob, error) {
	var b Blob
	switch {
	case strings.Contains(ref, "://"):
		if p.URLs == nil {
			return nil, invalidField(field, "fetching source images by URL is not enabled on this deployment")
		}
		var err error
		if b, err = p.URLs.Fetch(ctx, ref); err != nil {
			return nil, err
		}
	default:
		if p.Store == nil {
			return nil, invalidField(field, "no object store is configured to read it from")
		}
		if !strings.HasPrefix(ref, prefix+"/") {
			return nil, invalidField(field, fmt.Sprintf("object keys must be under %q/ (objects ideobus stored)", prefix))
		}
		data, err := p.Store.Get(ctx, ref)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, invalidField(field, fmt.Sprintf("object %q does not exist", ref))
		}
		if err != nil {
			return nil, err
		}
		b = Blob{Data: data}
	}
	if len(b.Data) > messages.MaxSourceImageBytes {
		return nil, &messages.Error{Code: messages.CodeImageTooLarge, Message: fmt.Sprintf("%s is %d bytes, at most %d allowed", field, len(b.Data), messages.MaxSourceImageBytes),
			Fields: []messages.FieldError{{Field: field, Message: "larger than 10 MB"}}}
	}
	sniffed := http.DetectContentType(b.Data)
	ok := false
	for _, t := range messages.SourceImageTypes {
		ok = ok || sniffed == t
	}
	if !ok {
		return nil, invalidField(field, fmt.Sprintf("is %s; JPEG, PNG or WebP required", sniffed))
	}
	b.ContentType = sniffed
	return &b, nil
}

func invalidField(field, msg string) *messages.Error {
	return &messages.Error{Code: messages.CodeInvalidRequest, Message: field + ": " + msg, Fields: []messages.FieldError{{Field: field, Message: msg}}}
}

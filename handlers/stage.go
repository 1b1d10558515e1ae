package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// Options are settings shared by every stage.
type Options struct {
	// KeyPrefix prefixes every object key (default messages.DefaultKeyPrefix).
	KeyPrefix string
	// DefaultVariants apply when a request names none (default
	// messages.DefaultVariants).
	DefaultVariants []string
	// Logger receives one line per job and stage outcome (default slog.Default()).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.KeyPrefix == "" {
		o.KeyPrefix = messages.DefaultKeyPrefix
	}
	if len(o.DefaultVariants) == 0 {
		o.DefaultVariants = messages.DefaultVariants
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// stage carries what every handler does around its own work: decoding,
// timing, logging, and turning errors into failed or poison events.
type stage struct {
	name string
	opts Options
	// afterOutcome marks stages that run on outcome events (batch, notify):
	// the job already has its outcome, so their errors go to retry and then
	// the poison topic, never to a second, failed outcome.
	afterOutcome bool
}

// jobRef is what a failed event needs to know about the job.
type jobRef struct {
	requestID string
	batchID   string
	batchSize int
	callback  string
	labels    map[string]string
	images    []messages.Image
	stages    []messages.StageReport
}

func refOf(j messages.Job) jobRef {
	return jobRef{requestID: j.RequestID, batchID: j.BatchID, batchSize: j.Request.BatchSize, callback: j.Request.CallbackURL,
		labels: j.Labels, images: j.Images, stages: j.Stages}
}

// run wraps a stage's work. work returns the next event, or an error; ref must
// be filled by work as soon as the job is known, so failures can name it.
func (s stage) run(msg *message.Message, ref *jobRef, work func(ctx context.Context) (*message.Message, error)) ([]*message.Message, error) {
	ctx := msg.Context()
	at := attemptFrom(ctx)
	start := time.Now()
	out, err := work(ctx)
	log := s.opts.Logger.With(
		slog.String("stage", s.name),
		slog.String("request_id", ref.requestID),
		slog.String("correlation_id", msg.Metadata.Get(messages.HeaderCorrelationID)),
		slog.Int("attempt", at.n),
	)
	if err == nil {
		if out == nil {
			return nil, nil
		}
		log.Info("stage done", slog.Duration("took", time.Since(start)))
		return []*message.Message{s.carry(msg, out)}, nil
	}

	var de *messages.DecodeError
	if errors.As(err, &de) {
		log.Warn("undecodable message sent to poison topic", slog.String("reason", de.Reason))
		return s.poison(msg, de)
	}
	if ctx.Err() != nil {
		// Shutting down: hand the message back so it is redelivered.
		return nil, err
	}
	e := messages.Classify(err)
	var final noMoreAttempts
	if errors.As(err, &final) {
		at.last = true
	}
	if s.afterOutcome {
		log.Warn("stage attempt failed", slog.String("code", string(e.Code)), slog.String("error", e.Error()))
		return nil, err
	}
	if e.Retryable && !at.last {
		log.Warn("stage attempt failed, will retry", slog.String("code", string(e.Code)), slog.String("error", e.Error()))
		return nil, err
	}
	log.Error("job failed", slog.String("code", string(e.Code)), slog.Bool("retryable", e.Retryable), slog.String("error", e.Error()))
	failed, ferr := s.failed(*ref, e, at.n, time.Since(start))
	if ferr != nil {
		return nil, ferr
	}
	return []*message.Message{s.carry(msg, failed)}, nil
}

// carry copies correlation metadata from the input to an output event.
func (s stage) carry(in, out *message.Message) *message.Message {
	if c := in.Metadata.Get(messages.HeaderCorrelationID); c != "" {
		out.Metadata.Set(messages.HeaderCorrelationID, c)
	}
	if tp := in.Metadata.Get("traceparent"); tp != "" {
		out.Metadata.Set("traceparent", tp)
	}
	out.Metadata.Set(messages.HeaderSource, "urn:ideobus:stage:"+s.name)
	return out
}

func (s stage) failed(ref jobRef, e *messages.Error, attempts int, took time.Duration) (*message.Message, error) {
	stageName := s.name
	if e.Code == messages.CodeInvalidRequest && s.name == messages.StageGenerate {
		stageName = messages.StageValidate
	}
	ev := messages.GenerationFailed{
		SchemaVersion: messages.SchemaVersion,
		RequestID:     ref.requestID,
		BatchID:       ref.batchID,
		Labels:        ref.labels,
		BatchSize:     ref.batchSize,
		CallbackURL:   ref.callback,
		Stage:         stageName,
		Code:          e.Code,
		Message:       e.Error(),
		Retryable:     e.Retryable,
		Attempts:      attempts,
		Fields:        e.Fields,
		Assets:        storedAssets(ref.images),
		Stages:        append(ref.stages, report(s.name, attempts, took)),
		FailedAt:      time.Now().UTC(),
	}
	return messages.NewMessage(messages.TypeFailed, ref.requestID, ev)
}

func (s stage) poison(msg *message.Message, de *messages.DecodeError) ([]*message.Message, error) {
	p := messages.Poison{
		SchemaVersion: messages.SchemaVersion,
		Reason:        de.Reason,
		Stage:         s.name,
		SourceTopic:   message.SubscribeTopicFromCtx(msg.Context()),
		RequestID:     de.RequestID,
		Original:      msg.Payload,
		Metadata:      msg.Metadata,
		At:            time.Now().UTC(),
	}
	pm, err := messages.NewMessage(messages.TypePoison, de.RequestID, p)
	if err != nil {
		return nil, err
	}
	// The poison record's ID must be unique per bad message, not per request.
	pm.UUID = msg.UUID
	pm.Metadata.Set(messages.HeaderID, msg.UUID)
	out := []*message.Message{s.carry(msg, pm)}
	if de.RequestID != "" && !s.afterOutcome {
		e := &messages.Error{Code: messages.CodeInvalidRequest, Message: "undecodable message: " + de.Reason}
		fm, err := s.failed(jobRef{requestID: de.RequestID}, e, 1, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, s.carry(msg, fm))
	}
	return out, nil
}

func report(stageName string, attempts int, took time.Duration) messages.StageReport {
	return messages.StageReport{Stage: stageName, Attempts: attempts, DurationMS: float64(took.Microseconds()) / 1000}
}

// storedAssets lists every object already stored for a job, so a failed event
// never loses track of them.
func storedAssets(images []messages.Image) []messages.Asset {
	var out []messages.Asset
	for _, im := range images {
		if im.Original != nil {
			out = append(out, *im.Original)
		}
		for _, v := range im.Variants {
			out = append(out, messages.Asset{Key: v.Key, URL: v.URL, Bytes: v.Bytes, ContentType: contentTypeOf(v.Format), SHA256: v.SHA256})
		}
	}
	return out
}

func contentTypeOf(format string) string {
	return messages.VariantSpec{Format: format}.ContentType()
}

// decodeJob decodes a stage event carrying a Job.
func decodeJob(msg *message.Message, eventType string, ref *jobRef) (messages.Job, error) {
	var j messages.Job
	if err := messages.Decode(msg, eventType, &j); err != nil {
		return j, err
	}
	if !messages.ValidID(j.RequestID) {
		return j, &messages.DecodeError{Type: eventType, Reason: fmt.Sprintf("request_id %q is missing or invalid", j.RequestID)}
	}
	*ref = refOf(j)
	return j, nil
}

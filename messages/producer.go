package messages

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Producer submits generation requests through any Watermill publisher
// (Kafka, or anything else): it fills in IDs, validates before publishing,
// and sets the key and CloudEvents headers.
type Producer struct {
	pub      message.Publisher
	topic    string
	decorate func(context.Context, *message.Message)
}

// ProducerOption configures a Producer.
type ProducerOption func(*Producer)

// WithDecorator lets the producer add headers derived from the submitting
// context to each message, e.g. a W3C traceparent (see
// adapters/telemetry.Telemetry.Inject), so a trace starts at Submit.
func WithDecorator(fn func(ctx context.Context, msg *message.Message)) ProducerOption {
	return func(p *Producer) { p.decorate = fn }
}

// NewProducer returns a Producer publishing on topics.Requested (the
// default topics when topics is the zero value).
func NewProducer(pub message.Publisher, topics Topics, opts ...ProducerOption) *Producer {
	if topics == (Topics{}) {
		topics = DefaultTopics()
	}
	p := &Producer{pub: pub, topic: topics.Requested}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Submit validates req and publishes it, returning its ID. A caller-supplied
// ID is the idempotency key: submitting it again is the same job. An invalid
// request is an *Error listing every problem, and nothing is published.
func (p *Producer) Submit(ctx context.Context, req GenerationRequest) (string, error) {
	ids, err := p.publish(ctx, []GenerationRequest{req})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// SubmitBatch submits reqs as one batch: each gets batchID and the batch size
// (and, without an ID of its own, the ID "<batchID>-<index>", so resubmitting
// a batch is idempotent),
// so ideobus emits ideogram.batch.completed once every request has an
// outcome. Every request is validated first; if any is invalid, none is
// published and the error names each bad request by index and field.
func (p *Producer) SubmitBatch(ctx context.Context, batchID string, reqs []GenerationRequest) ([]string, error) {
	if !ValidID(batchID) {
		return nil, &Error{Code: CodeInvalidRequest, Message: "batch_id: must be letters, digits, '.', '_', ':' or '-'", Fields: []FieldError{{Field: "batch_id", Message: "invalid"}}}
	}
	if len(reqs) == 0 {
		return nil, &Error{Code: CodeInvalidRequest, Message: "batch: no requests", Fields: []FieldError{{Field: "requests", Message: "empty"}}}
	}
	batch := make([]GenerationRequest, len(reqs))
	for i, r := range reqs {
		r.BatchID, r.BatchSize = batchID, len(reqs)
		if r.ID == "" {
			// Derived, not random: resubmitting the same batch after a
			// partial failure must not create (and pay for) new jobs.
			r.ID = fmt.Sprintf("%s-%d", batchID, i)
		}
		batch[i] = r
	}
	return p.publish(ctx, batch)
}

func (p *Producer) publish(ctx context.Context, reqs []GenerationRequest) ([]string, error) {
	msgs := make([]*message.Message, len(reqs))
	ids := make([]string, len(reqs))
	var problems []FieldError
	seen := map[string]int{}
	for i, r := range reqs {
		m, r, err := NewRequestMessage(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return nil, err
			}
			for _, f := range e.Fields {
				if len(reqs) > 1 {
					f.Field = fmt.Sprintf("requests[%d].%s", i, f.Field)
				}
				problems = append(problems, f)
			}
			continue
		}
		if j, dup := seen[r.ID]; dup {
			problems = append(problems, FieldError{Field: fmt.Sprintf("requests[%d].id", i), Message: fmt.Sprintf("%q repeats requests[%d].id", r.ID, j)})
		}
		seen[r.ID] = i
		m.SetContext(ctx)
		if p.decorate != nil {
			p.decorate(ctx, m)
		}
		msgs[i], ids[i] = m, r.ID
	}
	if len(problems) > 0 {
		parts := make([]string, len(problems))
		for i, f := range problems {
			parts[i] = f.String()
		}
		return nil, &Error{Code: CodeInvalidRequest, Message: strings.Join(parts, "; "), Fields: problems}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.pub.Publish(p.topic, msgs...); err != nil {
		return nil, fmt.Errorf("publish to %s: %w", p.topic, err)
	}
	return ids, nil
}

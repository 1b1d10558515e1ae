package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/cenkalti/backoff/v4"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// RetryPolicy bounds how often a stage retries a transient failure.
type RetryPolicy struct {
	// MaxAttempts per message and stage, including the first (default 3).
	MaxAttempts     int
	InitialInterval time.Duration // default 500ms
	MaxInterval     time.Duration // default 15s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 3
	}
	if p.InitialInterval <= 0 {
		p.InitialInterval = 500 * time.Millisecond
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 15 * time.Second
	}
	return p
}

// Retry runs a handler again after a transient error, with exponential
// backoff and jitter, honouring a server's RetryAfter hint. It tells the
// handler which attempt is the last (handlers.WithAttempt), so the handler can
// turn a final transient error into a failed event instead of blocking the
// partition with endless redelivery.
func Retry(p RetryPolicy) message.HandlerMiddleware {
	p = p.withDefaults()
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			ctx := msg.Context()
			defer msg.SetContext(ctx)
			b := backoff.NewExponentialBackOff()
			b.InitialInterval = p.InitialInterval
			b.MaxInterval = p.MaxInterval
			b.MaxElapsedTime = 0
			b.Reset()
			for n := 1; ; n++ {
				last := n >= p.MaxAttempts
				msg.SetContext(handlers.WithAttempt(ctx, n, last))
				out, err := h(msg)
				if err == nil || last || ctx.Err() != nil || !messages.IsRetryable(err) {
					return out, err
				}
				wait := b.NextBackOff()
				if ra := messages.Classify(err).RetryAfter; ra > wait {
					// Honour the hint, but never hold the partition longer
					// than MaxInterval for one wait.
					wait = min(ra, p.MaxInterval)
				}
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return nil, ctx.Err()
				}
			}
		}
	}
}

// Detach runs each attempt on a context that outlives the subscriber's: when
// the router shuts down, the subscriber cancels its messages' contexts at
// once, which would abort an Ideogram call that may already be paid for, or
// the ledger write after it. The detached context is cancelled only grace
// after the original one ends, so in-flight work finishes within the
// shutdown deadline and its result is recorded; the uncommitted message is
// then redelivered after restart and answered from the ledger.
func Detach(grace time.Duration) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			parent := msg.Context()
			ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
			defer cancel()
			stop := context.AfterFunc(parent, func() {
				t := time.AfterFunc(grace, cancel)
				context.AfterFunc(ctx, func() { t.Stop() })
			})
			defer stop()
			msg.SetContext(ctx)
			defer msg.SetContext(parent)
			return h(msg)
		}
	}
}

// PoisonOnError is the last line of defence: an error that survived every
// retry (a panic, a bug) sends the message to the poison topic with the reason
// and acks it, so one bad message never blocks its partition. Errors while
// shutting down are returned, so the message is redelivered after restart.
//
// Stages that follow the outcomes (batch, notify) hold state that must not
// be lost to a storage hiccup, so with keepRetrying their retryable errors
// are returned (the message is redelivered) instead of poisoned. For the
// pipeline stages a poisoned message with a known request ID also gets a
// failed event, so the job still has an outcome.
func PoisonOnError(pub message.Publisher, topics messages.Topics, stage string, keepRetrying bool, log *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			if err == nil || msg.Context().Err() != nil || errors.Is(err, context.Canceled) {
				return out, err
			}
			if keepRetrying && messages.IsRetryable(err) {
				log.Warn("will retry after redelivery", slog.String("stage", stage), slog.String("error", err.Error()))
				return nil, err
			}
			p := messages.Poison{
				SchemaVersion: messages.SchemaVersion,
				Reason:        err.Error(),
				Stage:         stage,
				SourceTopic:   message.SubscribeTopicFromCtx(msg.Context()),
				RequestID:     msg.Metadata.Get(messages.HeaderSubject),
				Original:      msg.Payload,
				Metadata:      msg.Metadata,
				At:            time.Now().UTC(),
			}
			pm, perr := messages.NewMessage(messages.TypePoison, p.RequestID, p)
			if perr != nil {
				return nil, errors.Join(err, perr)
			}
			pm.UUID = msg.UUID
			pm.Metadata.Set(messages.HeaderID, msg.UUID)
			if perr := pub.Publish(topics.Poison, pm); perr != nil {
				return nil, fmt.Errorf("%w (and publishing to poison topic failed: %v)", err, perr)
			}
			if id := p.RequestID; !keepRetrying && messages.ValidID(id) {
				f := messages.GenerationFailed{
					SchemaVersion: messages.SchemaVersion, RequestID: id, Stage: stage, Code: messages.CodeInternal,
					Message: "internal error; the message was sent to the poison topic: " + err.Error(), Retryable: true, Attempts: 1,
					FailedAt: time.Now().UTC(),
				}
				routingOf(msg.Payload, &f)
				if fm, ferr := messages.NewMessage(messages.TypeFailed, id, f); ferr == nil {
					if perr := pub.Publish(topics.Failed, fm); perr != nil {
						return nil, fmt.Errorf("%w (and publishing the failed event failed: %v)", err, perr)
					}
				}
			}
			log.Error("message sent to poison topic", slog.String("stage", stage), slog.String("request_id", p.RequestID), slog.String("reason", p.Reason))
			return nil, nil
		}
	}
}

// routingOf copies what routes an outcome (batch, callback, labels) from a
// request or stage-event payload into f, leniently: the payload may be the
// very thing that broke the stage.
func routingOf(payload []byte, f *messages.GenerationFailed) {
	var p struct {
		BatchID     string            `json:"batch_id"`
		BatchSize   int               `json:"batch_size"`
		CallbackURL string            `json:"callback_url"`
		Labels      map[string]string `json:"labels"`
		Request     *struct {
			BatchSize   int    `json:"batch_size"`
			CallbackURL string `json:"callback_url"`
		} `json:"request"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return
	}
	if p.Request != nil {
		p.BatchSize, p.CallbackURL = p.Request.BatchSize, p.Request.CallbackURL
	}
	if messages.ValidID(p.BatchID) && p.BatchSize > 0 {
		f.BatchID, f.BatchSize = p.BatchID, p.BatchSize
	}
	if messages.ValidCallbackURL(p.CallbackURL) {
		f.CallbackURL = p.CallbackURL
	}
	if len(p.Labels) <= messages.MaxLabels {
		f.Labels = p.Labels
	}
}

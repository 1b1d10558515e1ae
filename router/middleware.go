package router

import (
	"context"
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
					wait = ra
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

// PoisonOnError is the last line of defence: an error that survived every
// retry (a panic, a bug) sends the message to the poison topic with the reason
// and acks it, so one bad message never blocks its partition. Errors while
// shutting down are returned, so the message is redelivered after restart.
func PoisonOnError(pub message.Publisher, topics messages.Topics, stage string, log *slog.Logger) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			if err == nil || msg.Context().Err() != nil || errors.Is(err, context.Canceled) {
				return out, err
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
			log.Error("message sent to poison topic", slog.String("stage", stage), slog.String("request_id", p.RequestID), slog.String("reason", p.Reason))
			return nil, nil
		}
	}
}

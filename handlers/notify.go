package handlers

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// NewNotify returns the notify stage: mounted on both outcome topics, it
// delivers each outcome of a request that has a callback_url to that URL as
// a signed CloudEvents JSON document, and records how the delivery ended as
// {prefix}/{request_id}/webhook.json in store (when store is set) and in the
// log. A failed delivery never changes the job's outcome.
func NewNotify(n Notifier, store ObjectStore, opts Options) message.HandlerFunc {
	s := stage{name: messages.StageNotify, opts: opts.withDefaults(), afterOutcome: true}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			var o struct {
				RequestID   string `json:"request_id"`
				CallbackURL string `json:"callback_url"`
			}
			typ := msg.Metadata.Get(messages.HeaderType)
			if typ != messages.TypeCompleted && typ != messages.TypeFailed {
				return nil, &messages.DecodeError{Type: "outcome", Reason: "ce_type " + typ + " is not an outcome"}
			}
			if err := messages.Decode(msg, typ, &o); err != nil {
				return nil, err
			}
			ref.requestID = o.RequestID
			if o.CallbackURL == "" {
				return nil, nil
			}
			body, err := messages.Structured(msg)
			if err != nil {
				return nil, &messages.DecodeError{Type: typ, Reason: err.Error()}
			}
			d, err := n.Deliver(ctx, o.CallbackURL, msg.UUID, typ, body)
			if err != nil && messages.IsRetryable(err) {
				return nil, err
			}
			d.RequestID = o.RequestID
			s.opts.Logger.Info("webhook delivery ended", slog.String("request_id", o.RequestID), slog.String("status", string(d.Status)),
				slog.Int("attempts", d.Attempts), slog.Int("http_status", d.HTTPStatus), slog.String("code", string(d.Code)), slog.String("error", d.Error))
			if store != nil && messages.ValidID(o.RequestID) {
				rec, _ := json.Marshal(d)
				if _, err := store.Put(ctx, s.opts.KeyPrefix+"/"+o.RequestID+"/webhook.json", rec, "application/json"); err != nil {
					// The delivery happened; redoing it for the sake of the
					// record would POST the receiver again.
					s.opts.Logger.Warn("webhook delivery record not stored", slog.String("request_id", o.RequestID), slog.String("error", err.Error()))
				}
			}
			return nil, nil
		})
	}
}

package handlers

import (
	"context"
	"encoding/json"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// BatchStore keeps batch state in object storage, so it survives restarts
// and is shared by every replica of the batch stage.
type BatchStore interface {
	ConditionalStore
	List(ctx context.Context, prefix string) ([]string, error)
}

// batchMark is one request's outcome within its batch.
type batchMark struct {
	RequestID string        `json:"request_id"`
	Completed bool          `json:"completed"`
	Code      messages.Code `json:"code,omitempty"`
}

// NewBatch returns the batch stage: mounted on both outcome topics, it
// records each outcome of a batched request as its own object
// ({prefix}/batches/{batch_id}/{request_id}.json, so a replay overwrites),
// and once every request of the batch has one it emits
// ideogram.batch.completed with the counts.
//
// The emitter claims the batch with a conditional create of an "emitted"
// marker naming its delivery (Kafka record); only that claimant emits, and
// emits again if its own record is redelivered, so a batch completes once
// without failures and at least once with them (with one event ID
// throughout).
func NewBatch(store BatchStore, opts Options) message.HandlerFunc {
	s := stage{name: messages.StageBatch, opts: opts.withDefaults(), afterOutcome: true}
	return func(msg *message.Message) ([]*message.Message, error) {
		var ref jobRef
		return s.run(msg, &ref, func(ctx context.Context) (*message.Message, error) {
			mark, batchID, size, err := decodeOutcome(msg)
			if err != nil {
				return nil, err
			}
			ref.requestID = mark.RequestID
			// Only well-formed IDs become object keys.
			if size <= 0 || !messages.ValidID(batchID) || !messages.ValidID(mark.RequestID) {
				return nil, nil
			}
			dir := path.Join(s.opts.KeyPrefix, "batches", batchID) + "/"
			body, _ := json.Marshal(mark)
			if _, err := store.Put(ctx, dir+"requests/"+mark.RequestID+".json", body, "application/json"); err != nil {
				return nil, err
			}
			keys, err := store.List(ctx, dir+"requests/")
			if err != nil {
				return nil, err
			}
			if len(keys) < size {
				return nil, nil
			}
			// The claim names this delivery, not just the event: a duplicate
			// record of the same outcome event must not emit again, while a
			// redelivery of the claimant's own record (its publish may have
			// failed) must.
			delivery := msg.Metadata.Get(messages.HeaderDelivery)
			if delivery == "" {
				delivery = msg.UUID
			}
			claim, _ := json.Marshal(map[string]string{"delivery": delivery})
			_, won, err := store.PutIfAbsent(ctx, dir+"emitted.json", claim, "application/json")
			if err != nil {
				return nil, err
			}
			if !won {
				mine, err := claimedBy(ctx, store, dir+"emitted.json", delivery)
				if err != nil {
					return nil, err
				}
				if !mine {
					return nil, nil
				}
			}
			done := messages.BatchCompleted{
				SchemaVersion: messages.SchemaVersion, BatchID: batchID, BatchSize: size,
				FailedByCode: map[messages.Code]int{}, CompletedAt: time.Now().UTC(),
			}
			for _, k := range keys {
				raw, err := store.Get(ctx, k)
				if err != nil {
					return nil, err
				}
				var m batchMark
				if err := json.Unmarshal(raw, &m); err != nil {
					return nil, messages.Permanent(messages.CodeStorageFailed, "batch marker %s is unreadable: %v", k, err)
				}
				done.RequestIDs = append(done.RequestIDs, m.RequestID)
				if m.Completed {
					done.Completed++
				} else {
					done.Failed++
					done.FailedByCode[m.Code]++
				}
			}
			sort.Strings(done.RequestIDs)
			return messages.NewMessage(messages.TypeBatchCompleted, batchID, done)
		})
	}
}

func claimedBy(ctx context.Context, store ObjectStore, key, delivery string) (bool, error) {
	raw, err := store.Get(ctx, key)
	if err != nil {
		return false, err
	}
	var c map[string]string
	return json.Unmarshal(raw, &c) == nil && c["delivery"] == delivery, nil
}

// decodeOutcome reads a completed or failed event as a batch mark.
func decodeOutcome(msg *message.Message) (batchMark, string, int, error) {
	switch t := msg.Metadata.Get(messages.HeaderType); t {
	case messages.TypeCompleted:
		var c messages.GenerationCompleted
		if err := messages.Decode(msg, t, &c); err != nil {
			return batchMark{}, "", 0, err
		}
		return batchMark{RequestID: c.RequestID, Completed: true}, c.BatchID, c.BatchSize, nil
	case messages.TypeFailed:
		var f messages.GenerationFailed
		if err := messages.Decode(msg, t, &f); err != nil {
			return batchMark{}, "", 0, err
		}
		return batchMark{RequestID: f.RequestID, Code: f.Code}, f.BatchID, f.BatchSize, nil
	default:
		return batchMark{}, "", 0, &messages.DecodeError{Type: "outcome", Reason: "ce_type " + strings.TrimSpace(t) + " is not an outcome"}
	}
}

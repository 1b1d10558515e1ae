package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/ideobus/ideobus/messages"
)

// LedgerRecord is what the generate stage keeps of one paid call.
type LedgerRecord struct {
	SchemaVersion int              `json:"schema_version"`
	RequestID     string           `json:"request_id"`
	Fingerprint   string           `json:"fingerprint,omitempty"`
	Operation     string           `json:"operation"`
	Model         string           `json:"model"`
	Images        []messages.Image `json:"images"`
	Attempts      int              `json:"attempts"`
	RecordedAt    time.Time        `json:"recorded_at"`
}

// ConditionalStore is an ObjectStore that can create an object only if it is
// absent (S3 and R2: PutObject with If-None-Match: *).
type ConditionalStore interface {
	ObjectStore
	PutIfAbsent(ctx context.Context, key string, body []byte, contentType string) (messages.Asset, bool, error)
}

// NewObjectLedger returns a Ledger kept as {prefix}/{request_id}/ledger.json in
// store, beside the job's images. Record is a conditional create, so two
// racing deliveries of one request keep the first result.
func NewObjectLedger(store ConditionalStore, prefix string) Ledger {
	if prefix == "" {
		prefix = messages.DefaultKeyPrefix
	}
	return objectLedger{store: store, prefix: prefix}
}

type objectLedger struct {
	store  ConditionalStore
	prefix string
}

// LedgerKey is the object key of a request's ledger record.
func LedgerKey(prefix, requestID string) string {
	return prefix + "/" + requestID + "/ledger.json"
}

func (l objectLedger) Lookup(ctx context.Context, requestID string) (*LedgerRecord, bool, error) {
	raw, err := l.store.Get(ctx, LedgerKey(l.prefix, requestID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var rec LedgerRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		// A record we cannot read must not lead to a second paid call.
		return nil, false, messages.Permanent(messages.CodeStorageFailed, "ledger record of %s is unreadable: %v", requestID, err)
	}
	return &rec, true, nil
}

func (l objectLedger) Record(ctx context.Context, rec LedgerRecord) (LedgerRecord, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return rec, fmt.Errorf("encode ledger record: %w", err)
	}
	_, created, err := l.store.PutIfAbsent(ctx, LedgerKey(l.prefix, rec.RequestID), body, "application/json")
	if err != nil || created {
		return rec, err
	}
	first, found, err := l.Lookup(ctx, rec.RequestID)
	if err != nil || !found {
		return rec, err
	}
	return *first, nil
}

// Fingerprint identifies what a request asks Ideogram for (not where the
// result goes: variants, labels, batch and callback may differ), so a
// request ID reused for a different generation is refused instead of being
// answered with another job's images.
func Fingerprint(r messages.GenerationRequest) string {
	g := struct {
		Op, Prompt, Neg, Model, Style, Aspect, Res, Magic, Speed, Preset, Source, Mask string
		Codes                                                                          []string
		Seed                                                                           *int64
		N                                                                              int
		Palette                                                                        *messages.ColorPalette
		Weight, Resemblance, Detail                                                    *int
	}{r.EffectiveOperation(), r.Prompt, r.NegativePrompt, r.EffectiveModel(), r.StyleType, r.AspectRatio, r.Resolution, r.MagicPrompt,
		r.RenderingSpeed, r.StylePreset, r.SourceImage, r.Mask, r.StyleCodes, r.Seed, r.Images(), r.ColorPalette, r.ImageWeight, r.Resemblance, r.Detail}
	b, _ := json.Marshal(g)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

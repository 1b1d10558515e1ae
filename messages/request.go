package messages

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// NewRequestID returns a fresh random request ID.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// NewRequestMessage prepares req for submission and encodes it as an
// ideogram.generation.requested message: it fills a missing ID (a
// caller-supplied ID is the idempotency key), the schema version and the
// submission time, validates it (every problem at once), and sets the
// partition key and correlation ID to the request ID.
func NewRequestMessage(req GenerationRequest) (*message.Message, GenerationRequest, error) {
	if req.ID == "" {
		req.ID = NewRequestID()
	}
	if req.SchemaVersion == 0 {
		req.SchemaVersion = SchemaVersion
	}
	if req.SubmittedAt.IsZero() {
		req.SubmittedAt = time.Now().UTC()
	}
	if err := req.Validate(); err != nil {
		return nil, req, err
	}
	msg, err := NewMessage(TypeRequested, req.ID, req)
	if err != nil {
		return nil, req, err
	}
	msg.Metadata.Set(HeaderCorrelationID, req.ID)
	return msg, req, nil
}

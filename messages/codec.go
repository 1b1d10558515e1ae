package messages

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Metadata keys. Kafka carries each as a record header: the CloudEvents Kafka
// protocol binding in binary content mode, plus correlation metadata.
const (
	HeaderSpecVersion   = "ce_specversion"
	HeaderID            = "ce_id"
	HeaderType          = "ce_type"
	HeaderSource        = "ce_source"
	HeaderTime          = "ce_time"
	HeaderSubject       = "ce_subject"
	HeaderDataSchema    = "ce_dataschema"
	HeaderContentType   = "content-type"
	HeaderPartitionKey  = "ce_partitionkey"
	HeaderCorrelationID = "correlation_id"
	// HeaderDelivery is set by the consuming side (the Kafka adapter writes
	// "topic/partition/offset") to tell one record from a duplicate record
	// of the same event. It is not part of the wire contract.
	HeaderDelivery = "ideobus_delivery"
)

// SpecVersion is the CloudEvents version the headers follow.
const SpecVersion = "1.0"

// ContentTypeJSON is the content type of every payload.
const ContentTypeJSON = "application/json"

// DefaultSource is the CloudEvents source of events ideobus emits.
const DefaultSource = "urn:ideobus"

// eventNamespace roots the name-based UUIDs of event IDs.
var eventNamespace = [16]byte{0x6f, 0x1d, 0x2a, 0x4c, 0x8e, 0x35, 0x4b, 0x8a, 0x9c, 0x41, 0x0e, 0x5a, 0x7d, 0x21, 0x63, 0x90}

// EventID is the deterministic ID of the event of eventType for a request (and,
// for per-image events, an image index): a UUIDv5, so the same event replayed
// has the same ID and a consumer can drop the duplicate.
func EventID(requestID, eventType string, index ...int) string {
	h := sha1.New()
	h.Write(eventNamespace[:])
	h.Write([]byte(requestID))
	h.Write([]byte{0})
	h.Write([]byte(eventType))
	for _, i := range index {
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(i)))
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// NewMessage encodes payload as the JSON event eventType of request requestID,
// with CloudEvents binary-mode headers. The message UUID is the event ID and
// the partition key is the request ID, so one job's events stay in order.
func NewMessage(eventType, requestID string, payload any) (*message.Message, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", eventType, err)
	}
	id := EventID(requestID, eventType)
	msg := message.NewMessage(id, body)
	msg.Metadata.Set(HeaderSpecVersion, SpecVersion)
	msg.Metadata.Set(HeaderID, id)
	msg.Metadata.Set(HeaderType, eventType)
	msg.Metadata.Set(HeaderSource, DefaultSource)
	msg.Metadata.Set(HeaderTime, time.Now().UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(HeaderContentType, ContentTypeJSON)
	msg.Metadata.Set(HeaderDataSchema, fmt.Sprintf("urn:ideobus:schema:%s:v%d", eventType, SchemaVersion))
	if requestID != "" {
		msg.Metadata.Set(HeaderSubject, requestID)
		msg.Metadata.Set(HeaderPartitionKey, requestID)
	}
	return msg, nil
}

// DecodeError is returned when a message cannot be decoded. Such a message can
// never succeed, so it belongs on the poison topic.
type DecodeError struct {
	Type   string
	Reason string
	// RequestID is set when the request ID could still be read.
	RequestID string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("undecodable %s message: %s", e.Type, e.Reason)
}

// Decode decodes msg's JSON payload into v, expecting events of eventType. A
// message whose ce_type names another type, whose content type is not JSON,
// whose payload is not valid JSON for v, or whose schema major version is newer
// than this package's, yields a *DecodeError.
func Decode(msg *message.Message, eventType string, v any) error {
	if t := msg.Metadata.Get(HeaderType); t != "" && t != eventType {
		return &DecodeError{Type: eventType, Reason: fmt.Sprintf("ce_type is %q, want %q", t, eventType)}
	}
	if ct := msg.Metadata.Get(HeaderContentType); ct != "" && ct != ContentTypeJSON && ct != ContentTypeJSON+"; charset=utf-8" {
		return &DecodeError{Type: eventType, Reason: fmt.Sprintf("content-type is %q, want %q", ct, ContentTypeJSON)}
	}
	if err := json.Unmarshal(msg.Payload, v); err != nil {
		return &DecodeError{Type: eventType, Reason: "invalid JSON: " + err.Error(), RequestID: peekRequestID(msg.Payload)}
	}
	var ver struct {
		SchemaVersion int `json:"schema_version"`
	}
	_ = json.Unmarshal(msg.Payload, &ver)
	if ver.SchemaVersion > SchemaVersion {
		return &DecodeError{Type: eventType, Reason: fmt.Sprintf("schema_version %d is newer than supported %d", ver.SchemaVersion, SchemaVersion), RequestID: peekRequestID(msg.Payload)}
	}
	return nil
}

// peekRequestID reads a request ID out of a payload that failed to decode
// fully, so that a failed event can still be emitted for it.
func peekRequestID(b []byte) string {
	var p struct {
		ID        json.RawMessage `json:"id"`
		RequestID json.RawMessage `json:"request_id"`
	}
	if json.Unmarshal(b, &p) != nil {
		return ""
	}
	for _, raw := range []json.RawMessage{p.RequestID, p.ID} {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" && ValidID(s) {
			return s
		}
	}
	return ""
}

// Structured renders msg as a CloudEvents structured-mode JSON object, the form
// used by `ideobus demo --json` and webhooks.
func Structured(msg *message.Message) ([]byte, error) {
	ev := struct {
		SpecVersion     string          `json:"specversion"`
		ID              string          `json:"id"`
		Type            string          `json:"type"`
		Source          string          `json:"source"`
		Subject         string          `json:"subject,omitempty"`
		Time            string          `json:"time,omitempty"`
		DataContentType string          `json:"datacontenttype"`
		DataSchema      string          `json:"dataschema,omitempty"`
		Data            json.RawMessage `json:"data"`
	}{
		SpecVersion:     msg.Metadata.Get(HeaderSpecVersion),
		ID:              msg.Metadata.Get(HeaderID),
		Type:            msg.Metadata.Get(HeaderType),
		Source:          msg.Metadata.Get(HeaderSource),
		Subject:         msg.Metadata.Get(HeaderSubject),
		Time:            msg.Metadata.Get(HeaderTime),
		DataContentType: msg.Metadata.Get(HeaderContentType),
		DataSchema:      msg.Metadata.Get(HeaderDataSchema),
		Data:            json.RawMessage(msg.Payload),
	}
	if ev.ID == "" {
		ev.ID = msg.UUID
	}
	if !json.Valid(msg.Payload) {
		return nil, fmt.Errorf("payload of %s is not JSON", ev.ID)
	}
	return json.Marshal(ev)
}

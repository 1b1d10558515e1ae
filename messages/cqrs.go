package messages

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
)

// CQRSMarshaler lets Watermill's cqrs component (EventProcessor, EventBus)
// carry ideobus events under their contract type names, e.g.
// ideogram.generation.completed, with the same JSON and CloudEvents headers
// as the rest of the pipeline. It implements cqrs.CommandEventMarshaler.
type CQRSMarshaler struct{}

// typeNames maps the payload types to their event type names.
func typeName(v any) string {
	switch v.(type) {
	case GenerationRequest, *GenerationRequest:
		return TypeRequested
	case GenerationGenerated, *GenerationGenerated:
		return TypeGenerated
	case ImageUploaded, *ImageUploaded:
		return TypeUploaded
	case ImageResized, *ImageResized:
		return TypeResized
	case GenerationCompleted, *GenerationCompleted:
		return TypeCompleted
	case GenerationFailed, *GenerationFailed:
		return TypeFailed
	case BatchCompleted, *BatchCompleted:
		return TypeBatchCompleted
	case Poison, *Poison:
		return TypePoison
	}
	return ""
}

func subjectOf(v any) string {
	switch e := v.(type) {
	case GenerationRequest:
		return e.ID
	case *GenerationRequest:
		return e.ID
	case GenerationCompleted:
		return e.RequestID
	case *GenerationCompleted:
		return e.RequestID
	case GenerationFailed:
		return e.RequestID
	case *GenerationFailed:
		return e.RequestID
	case BatchCompleted:
		return e.BatchID
	case *BatchCompleted:
		return e.BatchID
	case GenerationGenerated:
		return e.RequestID
	case ImageUploaded:
		return e.RequestID
	case ImageResized:
		return e.RequestID
	}
	return ""
}

// Marshal implements cqrs.CommandEventMarshaler.
func (CQRSMarshaler) Marshal(v any) (*message.Message, error) {
	name := typeName(v)
	if name == "" {
		return nil, fmt.Errorf("cqrs: %T is not an ideobus event", v)
	}
	return NewMessage(name, subjectOf(v), v)
}

// Unmarshal implements cqrs.CommandEventMarshaler.
func (CQRSMarshaler) Unmarshal(msg *message.Message, v any) error {
	return Decode(msg, typeName(v), v)
}

// Name implements cqrs.CommandEventMarshaler.
func (CQRSMarshaler) Name(v any) string { return typeName(v) }

// NameFromMessage implements cqrs.CommandEventMarshaler.
func (CQRSMarshaler) NameFromMessage(msg *message.Message) string {
	return msg.Metadata.Get(HeaderType)
}

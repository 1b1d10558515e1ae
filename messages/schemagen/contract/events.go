package contract

import (
	"strconv"
	"strings"

	"github.com/ideobus/ideobus/messages"
)

// Role is how an event's topic is used by applications around ideobus.
type Role int

const (
	// RoleSend marks a topic that client applications publish to.
	RoleSend Role = iota
	// RoleReceive marks an outcome topic that client applications consume.
	RoleReceive
	// RoleInternal marks a topic between two pipeline stages. Custom stages
	// may consume or produce it; ordinary clients do not.
	RoleInternal
)

// Event is one message of the published contract: its CloudEvents type, the
// Go type of its payload and how its topic is used.
type Event struct {
	// Type is the CloudEvents type (header ce_type) and the default topic name.
	Type string
	// Payload is a zero value of the Go payload type.
	Payload any
	// Role says who sends and who receives the event.
	Role Role
	// Summary is a one-line description of the event.
	Summary string
	// Key describes the Kafka record key (the ce_partitionkey header).
	Key string
	// KeyOptional is true when the key may be missing: a poison message whose
	// request ID could not be read has none.
	KeyOptional bool
}

// Events lists every event of the contract in pipeline order.
func Events() []Event {
	const requestKey = "The request ID, so that all events of one job stay on one partition, in order."
	return []Event{
		{Type: messages.TypeRequested, Payload: messages.GenerationRequest{}, Role: RoleSend, Key: requestKey,
			Summary: "A generation job submitted by a producer."},
		{Type: messages.TypeGenerated, Payload: messages.GenerationGenerated{}, Role: RoleInternal, Key: requestKey,
			Summary: "Ideogram answered; the images' ephemeral URLs are known."},
		{Type: messages.TypeUploaded, Payload: messages.ImageUploaded{}, Role: RoleInternal, Key: requestKey,
			Summary: "Every original image is in object storage."},
		{Type: messages.TypeResized, Payload: messages.ImageResized{}, Role: RoleInternal, Key: requestKey,
			Summary: "Every resized variant is in object storage."},
		{Type: messages.TypeCompleted, Payload: messages.GenerationCompleted{}, Role: RoleReceive, Key: requestKey,
			Summary: "The successful outcome of a job."},
		{Type: messages.TypeFailed, Payload: messages.GenerationFailed{}, Role: RoleReceive, Key: requestKey,
			Summary: "The unsuccessful outcome of a job, with a stable failure code."},
		{Type: messages.TypeBatchCompleted, Payload: messages.BatchCompleted{}, Role: RoleReceive,
			Key:     "The batch ID.",
			Summary: "Every request of a batch has an outcome."},
		{Type: messages.TypePoison, Payload: messages.Poison{}, Role: RoleReceive, KeyOptional: true,
			Key:     "The request ID when it could be read from the undecodable message; otherwise no key.",
			Summary: "A message no stage could decode, kept byte for byte with the reason."},
	}
}

// SchemaFile is the path, relative to the docs directory, of the JSON Schema
// of the event's payload: "schemas/generation-completed.json" for
// ideogram.generation.completed.
func (e Event) SchemaFile() string {
	return "schemas/" + strings.ReplaceAll(strings.TrimPrefix(e.Type, "ideogram."), ".", "-") + ".json"
}

// SchemaID is the payload schema's $id, which is also the value of the
// message's ce_dataschema header.
func (e Event) SchemaID() string {
	return "urn:ideobus:schema:" + e.Type + ":v" + strconv.Itoa(messages.SchemaVersion)
}

// ID is the event's identifier in the AsyncAPI document (channel, message and
// schema names): "generationCompleted" for ideogram.generation.completed.
func (e Event) ID() string {
	parts := strings.Split(strings.TrimPrefix(e.Type, "ideogram."), ".")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

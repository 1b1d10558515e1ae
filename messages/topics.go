package messages

// Topics names the Kafka topic of each event type. The defaults equal the type
// names; a deployment may prefix or override any of them.
type Topics struct {
	Requested      string `json:"requested"`
	Generated      string `json:"generated"`
	Uploaded       string `json:"uploaded"`
	Resized        string `json:"resized"`
	Completed      string `json:"completed"`
	Failed         string `json:"failed"`
	Poison         string `json:"poison"`
	BatchCompleted string `json:"batch_completed"`
}

// DefaultTopics returns the default topic names.
func DefaultTopics() Topics {
	return Topics{
		Requested:      TypeRequested,
		Generated:      TypeGenerated,
		Uploaded:       TypeUploaded,
		Resized:        TypeResized,
		Completed:      TypeCompleted,
		Failed:         TypeFailed,
		Poison:         TypePoison,
		BatchCompleted: TypeBatchCompleted,
	}
}

// WithPrefix returns the topics with prefix prepended to each name.
func (t Topics) WithPrefix(prefix string) Topics {
	if prefix == "" {
		return t
	}
	return Topics{
		Requested:      prefix + t.Requested,
		Generated:      prefix + t.Generated,
		Uploaded:       prefix + t.Uploaded,
		Resized:        prefix + t.Resized,
		Completed:      prefix + t.Completed,
		Failed:         prefix + t.Failed,
		Poison:         prefix + t.Poison,
		BatchCompleted: prefix + t.BatchCompleted,
	}
}

// ForType returns the topic that carries events of the given type, or "" for
// an unknown type.
func (t Topics) ForType(eventType string) string {
	switch eventType {
	case TypeRequested:
		return t.Requested
	case TypeGenerated:
		return t.Generated
	case TypeUploaded:
		return t.Uploaded
	case TypeResized:
		return t.Resized
	case TypeCompleted:
		return t.Completed
	case TypeFailed:
		return t.Failed
	case TypePoison:
		return t.Poison
	case TypeBatchCompleted:
		return t.BatchCompleted
	}
	return ""
}

// All lists every topic, in pipeline order.
func (t Topics) All() []string {
	return []string{t.Requested, t.Generated, t.Uploaded, t.Resized, t.Completed, t.Failed, t.Poison, t.BatchCompleted}
}

// Outcomes lists the topics that end a job.
func (t Topics) Outcomes() []string { return []string{t.Completed, t.Failed} }

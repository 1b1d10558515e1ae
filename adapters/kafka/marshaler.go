package kafka

import (
	"fmt"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

// Marshaler maps Watermill messages to Kafka records: metadata become headers
// (the CloudEvents ce_* attributes among them) and the record key is the
// message's partition key (the request ID), so a job's events keep their order.
//
// Unmarshal never fails: a record it cannot make sense of still becomes a
// message, so the stage can route it to the poison topic instead of stalling
// the partition (watermill-kafka stops consuming on an unmarshal error).
type Marshaler struct{}

var _ wkafka.MarshalerUnmarshaler = Marshaler{}

// Marshal implements watermill-kafka's Marshaler.
func (Marshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	headers := make([]sarama.RecordHeader, 0, len(msg.Metadata)+1)
	headers = append(headers, sarama.RecordHeader{Key: []byte(wkafka.UUIDHeaderKey), Value: []byte(msg.UUID)})
	for k, v := range msg.Metadata {
		if k == wkafka.UUIDHeaderKey || k == messages.HeaderDelivery {
			continue
		}
		headers = append(headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
	}
	pm := &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(msg.Payload), Headers: headers}
	if key := msg.Metadata.Get(messages.HeaderPartitionKey); key != "" {
		pm.Key = sarama.StringEncoder(key)
	}
	return pm, nil
}

// Unmarshal implements watermill-kafka's Unmarshaler.
func (Marshaler) Unmarshal(rec *sarama.ConsumerMessage) (*message.Message, error) {
	md := make(message.Metadata, len(rec.Headers))
	var uuid string
	for _, h := range rec.Headers {
		if h == nil {
			continue
		}
		if string(h.Key) == wkafka.UUIDHeaderKey {
			uuid = string(h.Value)
			continue
		}
		md.Set(string(h.Key), string(h.Value))
	}
	if uuid == "" {
		uuid = md.Get(messages.HeaderID)
	}
	if uuid == "" {
		uuid = watermill.NewUUID()
	}
	if md.Get(messages.HeaderPartitionKey) == "" && len(rec.Key) > 0 {
		md.Set(messages.HeaderPartitionKey, string(rec.Key))
	}
	md.Set(messages.HeaderDelivery, fmt.Sprintf("%s/%d/%d", rec.Topic, rec.Partition, rec.Offset))
	msg := message.NewMessage(uuid, rec.Value)
	msg.Metadata = md
	return msg, nil
}

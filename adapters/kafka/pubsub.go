package kafka

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// NewPublisher returns a Watermill publisher that writes to Kafka with
// ideobus's Sarama config and marshaler.
func NewPublisher(cfg Config, logger watermill.LoggerAdapter) (message.Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := wkafka.NewPublisher(wkafka.PublisherConfig{
		Brokers:               cfg.Brokers,
		Marshaler:             Marshaler{},
		OverwriteSaramaConfig: cfg.SaramaConfig(),
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka publisher for %v: %w", cfg.Brokers, err)
	}
	return p, nil
}

// NewSubscriber returns a Watermill subscriber in consumer group group. An
// empty group reads every partition from the configured initial offset without
// committing (used by `ideobus watch`).
func NewSubscriber(cfg Config, group string, logger watermill.LoggerAdapter) (message.Subscriber, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := wkafka.NewSubscriber(wkafka.SubscriberConfig{
		Brokers:               cfg.Brokers,
		Unmarshaler:           Marshaler{},
		OverwriteSaramaConfig: cfg.SaramaConfig(),
		ConsumerGroup:         group,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("kafka subscriber for %v: %w", cfg.Brokers, err)
	}
	return s, nil
}

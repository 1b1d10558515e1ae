package kafka

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// MinVersion is the oldest Kafka protocol version ideobus speaks. Kafka 4
// dropped everything older (KIP-896), and watermill-kafka's default (1.0) is
// refused there, so the default config never uses it.
var MinVersion = sarama.V2_1_0_0

// DefaultVersion is the protocol version ideobus asks for by default. Sarama
// negotiates each request's version with the broker, so this is a ceiling.
var DefaultVersion = sarama.V3_6_0_0

// Config is how ideobus reaches Kafka.
type Config struct {
	// Brokers are the bootstrap addresses (IDEOBUS_KAFKA_BROKERS).
	Brokers []string
	// ConsumerGroup prefixes each stage's consumer group (IDEOBUS_CONSUMER_GROUP);
	// a stage consumes as "<ConsumerGroup>.<stage>".
	ConsumerGroup string
	// ClientID identifies ideobus in broker logs and quotas.
	ClientID string
	// Version is the protocol version ceiling; at least MinVersion.
	Version sarama.KafkaVersion
	// Partitions, ReplicationFactor and Retention apply to topics ideobus
	// creates when provisioning.
	Partitions        int32
	ReplicationFactor int16
	Retention         time.Duration
	// InitialOffsetOldest makes a new consumer group start from the beginning
	// of each topic, so requests produced before the first start are not lost.
	InitialOffsetOldest bool
}

// Defaults returns a Config with ideobus's defaults for the given brokers.
func Defaults(brokers ...string) Config {
	return Config{
		Brokers:             brokers,
		ConsumerGroup:       "ideobus",
		ClientID:            "ideobus",
		Version:             DefaultVersion,
		Partitions:          48,
		ReplicationFactor:   1,
		Retention:           7 * 24 * time.Hour,
		InitialOffsetOldest: true,
	}
}

// ParseBrokers splits a comma-separated broker list, dropping blanks.
func ParseBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Validate reports the first problem with the config, naming the setting.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("IDEOBUS_KAFKA_BROKERS: no Kafka brokers configured")
	}
	if c.ConsumerGroup == "" {
		return errors.New("IDEOBUS_CONSUMER_GROUP: consumer group must not be empty")
	}
	if c.Version != (sarama.KafkaVersion{}) && !c.Version.IsAtLeast(MinVersion) {
		return fmt.Errorf("kafka protocol version %s is below %s, the oldest Kafka 4.x accepts (KIP-896); raise it", c.Version, MinVersion)
	}
	return nil
}

// GroupFor is the consumer group of one stage.
func (c Config) GroupFor(stage string) string { return c.ConsumerGroup + "." + stage }

// SaramaConfig is the Sarama configuration ideobus uses for both producing and
// consuming.
func (c Config) SaramaConfig() *sarama.Config {
	sc := sarama.NewConfig()
	sc.ClientID = c.ClientID
	if sc.ClientID == "" {
		sc.ClientID = "ideobus"
	}
	sc.Version = c.Version
	if sc.Version == (sarama.KafkaVersion{}) {
		sc.Version = DefaultVersion
	}
	sc.Metadata.Retry.Backoff = 250 * time.Millisecond
	sc.Metadata.Retry.Max = 10

	// Idempotent, acks=all: a retried produce is never duplicated by the
	// broker, and an acknowledged event survives a leader change.
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Idempotent = true
	sc.Net.MaxOpenRequests = 1
	sc.Producer.Retry.Max = 10
	sc.Producer.Retry.Backoff = 250 * time.Millisecond
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = sarama.NewHashPartitioner

	sc.Consumer.Return.Errors = true
	if c.InitialOffsetOldest {
		sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	}
	// watermill-kafka commits synchronously after each ack when auto-commit is
	// off, so a restart reprocesses at most the message that was in flight.
	sc.Consumer.Offsets.AutoCommit.Enable = false
	sc.Consumer.Group.Session.Timeout = 10 * time.Second
	sc.Consumer.Group.Heartbeat.Interval = 2 * time.Second
	sc.Consumer.Group.Rebalance.Timeout = 30 * time.Second
	sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky(), sarama.NewBalanceStrategyRange()}
	return sc
}

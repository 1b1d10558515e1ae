package kafka

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/IBM/sarama"
)

// EnsureTopics creates each topic that does not exist yet with the configured
// partitions, replication factor and retention. Existing topics are left as
// they are: ideobus never reconfigures a topic an operator owns.
func EnsureTopics(cfg Config, topics ...string) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.SaramaConfig())
	if err != nil {
		return fmt.Errorf("connect to kafka %v: %w", cfg.Brokers, err)
	}
	defer admin.Close()

	partitions, rf := cfg.Partitions, cfg.ReplicationFactor
	if partitions <= 0 {
		partitions = 1
	}
	if rf <= 0 {
		rf = 1
	}
	entries := map[string]*string{}
	if cfg.Retention > 0 {
		ms := strconv.FormatInt(cfg.Retention.Milliseconds(), 10)
		entries["retention.ms"] = &ms
	}
	for _, t := range topics {
		err := admin.CreateTopic(t, &sarama.TopicDetail{
			NumPartitions:     partitions,
			ReplicationFactor: rf,
			ConfigEntries:     entries,
		}, false)
		if err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
			var te *sarama.TopicError
			if errors.As(err, &te) && te.Err == sarama.ErrTopicAlreadyExists {
				continue
			}
			return fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	return nil
}

package kafka

import (
	"errors"
	"fmt"
	"strconv"
	"time"

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
	created := map[string]bool{}
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
		created[t] = err == nil
	}
	return waitForLeaders(cfg, topics, created)
}

// waitForLeaders returns once every partition of the topics has a leader
// that answers for it. A broker acknowledges CreateTopics before the leaders
// are elected, and a topic another process just created may be in that
// window too; a consumer that starts then gets NotLeaderForPartition.
//
// Partitions of topics created by this call are probed with a ListOffsets
// request each, which only a ready leader answers; for existing topics the
// metadata's leader is enough, which keeps start-up cheap with many
// partitions.
func waitForLeaders(cfg Config, topics []string, created map[string]bool) error {
	if len(topics) == 0 {
		return nil
	}
	client, err := sarama.NewClient(cfg.Brokers, cfg.SaramaConfig())
	if err != nil {
		return fmt.Errorf("connect to kafka %v: %w", cfg.Brokers, err)
	}
	defer client.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pending := ""
		if err := client.RefreshMetadata(topics...); err != nil {
			pending = err.Error()
		}
		for _, t := range topics {
			if pending != "" {
				break
			}
			parts, err := client.Partitions(t)
			if err != nil || len(parts) == 0 {
				pending = t
				break
			}
			for _, p := range parts {
				var err error
				if created[t] {
					_, err = client.GetOffset(t, p, sarama.OffsetNewest)
				} else {
					_, err = client.Leader(t, p)
				}
				if err != nil {
					pending = fmt.Sprintf("%s/%d: %v", t, p, err)
					break
				}
			}
		}
		if pending == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("topics created but partitions have no leader yet (%s)", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

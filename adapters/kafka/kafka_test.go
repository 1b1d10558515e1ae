package kafka_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/adapters/kafka"
	"github.com/ideobus/ideobus/messages"
)

func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

func TestConfigRefusesOldProtocolVersions(t *testing.T) {
	cfg := kafka.Defaults("127.0.0.1:9092")
	cfg.Version = sarama.V1_0_0_0 // watermill-kafka's default, refused by Kafka 4
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "2.1") || !strings.Contains(err.Error(), "KIP-896") {
		t.Fatalf("got %v, want an error explaining the 2.1 minimum", err)
	}
	if err := kafka.Defaults().Validate(); err == nil || !strings.Contains(err.Error(), "IDEOBUS_KAFKA_BROKERS") {
		t.Fatalf("no brokers: got %v, want it to name IDEOBUS_KAFKA_BROKERS", err)
	}
	sc := kafka.Defaults("x:1").SaramaConfig()
	if !sc.Version.IsAtLeast(sarama.V2_1_0_0) || !sc.Producer.Idempotent || sc.Producer.RequiredAcks != sarama.WaitForAll || sc.Consumer.Offsets.AutoCommit.Enable {
		t.Fatalf("sarama config lost a guarantee: version=%s idempotent=%v acks=%v autocommit=%v",
			sc.Version, sc.Producer.Idempotent, sc.Producer.RequiredAcks, sc.Consumer.Offsets.AutoCommit.Enable)
	}
	if err := sc.Validate(); err != nil {
		t.Fatalf("sarama rejects our config: %v", err)
	}
}

func TestMarshalerKeysByRequestIDAndKeepsHeaders(t *testing.T) {
	msg, err := messages.NewMessage(messages.TypeGenerated, "req-42", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	pm, err := kafka.Marshaler{}.Marshal("t", msg)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := pm.Key.Encode()
	if string(key) != "req-42" {
		t.Fatalf("key = %q, want req-42", key)
	}
	rec := &sarama.ConsumerMessage{Key: key, Topic: "t"}
	for _, h := range pm.Headers {
		h := h
		rec.Headers = append(rec.Headers, &h)
	}
	rec.Value, _ = pm.Value.Encode()
	back, err := kafka.Marshaler{}.Unmarshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if back.UUID != msg.UUID || back.Metadata.Get(messages.HeaderType) != messages.TypeGenerated || back.Metadata.Get(messages.HeaderID) != msg.UUID {
		t.Fatalf("round trip lost identity: uuid=%s md=%v", back.UUID, back.Metadata)
	}

	// A record from a foreign producer (no headers at all) still unmarshals,
	// so the stage can poison it instead of the consumer stalling.
	foreign, err := kafka.Marshaler{}.Unmarshal(&sarama.ConsumerMessage{Key: []byte("k"), Value: []byte("garbage")})
	if err != nil || foreign.UUID == "" || foreign.Metadata.Get(messages.HeaderPartitionKey) != "k" {
		t.Fatalf("foreign record: %v %+v", err, foreign)
	}
}

// TestIntegrationProvisionsTopics checks that EnsureTopics creates topics with
// the configured partitions, replication factor and retention, and leaves
// existing ones alone.
func TestIntegrationProvisionsTopics(t *testing.T) {
	cfg := kafka.Defaults(testBrokers(t)...)
	cfg.Partitions = 3
	cfg.Retention = 90 * time.Minute
	topic := uniq("ideobus-provision")
	if err := kafka.EnsureTopics(cfg, topic); err != nil {
		t.Fatal(err)
	}
	if err := kafka.EnsureTopics(cfg, topic); err != nil {
		t.Fatalf("second EnsureTopics on an existing topic: %v", err)
	}
	admin, err := sarama.NewClusterAdmin(cfg.Brokers, cfg.SaramaConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	md, err := admin.DescribeTopics([]string{topic})
	if err != nil || len(md) != 1 || md[0].Err != sarama.ErrNoError {
		t.Fatalf("describe: %v %+v", err, md)
	}
	if n := len(md[0].Partitions); n != 3 {
		t.Errorf("partitions = %d, want 3", n)
	}
	for _, p := range md[0].Partitions {
		if len(p.Replicas) != 1 {
			t.Errorf("partition %d has %d replicas, want 1", p.ID, len(p.Replicas))
		}
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms"}})
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.FormatInt((90 * time.Minute).Milliseconds(), 10)
	found := false
	for _, e := range entries {
		if e.Name == "retention.ms" {
			found = true
			if e.Value != want {
				t.Errorf("retention.ms = %s, want %s", e.Value, want)
			}
		}
	}
	if !found {
		t.Error("retention.ms not reported")
	}
}

// TestIntegrationPublishSubscribeKeepsKeyAndOrder publishes a job's events
// and reads them back in a consumer group: same partition for one request
// ID, in order, with the CloudEvents headers intact.
func TestIntegrationPublishSubscribeKeepsKeyAndOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := kafka.Defaults(testBrokers(t)...)
	cfg.Partitions = 4
	topic := uniq("ideobus-order")
	if err := kafka.EnsureTopics(cfg, topic); err != nil {
		t.Fatal(err)
	}
	pub, err := kafka.NewPublisher(cfg, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const n = 20
	for i := 0; i < n; i++ {
		for _, req := range []string{"req-a", "req-b"} {
			m, _ := messages.NewMessage(messages.TypeGenerated, req, map[string]int{"seq": i})
			m.UUID = fmt.Sprintf("%s-%d", req, i) // distinct records
			if err := pub.Publish(topic, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	sub, err := kafka.NewSubscriber(cfg, uniq("group"), watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]int{}
	part := map[string]int32{}
	for got := 0; got < 2*n; got++ {
		var m *message.Message
		select {
		case m = <-ch:
		case <-ctx.Done():
			t.Fatalf("received %d of %d", got, 2*n)
		}
		req := m.Metadata.Get(messages.HeaderSubject)
		p, _ := wkafka.MessagePartitionFromCtx(m.Context())
		if prev, ok := part[req]; ok && prev != p {
			t.Errorf("%s moved from partition %d to %d", req, prev, p)
		}
		part[req] = p
		want := fmt.Sprintf("%s-%d", req, next[req])
		if m.UUID != want {
			t.Fatalf("out of order for %s: got %s, want %s", req, m.UUID, want)
		}
		next[req]++
		m.Ack()
	}
}

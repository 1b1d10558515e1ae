package kafka

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is an in-process Kafka-protocol broker (franz-go's kfake) on a
// loopback port: real sockets and the real Kafka wire protocol, so the same
// Sarama client code runs as in production.
type Embedded struct {
	cluster *kfake.Cluster
}

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	// Port to listen on; 0 picks a free one.
	Port int
	// DataDir, when set, persists the log so a restart resumes where it was.
	DataDir string
}

// StartEmbedded starts the embedded broker.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(6),
	}
	if opts.Port != 0 {
		kopts = append(kopts, kfake.Ports(opts.Port))
	}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka: %w", err)
	}
	return &Embedded{cluster: c}, nil
}

// Brokers returns the addresses clients should bootstrap from.
func (e *Embedded) Brokers() []string { return e.cluster.ListenAddrs() }

// Close stops the broker.
func (e *Embedded) Close() { e.cluster.Close() }

// Package kafka connects ideobus to Apache Kafka through watermill-kafka and
// Sarama, with ideobus's own Sarama configuration (protocol >= 2.1, idempotent
// acks=all producer, explicit offset commits), a marshaler that keeps the
// CloudEvents headers and keys records by request ID, topic provisioning, and
// an embedded in-process broker (kfake) for the demo and tests.
package kafka

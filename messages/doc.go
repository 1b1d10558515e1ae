// Package messages is the ideobus wire contract, version 1: the typed payloads
// that travel on Kafka, their CloudEvents type names, the default topic names,
// the JSON codec with CloudEvents binary-mode headers, deterministic event IDs,
// and request validation.
//
// It does no I/O. A producer or consumer of ideobus topics needs only this
// package and a Watermill publisher or subscriber.
package messages

//go:generate go run ./schemagen

// SchemaVersion is the version of the payloads in this package. Decoders accept
// any version with the same major number and ignore unknown fields, so fields
// can be added without breaking older consumers.
const SchemaVersion = 1

// Package handlers holds one Watermill handler per pipeline stage: generate,
// upload, resize and purge. Each is a plain message.HandlerFunc that decodes
// its input event, does its work through a small port (see ports.go) and
// returns the next event, or a failed event when the job cannot go on.
//
// Handlers return events of several types (the next stage's event, failed,
// poison); the publisher they are mounted with routes each by its ce_type
// header (router.RouteByType does this). Handlers hold no Kafka or HTTP code.
//
// Errors: a permanent error becomes an ideogram.generation.failed event at
// once. A transient error is returned, so retry middleware can run the handler
// again; on the last attempt (see WithAttempt) it too becomes a failed event,
// with retryable true. An undecodable message becomes a poison record.
package handlers

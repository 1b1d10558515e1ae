// Package telemetry makes ideobus observable: Prometheus metrics (per stage,
// Ideogram calls, the in-flight budget, storage, variants, purges, Watermill's
// router metrics) and OpenTelemetry tracing carried across Kafka in W3C
// traceparent headers, with one span per stage and child spans for the
// Ideogram call, the upload and the purge.
//
// Instrumentation wraps the stage ports and mounts as per-stage middleware,
// so the handlers themselves stay free of it.
package telemetry

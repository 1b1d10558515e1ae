package telemetry

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/ideobus/ideobus/messages"
)

// Telemetry bundles the metrics and the tracer the instrumentation uses.
type Telemetry struct {
	metrics    *Metrics
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
}

// New returns instrumentation recording into m and tracing with tp (the
// global provider when nil).
func New(m *Metrics, tp trace.TracerProvider) *Telemetry {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return &Telemetry{metrics: m, tracer: tp.Tracer("github.com/ideobus/ideobus"), propagator: propagation.TraceContext{}}
}

// Metrics returns the metrics this instrumentation records into.
func (t *Telemetry) Metrics() *Metrics { return t.metrics }

// SetupTracing installs a global tracer provider chosen by the standard
// OpenTelemetry environment variables: OTEL_TRACES_EXPORTER=otlp (with
// OTEL_EXPORTER_OTLP_ENDPOINT and friends, read by the exporter) or console;
// unset or none leaves tracing off. OTEL_SERVICE_NAME names the service
// (default ideobus). The returned function flushes and stops it.
func SetupTracing(ctx context.Context) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	var exp sdktrace.SpanExporter
	switch strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER"))) {
	case "", "none":
		return noop, nil
	case "otlp":
		exp, err = otlptracehttp.New(ctx)
	case "console":
		exp, err = stdouttrace.New(stdouttrace.WithWriter(os.Stderr))
	default:
		return noop, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not one of otlp, console, none", os.Getenv("OTEL_TRACES_EXPORTER"))
	}
	if err != nil {
		return noop, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
	}
	// ideobus unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say
	// otherwise: the environment detector runs last and wins.
	res, err := resource.New(ctx, resource.WithAttributes(attribute.String("service.name", "ideobus")), resource.WithFromEnv())
	if err != nil {
		return noop, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	return tp.Shutdown, nil
}

// metadataCarrier lets the propagator read and write message metadata, so
// the W3C traceparent travels as a Kafka header.
type metadataCarrier message.Metadata

func (c metadataCarrier) Get(k string) string { return message.Metadata(c).Get(k) }
func (c metadataCarrier) Set(k, v string)     { message.Metadata(c).Set(k, v) }
func (c metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Inject writes ctx's trace context into msg's headers. Producers use it
// (messages.WithDecorator) so a trace starts at Submit.
func (t *Telemetry) Inject(ctx context.Context, msg *message.Message) {
	t.propagator.Inject(ctx, metadataCarrier(msg.Metadata))
}

// StageMiddleware runs each attempt of a stage in a span that continues the
// trace in the message's traceparent, and writes the span's context into
// every message the stage emits. Mount it outermost, so the retries share
// one span.
func (t *Telemetry) StageMiddleware(stage string) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			parent := msg.Context()
			ctx := t.propagator.Extract(parent, metadataCarrier(msg.Metadata))
			ctx, span := t.tracer.Start(ctx, "ideobus."+stage, trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithAttributes(
					attribute.String("messaging.system", "kafka"),
					attribute.String("messaging.destination.name", message.SubscribeTopicFromCtx(parent)),
					attribute.String("messaging.message.id", msg.UUID),
					attribute.String("ideobus.request_id", msg.Metadata.Get(messages.HeaderSubject)),
				))
			defer span.End()
			msg.SetContext(ctx)
			defer msg.SetContext(parent)
			out, err := h(msg)
			endSpan(span, err)
			for _, o := range out {
				t.propagator.Inject(ctx, metadataCarrier(o.Metadata))
			}
			return out, err
		}
	}
}

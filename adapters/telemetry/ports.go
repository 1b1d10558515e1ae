package telemetry

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// The wrappers below decorate the stage ports with a child span and the
// matching metrics. Each keeps the optional interfaces of what it wraps
// (conditional puts and listing for the ledger and batches, attempt counts
// for the generator).

// Generator wraps g with an "ideogram.generate" span.
func (t *Telemetry) Generator(g handlers.Generator) handlers.Generator {
	if g == nil {
		return nil
	}
	return tracedGenerator{g: g, t: t}
}

type tracedGenerator struct {
	g handlers.Generator
	t *Telemetry
}

func (w tracedGenerator) Generate(ctx context.Context, req messages.GenerationRequest, in handlers.Inputs) ([]messages.Image, error) {
	images, _, err := w.GenerateAttempts(ctx, req, in)
	return images, err
}

func (w tracedGenerator) GenerateAttempts(ctx context.Context, req messages.GenerationRequest, in handlers.Inputs) ([]messages.Image, int, error) {
	ctx, span := w.t.tracer.Start(ctx, "ideogram."+req.EffectiveOperation(), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("ideobus.request_id", req.ID), attribute.String("ideogram.model", req.EffectiveModel()), attribute.Int("ideogram.num_images", req.Images())))
	defer span.End()
	var images []messages.Image
	attempts := 1
	var err error
	if ga, ok := w.g.(handlers.AttemptReporter); ok {
		images, attempts, err = ga.GenerateAttempts(ctx, req, in)
	} else {
		images, err = w.g.Generate(ctx, req, in)
	}
	span.SetAttributes(attribute.Int("ideogram.attempts", attempts))
	endSpan(span, err)
	return images, attempts, err
}

// Store wraps s with "storage.put"/"storage.get" spans and stored-bytes
// counting.
func (t *Telemetry) Store(s handlers.ObjectStore) handlers.ObjectStore {
	if s == nil {
		return nil
	}
	base := tracedStore{s: s, t: t}
	switch cs := s.(type) {
	case handlers.BatchStore:
		return tracedBatchStore{tracedConditionalStore{tracedStore: base, cs: cs}, cs}
	case handlers.ConditionalStore:
		return tracedConditionalStore{tracedStore: base, cs: cs}
	}
	return base
}

type tracedStore struct {
	s handlers.ObjectStore
	t *Telemetry
}

func (w tracedStore) Put(ctx context.Context, key string, body []byte, contentType string) (messages.Asset, error) {
	ctx, span := w.t.tracer.Start(ctx, "storage.put", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("storage.key", key), attribute.Int("storage.bytes", len(body))))
	defer span.End()
	a, err := w.s.Put(ctx, key, body, contentType)
	endSpan(span, err)
	if err == nil {
		w.t.metrics.storedBytes.WithLabelValues(kindOf(key)).Add(float64(len(body)))
	}
	return a, err
}

func (w tracedStore) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, span := w.t.tracer.Start(ctx, "storage.get", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("storage.key", key)))
	defer span.End()
	b, err := w.s.Get(ctx, key)
	if err != nil && !errors.Is(err, fs.ErrNotExist) { // a miss is an answer, not a failure
		endSpan(span, err)
	}
	return b, err
}

type tracedConditionalStore struct {
	tracedStore
	cs handlers.ConditionalStore
}

type tracedBatchStore struct {
	tracedConditionalStore
	bs handlers.BatchStore
}

func (w tracedConditionalStore) PutIfAbsent(ctx context.Context, key string, body []byte, contentType string) (messages.Asset, bool, error) {
	ctx, span := w.t.tracer.Start(ctx, "storage.put_if_absent", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.String("storage.key", key)))
	defer span.End()
	a, created, err := w.cs.PutIfAbsent(ctx, key, body, contentType)
	endSpan(span, err)
	if err == nil && created {
		w.t.metrics.storedBytes.WithLabelValues(kindOf(key)).Add(float64(len(body)))
	}
	return a, created, err
}

func (w tracedBatchStore) List(ctx context.Context, prefix string) ([]string, error) {
	return w.bs.List(ctx, prefix)
}

func kindOf(key string) string {
	switch {
	case strings.HasSuffix(key, "/original.png"):
		return "original"
	case strings.HasSuffix(key, ".json"):
		return "record"
	default:
		return "variant"
	}
}

// Resizer wraps r with a "resize.render" span and counts variants by format.
func (t *Telemetry) Resizer(r handlers.Resizer) handlers.Resizer {
	if r == nil {
		return nil
	}
	return tracedResizer{r: r, t: t}
}

type tracedResizer struct {
	r handlers.Resizer
	t *Telemetry
}

func (w tracedResizer) Render(ctx context.Context, src []byte, specs []messages.VariantSpec) ([]handlers.Rendition, error) {
	ctx, span := w.t.tracer.Start(ctx, "resize.render", trace.WithAttributes(attribute.Int("resize.variants", len(specs)), attribute.Int("resize.source_bytes", len(src))))
	defer span.End()
	out, err := w.r.Render(ctx, src, specs)
	endSpan(span, err)
	for _, r := range out {
		w.t.metrics.variants.WithLabelValues(r.Spec.Format).Inc()
	}
	return out, err
}

// CDN wraps c with "cdn.purge"/"cdn.warm" spans and purge counting.
func (t *Telemetry) CDN(c handlers.CDN) handlers.CDN {
	if c == nil {
		return nil
	}
	return tracedCDN{c: c, t: t}
}

type tracedCDN struct {
	c handlers.CDN
	t *Telemetry
}

func (w tracedCDN) Purge(ctx context.Context, urls []string) error {
	ctx, span := w.t.tracer.Start(ctx, "cdn.purge", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attribute.Int("cdn.urls", len(urls))))
	defer span.End()
	err := w.c.Purge(ctx, urls)
	endSpan(span, err)
	if err != nil {
		w.t.metrics.purges.WithLabelValues("failed").Inc()
	} else {
		w.t.metrics.purges.WithLabelValues("sent").Inc()
		w.t.metrics.purgedURLs.Add(float64(len(urls)))
	}
	return err
}

func (w tracedCDN) Warm(ctx context.Context, urls []string) error {
	ctx, span := w.t.tracer.Start(ctx, "cdn.warm", trace.WithAttributes(attribute.Int("cdn.urls", len(urls))))
	defer span.End()
	err := w.c.Warm(ctx, urls)
	endSpan(span, err)
	return err
}

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, string(messages.Classify(err).Code))
	}
}

// IdeogramTransport wraps an HTTP transport so every Ideogram API call is
// counted by route and status and timed. Pass it to the ideogram client.
func (t *Telemetry) IdeogramTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		route := routeLabel(r)
		status := "0"
		if resp != nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		t.metrics.ideogramCalls.WithLabelValues(route, status).Inc()
		t.metrics.ideogramTime.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// apiRoutes are the Ideogram API paths; anything else (image downloads from
// ephemeral URLs, one path per image) collapses to one label, so the label
// set stays bounded.
var apiRoutes = map[string]bool{
	"/generate": true, "/edit": true, "/remix": true, "/upscale": true, "/reframe": true, "/describe": true,
	"/v1/ideogram-v3/generate": true, "/v1/ideogram-v3/edit": true, "/v1/ideogram-v3/remix": true, "/v1/ideogram-v3/reframe": true,
}

func routeLabel(r *http.Request) string {
	switch {
	case apiRoutes[r.URL.Path]:
		return r.URL.Path
	case r.Method == http.MethodGet:
		return "image_download"
	}
	return "other"
}

package telemetry

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// Metrics holds ideobus's Prometheus collectors, registered on Registry.
type Metrics struct {
	Registry *prometheus.Registry

	stageMessages *prometheus.CounterVec
	stageDuration *prometheus.HistogramVec
	ideogramCalls *prometheus.CounterVec
	ideogramTime  *prometheus.HistogramVec
	storedBytes   *prometheus.CounterVec
	variants      *prometheus.CounterVec
	purges        *prometheus.CounterVec
	purgedURLs    prometheus.Counter
}

// NewMetrics creates the collectors on a fresh registry, with the Go and
// process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		stageMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ideobus_stage_messages_total",
			Help: "Messages handled per stage, by outcome (ok: the next event was emitted; failed: a failed event; poison; retry: an attempt that will be retried; skipped: nothing to do) and failure code.",
		}, []string{"stage", "outcome", "code"}),
		stageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ideobus_stage_duration_seconds",
			Help:    "Time a stage spent on one message attempt, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12),
		}, []string{"stage", "outcome"}),
		ideogramCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ideobus_ideogram_requests_total",
			Help: "HTTP calls to the Ideogram API, by route and status code (0: no answer).",
		}, []string{"route", "status"}),
		ideogramTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ideobus_ideogram_request_duration_seconds",
			Help:    "Latency of Ideogram API calls, by route.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}, []string{"route"}),
		storedBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ideobus_stored_bytes_total",
			Help: "Bytes written to object storage, by kind (original, variant, record).",
		}, []string{"kind"}),
		variants: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ideobus_variants_rendered_total",
			Help: "Variants rendered, by output format.",
		}, []string{"format"}),
		purges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ideobus_cdn_purges_total",
			Help: "CDN purge calls, by result (sent, failed).",
		}, []string{"result"}),
		purgedURLs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ideobus_cdn_purged_urls_total",
			Help: "URLs purged from the CDN.",
		}),
	}
	reg.MustRegister(m.stageMessages, m.stageDuration, m.ideogramCalls, m.ideogramTime, m.storedBytes, m.variants, m.purges, m.purgedURLs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveBudget exports the generate stage's in-flight budget.
func (m *Metrics) ObserveBudget(b *handlers.Budget) {
	if b == nil {
		return
	}
	m.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ideobus_ideogram_inflight_images", Help: "Images in flight at Ideogram now."},
			func() float64 { return float64(b.InUse()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ideobus_ideogram_inflight_capacity_images", Help: "The in-flight budget, in images."},
			func() float64 { return float64(b.Capacity()) }),
	)
}

// StageMiddleware counts and times each attempt of a stage by what it
// produced. Mount it innermost (after retry), so every attempt is seen.
func (m *Metrics) StageMiddleware(stage string) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			start := time.Now()
			out, err := h(msg)
			outcome, code := classifyResult(out, err)
			m.stageMessages.WithLabelValues(stage, outcome, code).Inc()
			m.stageDuration.WithLabelValues(stage, outcome).Observe(time.Since(start).Seconds())
			return out, err
		}
	}
}

func classifyResult(out []*message.Message, err error) (outcome, code string) {
	if err != nil {
		var de *messages.DecodeError
		if errors.As(err, &de) {
			return "poison", ""
		}
		return "retry", string(messages.Classify(err).Code)
	}
	if len(out) == 0 {
		return "skipped", ""
	}
	for _, o := range out {
		switch o.Metadata.Get(messages.HeaderType) {
		case messages.TypeFailed:
			var f struct {
				Code string `json:"code"`
			}
			_ = json.Unmarshal(o.Payload, &f)
			return "failed", f.Code
		case messages.TypePoison:
			return "poison", ""
		}
	}
	return "ok", ""
}

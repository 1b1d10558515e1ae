package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/adapters/kafka"
	"github.com/ideobus/ideobus/messages"
)

// serveForTest runs `serve` in-process with the ops endpoints on a free port.
func serveForTest(t *testing.T, cfg config) (*stack, *opsServer) {
	t.Helper()
	type ready struct {
		st  *stack
		ops *opsServer
	}
	readyc := make(chan ready, 1)
	errc := make(chan error, 1)
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		errc <- runServe(ctx, cfg, "127.0.0.1:0", func(st *stack, o *opsServer) { readyc <- ready{st, o} })
	}()
	t.Cleanup(func() {
		stop()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case r := <-readyc:
		return r.st, r.ops
	case err := <-errc:
		t.Fatalf("serve: %v", err)
	}
	return nil, nil
}

func opsConfig(t *testing.T) config {
	id := fmt.Sprintf("ops%d", time.Now().UnixNano())
	cfg := config{Embedded: "ideogram,storage,cdn", Brokers: os.Getenv("IDEOBUS_KAFKA_BROKERS"), DataDir: t.TempDir(),
		ConsumerGroup: id, TopicPrefix: id + ".", RetryAttempts: 3, CloseTimeout: 20 * time.Second, Partitions: "6"}
	if cfg.Brokers == "" {
		cfg.Embedded += ",kafka"
	}
	return cfg
}

// TestIntegrationMetricsCountEveryRequest scrapes /metrics after a small
// run: each stage's ok counter equals the requests processed.
func TestIntegrationMetricsCountEveryRequest(t *testing.T) {
	st, ops := serveForTest(t, opsConfig(t))
	outs := collectOutcomes(t, st)
	pub, err := st.publisher()
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	ids := submit(t, pub, st, requests("metrics", n)...)
	outs.wait(t, 2*time.Minute, ids...)

	base := "http://" + ops.addr
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		waitFor(t, 15*time.Second, func() bool { return status(base+path) == want })
	}
	fams := scrape(t, base+"/metrics")
	for _, stage := range []string{"generate", "upload", "resize", "purge"} {
		if got := value(fams, "ideobus_stage_messages_total", map[string]string{"stage": stage, "outcome": "ok"}); got != n {
			t.Errorf("ideobus_stage_messages_total{stage=%q,outcome=ok} = %v, want %d", stage, got, n)
		}
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ideobus_variants_rendered_total", map[string]string{"format": "jpeg"}, n},
		{"ideobus_cdn_purges_total", map[string]string{"result": "sent"}, n},
		{"ideobus_ideogram_requests_total", map[string]string{"route": "/generate", "status": "200"}, n},
		{"ideobus_ideogram_inflight_capacity_images", nil, 10},
	}
	for _, c := range checks {
		if got := value(fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"ideobus_stored_bytes_total", "ideobus_stage_duration_seconds", "ideobus_ideogram_request_duration_seconds", "ideobus_kafka_consumer_lag"} {
		if fams[name] == nil {
			t.Errorf("%s is not exported", name)
		}
	}
	watermillMetric := false
	for name := range fams {
		watermillMetric = watermillMetric || strings.HasPrefix(name, "ideobus_watermill_")
	}
	if !watermillMetric {
		t.Error("no Watermill router metrics (ideobus_watermill_*)")
	}
	ops.draining.Store(true)
	if got := status(base + "/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining = %d, want 503", got)
	}
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value sums the samples of a family whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	sum := 0.0
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == k && l.GetValue() == v)
			}
			ok = ok && found
		}
		if !ok {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		}
	}
	return sum
}

// TestIntegrationTraceFromSubmitToCompleted sets a trace at Submit and finds
// it in the completed event's traceparent header, with a span per stage and
// child spans for the Ideogram call, the upload and the purge.
func TestIntegrationTraceFromSubmitToCompleted(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	st := testStack(t, ideogram.SimOptions{})
	runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	ctx, span := tp.Tracer("test").Start(context.Background(), "checkout-campaign")
	id, err := messages.NewProducer(pub, st.topics, messages.WithDecorator(st.tel.Inject)).Submit(ctx, requests("trace", 1)[0])
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	got := outs.wait(t, 90*time.Second, id)[id]
	tp0 := got.msg.Metadata.Get("traceparent")
	want := span.SpanContext().TraceID().String()
	if !strings.Contains(tp0, want) {
		t.Fatalf("completed event traceparent %q does not carry trace %s", tp0, want)
	}
	names := map[string]bool{}
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() == span.SpanContext().TraceID() {
			names[s.Name()] = true
		}
	}
	for _, n := range []string{"ideobus.generate", "ideobus.upload", "ideobus.resize", "ideobus.purge", "ideogram.generate", "storage.put", "cdn.purge"} {
		if !names[n] {
			t.Errorf("no %q span in the trace (have %v)", n, names)
		}
	}
}

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestIntegrationLogsNeverCarrySecrets captures every log line (debug level)
// of a run that uses an API key, a webhook secret, signed image URLs and
// callback URLs with tokens, and greps for each.
func TestIntegrationLogsNeverCarrySecrets(t *testing.T) {
	var logs lockedBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer recv.Close()
	st := testStackWith(t, ideogram.SimOptions{}, func(c *config) {
		c.WebhookSecrets = secret
		c.WebhookAllow = hostPort(recv.URL)
	})
	runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	reqs := requests("secrets", 3)
	reqs[0].CallbackURL = recv.URL + "/hook?token=tok-SECRET-1"
	reqs[1].CallbackURL = "https://10.0.0.7/hook?token=tok-SECRET-2"
	reqs[2].Prompt += " [sim:500x1]"
	ids := submit(t, pub, st, reqs...)
	outs.wait(t, 2*time.Minute, ids...)
	time.Sleep(2 * time.Second) // let the notify stage finish its retries' logging

	out := logs.String()
	if !strings.Contains(out, "stage done") {
		t.Fatalf("captured no pipeline logs:\n%.2000s", out)
	}
	for what, s := range map[string]string{
		"Ideogram API key":        embeddedIdeogramKey,
		"webhook secret":          secret,
		"webhook secret key part": strings.TrimPrefix(secret, "whsec_"),
		"signed URL signature":    "sig=",
		"callback token":          "tok-SECRET",
		"Api-Key header":          "Api-Key",
	} {
		if strings.Contains(out, s) {
			i := strings.Index(out, s)
			t.Errorf("logs carry the %s: ...%s...", what, out[max(0, i-200):min(len(out), i+100)])
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, `"stage":`) && strings.Contains(line, "stage done") &&
			(!strings.Contains(line, `"request_id":"secrets-`) || !strings.Contains(line, `"correlation_id":"secrets-`)) {
			t.Errorf("job log line lacks request or correlation ID: %s", line)
		}
	}
}

// TestSIGTERMMidBatchLosesNothing runs the real binary, sends SIGTERM in the
// middle of a batch, checks it exits 0, starts it again on the same data,
// and expects an outcome for every request.
func TestIntegrationSIGTERMMidBatchLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "ideobus")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	brokers := os.Getenv("IDEOBUS_KAFKA_BROKERS")
	if brokers == "" {
		e, err := kafka.StartEmbedded(kafka.EmbeddedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		brokers = strings.Join(e.Brokers(), ",")
	}
	// The Ideogram simulator outlives both processes, as the real API would.
	sim := ideogram.NewSimulator(ideogram.SimOptions{APIKey: "k", Latency: 400 * time.Millisecond})
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	id := fmt.Sprintf("sigterm%d", time.Now().UnixNano())
	data := t.TempDir()
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--embedded", "storage,cdn", "--http-addr", "", "--shutdown-timeout", "20s")
		cmd.Env = append(os.Environ(),
			"IDEOBUS_KAFKA_BROKERS="+brokers, "IDEOBUS_CONSUMER_GROUP="+id, "IDEOBUS_TOPIC_PREFIX="+id+".",
			"IDEOBUS_DATA_DIR="+data, "IDEOBUS_KAFKA_PARTITIONS=4",
			"IDEOGRAM_BASE_URL="+simURL, "IDEOGRAM_API_KEY=k", "IDEOGRAM_ALLOW_HTTP=1", "IDEOGRAM_IMAGE_HOSTS="+hostPort(simURL),
			"IDEOBUS_LOG_FORMAT=json")
		var errb lockedBuffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
			if t.Failed() {
				t.Logf("serve stderr (tail):\n%s", tail(errb.String(), 3000))
			}
		})
		return cmd
	}

	first := start()
	cfg := kafka.Defaults(strings.Split(brokers, ",")...)
	cfg.ConsumerGroup = id
	topics := messages.DefaultTopics().WithPrefix(id + ".")
	if err := kafka.EnsureTopics(cfg, topics.All()...); err != nil {
		t.Fatal(err)
	}
	pub, err := kafka.NewPublisher(cfg, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	watchCfg := cfg
	sub, err := kafka.NewSubscriber(watchCfg, "", watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	outcomes, err := subscribeOutcomes(ctx, sub, topics)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := messages.NewProducer(pub, topics).SubmitBatch(ctx, "sigterm-batch", requests(id, 12))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case o := <-outcomes:
			got[o.requestID] = true
		case <-ctx.Done():
			t.Fatal("no outcomes before SIGTERM")
		}
	}
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("serve did not exit 0 on SIGTERM: %v", err)
	}
	t.Logf("SIGTERM after %d of %d outcomes; restarting", len(got), len(ids))
	start()
	for len(got) < len(ids) {
		select {
		case o := <-outcomes:
			if o.completed == nil {
				t.Errorf("%s failed: %+v", o.requestID, o.failed)
			}
			got[o.requestID] = true
		case <-ctx.Done():
			t.Fatalf("after restart: outcomes for %d of %d requests", len(got), len(ids))
		}
	}
	// In-flight calls finished and were recorded before the exit, so the
	// redelivered tail was answered from the ledger: one paid call each.
	if n := sim.GenerateCalls(); n != len(ids) {
		t.Errorf("%d Ideogram calls for %d requests across the restart, want exactly one each", n, len(ids))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

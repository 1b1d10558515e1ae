package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	wkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/adapters/webhook"
	"github.com/ideobus/ideobus/messages"
)

// The integration suite runs against $IDEOBUS_KAFKA_BROKERS when it is set
// (CI points it at a real Apache Kafka 4.x) and against an embedded kfake
// broker otherwise. Ideogram, S3 and the CDN are the embedded peers either
// way. Each test uses its own topic prefix and consumer group, so runs on a
// shared broker do not see each other.

func TestMain(m *testing.M) {
	if b := os.Getenv("IDEOBUS_KAFKA_BROKERS"); b != "" {
		v := os.Getenv("IDEOBUS_KAFKA_VERSION")
		if v == "" {
			v = "(version not given)"
		}
		fmt.Printf("broker: Apache Kafka %s at %s\n", v, b)
	} else {
		fmt.Println("broker: embedded kfake (set IDEOBUS_KAFKA_BROKERS to test a real broker)")
	}
	os.Exit(m.Run())
}

// testStack starts a stack with the embedded Ideogram, S3 and CDN peers on
// the broker under test, with topics provisioned.
func testStack(t *testing.T, sim ideogram.SimOptions) *stack {
	t.Helper()
	return testStackWith(t, sim, nil)
}

func testStackWith(t *testing.T, sim ideogram.SimOptions, edit func(*config)) *stack {
	t.Helper()
	id := fmt.Sprintf("it%d", time.Now().UnixNano())
	cfg := config{
		Embedded:      "ideogram,storage,cdn",
		Brokers:       os.Getenv("IDEOBUS_KAFKA_BROKERS"),
		DataDir:       t.TempDir(),
		ConsumerGroup: id,
		TopicPrefix:   id + ".",
		RetryAttempts: 3,
		CloseTimeout:  20 * time.Second,
		Partitions:    "6", // enough for these tests, and quick to assign
	}
	if cfg.Brokers == "" {
		cfg.Embedded += ",kafka"
	}
	if edit != nil {
		edit(&cfg)
	}
	st, err := startStack(context.Background(), cfg, stackOptions{sim: sim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.provision(); err != nil {
		t.Fatal(err)
	}
	return st
}

// runRouter runs one pipeline router (all stages, the stack's consumer
// groups) and returns a function that shuts it down gracefully.
func runRouter(t *testing.T, st *stack) (stop func()) {
	t.Helper()
	pl, err := st.startPipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			if err := pl.stop(); err != nil {
				t.Errorf("router: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// collector gathers outcomes (every copy, duplicates included) by request.
type collector struct {
	mu   sync.Mutex
	byID map[string][]outcome
	ch   chan string
}

func collectOutcomes(t *testing.T, st *stack) *collector {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := st.subscriber("", true)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := subscribeOutcomes(ctx, sub, st.topics)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{byID: map[string][]outcome{}, ch: make(chan string, 1024)}
	go func() {
		for o := range outs {
			c.mu.Lock()
			c.byID[o.requestID] = append(c.byID[o.requestID], o)
			c.mu.Unlock()
			c.ch <- o.requestID
		}
	}()
	return c
}

// wait blocks until every id has at least one outcome.
func (c *collector) wait(t *testing.T, timeout time.Duration, ids ...string) map[string]outcome {
	t.Helper()
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		got := map[string]outcome{}
		for _, id := range ids {
			if os := c.byID[id]; len(os) > 0 {
				got[id] = os[0]
			}
		}
		c.mu.Unlock()
		if len(got) == len(ids) {
			return got
		}
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("outcomes for %d of %d requests after %s", len(got), len(ids), timeout)
		}
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}

// checkExactlyOneEach asserts requests in equal outcomes out: every request
// has outcomes, all copies of a request's outcome carry one event ID (so a
// consumer can drop at-least-once duplicates), and none both completed and
// failed.
func (c *collector) checkExactlyOneEach(t *testing.T, ids []string) (dups int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		os := c.byID[id]
		if len(os) == 0 {
			t.Errorf("%s: no outcome (lost)", id)
			continue
		}
		first := os[0].msg.UUID
		for _, o := range os[1:] {
			dups++
			if o.msg.UUID != first {
				t.Errorf("%s: two different outcome events %s and %s (%s vs %s)", id, first, o.msg.UUID,
					os[0].msg.Metadata.Get(messages.HeaderType), o.msg.Metadata.Get(messages.HeaderType))
			}
		}
		if os[0].completed == nil {
			t.Errorf("%s failed: %+v", id, os[0].failed)
		}
	}
	if len(c.byID) != len(ids) {
		t.Errorf("%d requests have outcomes, %d were submitted", len(c.byID), len(ids))
	}
	return dups
}

func submit(t *testing.T, pub message.Publisher, st *stack, reqs ...messages.GenerationRequest) []string {
	t.Helper()
	var ids []string
	for _, r := range reqs {
		m, r, err := messages.NewRequestMessage(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(st.topics.Requested, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func requests(prefix string, n int) []messages.GenerationRequest {
	out := make([]messages.GenerationRequest, n)
	for i := range out {
		out[i] = messages.GenerationRequest{
			ID:       fmt.Sprintf("%s-%d", prefix, i),
			Prompt:   fmt.Sprintf("%s poster number %d", prefix, i),
			Variants: []messages.VariantSpec{{Name: "thumbnail"}},
		}
	}
	return out
}

// TestIntegrationPipeline runs requests through every stage over the broker
// and checks the outcome against the store and the CDN.
func TestIntegrationPipeline(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{})
	runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	two := 2
	ids := submit(t, pub, st, messages.GenerationRequest{
		ID: "pipe-1", Prompt: "a glass teapot, studio light", NumImages: &two,
		Variants: []messages.VariantSpec{{Name: "og-image"}, {Name: "banner", Width: 728, Height: 90}},
		BatchID:  "b1", Labels: map[string]string{"team": "growth"},
	})
	got := outs.wait(t, 90*time.Second, ids...)
	c := got["pipe-1"].completed
	if c == nil {
		t.Fatalf("failed: %+v", got["pipe-1"].failed)
	}
	if c.BatchID != "b1" || c.Labels["team"] != "growth" || len(c.Images) != 2 {
		t.Fatalf("completed event lost request data: %+v", c)
	}
	for _, im := range c.Images {
		if im.Original == nil || len(im.Variants) != 2 || im.Variants[1].Width != 728 || im.Variants[1].Height != 90 {
			t.Fatalf("image %d: %+v", im.Index, im)
		}
		if strings.Contains(im.SourceURL, "sig=") {
			t.Errorf("completed event carries the ephemeral URL's signature: %s", im.SourceURL)
		}
		for _, v := range im.Variants {
			if st.edge.PurgeCount(v.URL) != 1 {
				t.Errorf("%s purged %d times, want 1", v.URL, st.edge.PurgeCount(v.URL))
			}
			body, err := get(context.Background(), v.URL)
			if err != nil || int64(len(body)) != v.Bytes {
				t.Errorf("CDN serves %s: %d bytes, %v; want %d", v.URL, len(body), err, v.Bytes)
			}
		}
	}
}

// TestIntegrationOrdering checks that one request's events share a
// partition in every topic (key = request ID) and follow the pipeline order.
func TestIntegrationOrdering(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{})
	runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	ids := submit(t, pub, st, requests("order", 8)...)
	outs.wait(t, 2*time.Minute, ids...)

	sub, err := st.subscriber("", true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type seen struct {
		partition int32
		at        time.Time
	}
	chain := []string{st.topics.Requested, st.topics.Generated, st.topics.Uploaded, st.topics.Resized, st.topics.Completed}
	events := map[string][]seen{}
	for _, topic := range chain {
		ch, err := sub.Subscribe(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(ids); {
			select {
			case m := <-ch:
				m.Ack()
				p, _ := wkafka.MessagePartitionFromCtx(m.Context())
				at, _ := time.Parse(time.RFC3339Nano, m.Metadata.Get(messages.HeaderTime))
				id := m.Metadata.Get(messages.HeaderSubject)
				events[id] = append(events[id], seen{p, at})
				n++
			case <-ctx.Done():
				t.Fatalf("topic %s: %d of %d events", topic, n, len(ids))
			}
		}
	}
	for _, id := range ids {
		ev := events[id]
		if len(ev) != len(chain) {
			t.Fatalf("%s: %d events, want %d", id, len(ev), len(chain))
		}
		for i := 1; i < len(ev); i++ {
			if ev[i].partition != ev[0].partition {
				t.Errorf("%s: %s on partition %d, %s on %d", id, chain[0], ev[0].partition, chain[i], ev[i].partition)
			}
			if ev[i].at.Before(ev[i-1].at) {
				t.Errorf("%s: %s at %s precedes %s at %s", id, chain[i], ev[i].at, chain[i-1], ev[i-1].at)
			}
		}
	}
}

// TestIntegrationBadInput sends an invalid request and a message that is not
// JSON at all before a valid one: a failed event names the fields, the
// garbage lands on the poison topic, and the valid request still completes.
func TestIntegrationBadInput(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{})
	runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	sub, err := st.subscriber("", true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	poison, err := sub.Subscribe(ctx, st.topics.Poison)
	if err != nil {
		t.Fatal(err)
	}

	zero := 0
	raw := func(payload []byte, key string) {
		m := message.NewMessage(fmt.Sprintf("raw-%d", time.Now().UnixNano()), payload)
		if key != "" {
			m.Metadata.Set(messages.HeaderPartitionKey, key)
		}
		if err := pub.Publish(st.topics.Requested, m); err != nil {
			t.Fatal(err)
		}
	}
	raw(mustJSON(t, messages.GenerationRequest{SchemaVersion: 1, ID: "bad-1", Prompt: "", NumImages: &zero}), "bad-1")
	raw([]byte("this is not JSON {"), "")
	ids := submit(t, pub, st, messages.GenerationRequest{ID: "good-1", Prompt: "a teapot", Variants: []messages.VariantSpec{{Name: "thumbnail"}}})

	got := outs.wait(t, 90*time.Second, "bad-1", ids[0])
	f := got["bad-1"].failed
	if f == nil || f.Code != messages.CodeInvalidRequest || f.Retryable || f.Stage != messages.StageValidate {
		t.Fatalf("bad-1: want failed invalid_request, not retryable, stage validate; got %+v", got["bad-1"])
	}
	for _, field := range []string{"prompt", "num_images"} {
		if !strings.Contains(f.Message, field) {
			t.Errorf("failure message %q does not name %s", f.Message, field)
		}
	}
	if got["good-1"].completed == nil {
		t.Fatalf("good-1 did not complete: %+v", got["good-1"].failed)
	}
	select {
	case m := <-poison:
		m.Ack()
		var p messages.Poison
		if err := messages.Decode(m, messages.TypePoison, &p); err != nil {
			t.Fatal(err)
		}
		if string(p.Original) != "this is not JSON {" || !strings.Contains(p.Reason, "invalid JSON") || p.Stage != "generate" {
			t.Fatalf("poison record: %+v", p)
		}
	case <-ctx.Done():
		t.Fatal("nothing on the poison topic")
	}
}

// TestIntegrationRebalance shares every stage between two routers in the
// same consumer groups: the second joins while work is in flight, then the
// first leaves. No request may be lost, and each has one outcome (copies
// only as at-least-once allows, with the same event ID).
func TestIntegrationRebalance(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{Latency: 300 * time.Millisecond})
	stop1 := runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	ids := submit(t, pub, st, requests("rebalance", 16)...)

	outs.wait(t, 2*time.Minute, ids[:1]...)
	runRouter(t, st) // joins the groups: partitions move
	waitFor(t, time.Minute, func() bool { return outs.count() >= 6 })
	stop1() // leaves the groups: its partitions move to the second router
	if n := outs.count(); n >= len(ids) {
		t.Fatalf("all %d outcomes were in before the first router left: the hand-over was not exercised", n)
	}
	outs.wait(t, 3*time.Minute, ids...)
	dups := outs.checkExactlyOneEach(t, ids)
	t.Logf("16 requests in, 16 outcomes out, %d at-least-once duplicates (same event ID)", dups)
}

// TestIntegrationRestartResume stops the pipeline mid-batch, submits more
// while it is down, and starts a new router in the same groups: it resumes
// from the committed offsets, so every request gets its outcome and only the
// uncommitted tail (at most one in-flight message per partition) is
// processed twice.
func TestIntegrationRestartResume(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{Latency: 100 * time.Millisecond})
	stop1 := runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	first := requests("restart-a", 10)
	ids := submit(t, pub, st, first...)
	waitFor(t, 2*time.Minute, func() bool { return outs.count() >= 3 })
	stop1()
	later := requests("restart-b", 5)
	ids = append(ids, submit(t, pub, st, later...)...)
	runRouter(t, st)
	outs.wait(t, 3*time.Minute, ids...)
	outs.checkExactlyOneEach(t, ids)

	total, extra := 0, 0
	for _, r := range append(first, later...) {
		n := st.sim.PromptCalls(r.Prompt)
		total += n
		if n > 1 {
			extra += n - 1
		}
		if n == 0 {
			t.Errorf("%s never reached Ideogram", r.ID)
		}
	}
	// One generate consumer holds at most one uncommitted message per
	// partition when it stops.
	if limit := 6; extra > limit {
		t.Errorf("%d generate calls reprocessed after restart, more than the uncommitted tail (%d partitions)", extra, limit)
	}
	t.Logf("%d requests, %d generate calls (%d reprocessed from the uncommitted tail)", len(ids), total, extra)
}

func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// failFirstGenerated fails the first publish of each request's generated
// event: the generate stage has paid for the call but cannot hand the result
// on, so the request message is not acked and comes back, exactly as after a
// crash between the API call and the ack.
type failFirstGenerated struct {
	message.Publisher
	mu     sync.Mutex
	failed map[string]bool
}

func (f *failFirstGenerated) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		if m.Metadata.Get(messages.HeaderType) != messages.TypeGenerated {
			continue
		}
		id := m.Metadata.Get(messages.HeaderSubject)
		f.mu.Lock()
		first := !f.failed[id]
		f.failed[id] = true
		f.mu.Unlock()
		if first {
			return fmt.Errorf("injected: broker unavailable while publishing %s", id)
		}
	}
	return f.Publisher.Publish(topic, msgs...)
}

// TestIntegrationNoDoubleBilling delivers each request twice (the same ID
// published twice) and makes the first hand-off of every generated event
// fail after the paid call, so each request is processed at least three
// times. The ledger must keep Ideogram at exactly one call per request ID.
func TestIntegrationNoDoubleBilling(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{})
	pub, err := st.publisher()
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.router(&failFirstGenerated{Publisher: pub, failed: map[string]bool{}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.Run(context.Background()) }()
	defer r.Close()
	<-r.Running()
	outs := collectOutcomes(t, st)

	reqs := requests("billing", 5)
	ids := submit(t, pub, st, reqs...)
	submit(t, pub, st, reqs...) // the same IDs again: a producer retry or replay
	outs.wait(t, 2*time.Minute, ids...)
	// Let any second delivery finish too before counting.
	waitFor(t, time.Minute, func() bool {
		outs.mu.Lock()
		defer outs.mu.Unlock()
		n := 0
		for _, id := range ids {
			n += len(outs.byID[id])
		}
		return n >= 2*len(ids)
	})
	outs.checkExactlyOneEach(t, ids)
	for _, rq := range reqs {
		if n := st.sim.PromptCalls(rq.Prompt); n != 1 {
			t.Errorf("%s: %d generate calls, want exactly 1", rq.ID, n)
		}
	}
}

// TestIntegrationBatchCompletesOnceAcrossRestart submits a batch of 5 (3
// ordinary, 2 hitting the safety trigger), restarts the pipeline in the
// middle of it, and expects exactly one ideogram.batch.completed with
// completed=3, failed=2 {content_filtered: 2}.
func TestIntegrationBatchCompletesOnceAcrossRestart(t *testing.T) {
	st := testStack(t, ideogram.SimOptions{Latency: 300 * time.Millisecond})
	stop1 := runRouter(t, st)
	pub, _ := st.publisher()
	sub, err := st.subscriber("", true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	batches, err := sub.Subscribe(ctx, st.topics.BatchCompleted)
	if err != nil {
		t.Fatal(err)
	}
	outs := collectOutcomes(t, st)
	reqs := requests("batch", 5)
	reqs[3].Prompt += " [sim:unsafe]"
	reqs[4].Prompt += " [sim:unsafe]"
	ids, err := messages.NewProducer(pub, st.topics).SubmitBatch(ctx, "campaign-7", reqs)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, func() bool { return outs.count() >= 2 })
	stop1() // mid-batch
	runRouter(t, st)
	outs.wait(t, 2*time.Minute, ids...)

	var got []messages.BatchCompleted
	deadline := time.After(30 * time.Second)
	for len(got) == 0 {
		select {
		case m := <-batches:
			m.Ack()
			var b messages.BatchCompleted
			if err := messages.Decode(m, messages.TypeBatchCompleted, &b); err != nil {
				t.Fatal(err)
			}
			if m.UUID != messages.EventID("campaign-7", messages.TypeBatchCompleted) {
				t.Errorf("batch event ID %s is not the deterministic one", m.UUID)
			}
			got = append(got, b)
		case <-deadline:
			t.Fatal("no ideogram.batch.completed")
		}
	}
	// Anything more would have arrived by now: the last outcome was seen.
	extra := time.After(3 * time.Second)
	for done := false; !done; {
		select {
		case m := <-batches:
			m.Ack()
			t.Errorf("a second ideogram.batch.completed (%s)", m.UUID)
		case <-extra:
			done = true
		}
	}
	b := got[0]
	if b.BatchID != "campaign-7" || b.BatchSize != 5 || b.Completed != 3 || b.Failed != 2 || b.FailedByCode[messages.CodeContentFiltered] != 2 || len(b.RequestIDs) != 5 {
		t.Fatalf("batch: %+v", b)
	}
}

// TestIntegrationWebhooks delivers outcomes to callback URLs: a receiver on
// loopback that is allow-listed gets the signed completed event; one that is
// not is refused with callback_refused, and that job still completes.
func TestIntegrationWebhooks(t *testing.T) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	type hit struct {
		header http.Header
		body   []byte
	}
	hits := make(chan hit, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- hit{r.Header.Clone(), b}
	}))
	defer recv.Close()
	blocked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the SSRF guard let a request through to a refused receiver")
	}))
	defer blocked.Close()

	st := testStackWith(t, ideogram.SimOptions{}, func(c *config) {
		c.WebhookSecrets = secret
		c.WebhookAllow = hostPort(recv.URL)
	})
	runRouter(t, st)
	outs := collectOutcomes(t, st)
	pub, _ := st.publisher()
	reqs := requests("hook", 2)
	reqs[0].CallbackURL = recv.URL + "/ideobus?token=abc"
	reqs[1].CallbackURL = blocked.URL + "/internal"
	ids := submit(t, pub, st, reqs...)
	got := outs.wait(t, 90*time.Second, ids...)
	for _, id := range ids {
		if got[id].completed == nil {
			t.Fatalf("%s did not complete: %+v", id, got[id].failed)
		}
	}
	select {
	case h := <-hits:
		if err := webhook.Verify([]string{secret}, h.header, h.body, time.Now()); err != nil {
			t.Fatalf("delivered webhook does not verify: %v", err)
		}
		var ev struct{ Type, ID string }
		_ = json.Unmarshal(h.body, &ev)
		if ev.Type != messages.TypeCompleted || h.header.Get("webhook-id") != ev.ID || ev.ID != got[ids[0]].msg.UUID {
			t.Fatalf("webhook carries %s/%s, id header %s", ev.Type, ev.ID, h.header.Get("webhook-id"))
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the allow-listed receiver got nothing")
	}
	var rec messages.WebhookDelivery
	waitFor(t, 30*time.Second, func() bool {
		raw, err := os.ReadFile(st.s3.ObjectPath(embeddedBucket, "ideobus/"+ids[1]+"/webhook.json"))
		return err == nil && json.Unmarshal(raw, &rec) == nil
	})
	if rec.Status != messages.DeliveryRefused || rec.Code != messages.CodeCallbackRefused || rec.Error == "" || rec.Attempts != 0 {
		t.Fatalf("refused delivery record: %+v", rec)
	}
}

package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/adapters/storage"
	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

func TestBudgetNeverExceedsCapacity(t *testing.T) {
	b := handlers.NewBudget(10)
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			release, err := b.Acquire(context.Background(), n)
			if err != nil {
				t.Error(err)
				return
			}
			w := int64(min(n, 10))
			now := inUse.Add(w)
			for {
				p := peak.Load()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inUse.Add(-w)
			release()
		}(1 + i%12) // weights 1..12: more than the budget waits for all of it
	}
	wg.Wait()
	if p := peak.Load(); p > 10 {
		t.Fatalf("peak %d images in flight, budget 10", p)
	}
	if b.InUse() != 0 {
		t.Fatalf("budget leaks: %d in use after all released", b.InUse())
	}
	ctx, cancel := context.WithCancel(context.Background())
	hold, _ := b.Acquire(ctx, 10)
	cancel()
	if _, err := b.Acquire(ctx, 1); err == nil {
		t.Fatal("Acquire on a full budget with a cancelled context succeeded")
	}
	hold()
}

func TestObjectLedgerKeepsTheFirstRecord(t *testing.T) {
	ctx := context.Background()
	st := localStore(t, "ledger")
	l := handlers.NewObjectLedger(st, "ideobus")
	if _, found, err := l.Lookup(ctx, "req-1"); err != nil || found {
		t.Fatalf("empty ledger: found=%v err=%v", found, err)
	}
	first := handlers.LedgerRecord{RequestID: "req-1", Images: []messages.Image{{Seed: 1, SourceURL: "https://a"}}, Attempts: 2}
	if stored, err := l.Record(ctx, first); err != nil || stored.Images[0].Seed != 1 {
		t.Fatalf("first record: %+v %v", stored, err)
	}
	second := first
	second.Images = []messages.Image{{Seed: 2}}
	stored, err := l.Record(ctx, second)
	if err != nil || stored.Images[0].Seed != 1 {
		t.Fatalf("a racing second record must get the first one back, got %+v %v", stored, err)
	}
	rec, found, err := l.Lookup(ctx, "req-1")
	if err != nil || !found || rec.Images[0].Seed != 1 || rec.Attempts != 2 {
		t.Fatalf("got %+v found=%v err=%v, want the first record", rec, found, err)
	}
	if _, err := st.Get(ctx, handlers.LedgerKey("ideobus", "req-1")); err != nil {
		t.Fatalf("ledger not stored beside the images: %v", err)
	}
}

// TestUploadFailureListsStoredAssets: when the second image's ephemeral URL
// has expired, the failed event is source_expired, not retryable, and lists
// the first original, which was already stored.
func TestUploadFailureListsStoredAssets(t *testing.T) {
	ctx := context.Background()
	_, base := simulator(t)
	client, err := ideogram.New(ideogram.SimulatorConfig(base, "k"))
	if err != nil {
		t.Fatal(err)
	}
	st := localStore(t, "assets")
	two := 2
	req := messages.GenerationRequest{SchemaVersion: 1, ID: "up-1", Prompt: "two posters", NumImages: &two}
	images, err := client.Generate(ctx, req, handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	images[1].SourceURL = strings.Replace(images[1].SourceURL, "sig=", "sig=0", 1) // a stale signature, as after expiry
	in, _ := messages.NewMessage(messages.TypeGenerated, req.ID, messages.GenerationGenerated{Job: messages.Job{
		SchemaVersion: 1, RequestID: req.ID, Request: req, Images: images,
	}})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	out, err := handlers.NewUpload(client, st, handlers.Options{Logger: quiet})(in)
	if err != nil {
		t.Fatal(err)
	}
	var f messages.GenerationFailed
	if len(out) != 1 || messages.Decode(out[0], messages.TypeFailed, &f) != nil {
		t.Fatalf("want one failed event, got %d messages", len(out))
	}
	if f.Code != messages.CodeSourceExpired || f.Retryable || f.Stage != messages.StageUpload {
		t.Fatalf("failed event: %+v", f)
	}
	if len(f.Assets) != 1 || f.Assets[0].Key != messages.OriginalKey("ideobus", "up-1", 0) {
		t.Fatalf("stored assets not listed: %+v", f.Assets)
	}
	if _, err := st.Get(ctx, f.Assets[0].Key); err != nil {
		t.Fatalf("listed asset is not in the store: %v", err)
	}
}

// TestUploadReplayAfterExpiryUsesStoredOriginal: a ledger replay hands the
// upload stage URLs that have expired since; the originals stored by the
// first run are used instead of failing a job that is already paid for.
func TestUploadReplayAfterExpiryUsesStoredOriginal(t *testing.T) {
	ctx := context.Background()
	_, base := simulator(t)
	client, _ := ideogram.New(ideogram.SimulatorConfig(base, "k"))
	st := localStore(t, "replay")
	req := messages.GenerationRequest{SchemaVersion: 1, ID: "replay-1", Prompt: "a poster"}
	images, err := client.Generate(ctx, req, handlers.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	upload := handlers.NewUpload(client, st, handlers.Options{Logger: quiet})
	event := func() *message.Message {
		m, _ := messages.NewMessage(messages.TypeGenerated, req.ID, messages.GenerationGenerated{Job: messages.Job{
			SchemaVersion: 1, RequestID: req.ID, Request: req, Images: append([]messages.Image(nil), images...)}})
		return m
	}
	first, err := upload(event())
	if err != nil || first[0].Metadata.Get(messages.HeaderType) != messages.TypeUploaded {
		t.Fatalf("first upload: %v", err)
	}
	images[0].SourceURL = strings.Replace(images[0].SourceURL, "sig=", "sig=0", 1) // now expired
	again, err := upload(event())
	if err != nil {
		t.Fatal(err)
	}
	var up messages.ImageUploaded
	if again[0].Metadata.Get(messages.HeaderType) != messages.TypeUploaded || messages.Decode(again[0], messages.TypeUploaded, &up) != nil {
		t.Fatalf("replay after expiry did not complete the upload: %s", again[0].Payload)
	}
	if up.Images[0].Original == nil || up.Images[0].Original.Key != messages.OriginalKey("ideobus", req.ID, 0) {
		t.Fatalf("replayed original: %+v", up.Images[0].Original)
	}
}

// TestGenerateAnswersFromLedgerAndRetriesOnlyWhileAttemptsRemain covers the
// generate stage's money rules: a request already in the ledger makes no
// call, and a failed call is not repeated by the stage.
func TestGenerateAnswersFromLedgerAndRetriesOnlyWhileAttemptsRemain(t *testing.T) {
	ctx := context.Background()
	sim, base := simulator(t)
	cfg := ideogram.SimulatorConfig(base, "k")
	cfg.MaxAttempts = 1
	client, _ := ideogram.New(cfg)
	st := localStore(t, "gen")
	ledger := handlers.NewObjectLedger(st, "ideobus")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gen := handlers.NewGenerate(handlers.GeneratePorts{Generator: client, Ledger: ledger}, handlers.Options{Logger: quiet})
	request := func(id, prompt string, ctx context.Context) *message.Message {
		m, _, err := messages.NewRequestMessage(messages.GenerationRequest{ID: id, Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		m.SetContext(ctx)
		return m
	}

	recorded := []messages.Image{{Seed: 7, SourceURL: "https://ideogram.ai/x.png", Resolution: "1024x1024"}}
	if _, err := ledger.Record(ctx, handlers.LedgerRecord{RequestID: "paid-1", Images: recorded}); err != nil { // no fingerprint: a record from before fingerprints
		t.Fatal(err)
	}
	out, err := gen(request("paid-1", "already paid", ctx))
	if err != nil || sim.GenerateCalls() != 0 {
		t.Fatalf("ledger hit: err=%v, %d API calls, want none", err, sim.GenerateCalls())
	}
	var g messages.GenerationGenerated
	if messages.Decode(out[0], messages.TypeGenerated, &g) != nil || g.Images[0].Seed != 7 {
		t.Fatalf("replay did not re-emit the recorded result: %s", out[0].Payload)
	}

	// A failed Ideogram call (after the client's own retries) ends this
	// message's attempts even when more remain: another round would pay
	// again. The job fails with retryable true, so it can be resubmitted.
	out, err = gen(request("flaky-1", "x [sim:503]", handlers.WithAttempt(ctx, 1, false)))
	if err != nil {
		t.Fatalf("want a failed event, got error %v", err)
	}
	var f messages.GenerationFailed
	if messages.Decode(out[0], messages.TypeFailed, &f) != nil || !f.Retryable || f.Code != messages.CodeUpstreamUnavailable {
		t.Fatalf("failed event: %+v", f)
	}
	if n := sim.GenerateCalls(); n != 1 {
		t.Fatalf("%d API calls, want 1 (the client was set to a single attempt)", n)
	}
	// The same ID for a different generation is refused, not answered with
	// the recorded images.
	out, err = gen(request("paid-1", "something else entirely", ctx))
	if err != nil {
		t.Fatal(err)
	}
	var reuse messages.GenerationFailed
	if messages.Decode(out[0], messages.TypeFailed, &reuse) == nil && reuse.Code == messages.CodeInvalidRequest {
		t.Fatalf("the recorded ledger had no fingerprint, so the replay must still be answered: %+v", reuse)
	}
	if _, found, _ := ledger.Lookup(ctx, "flaky-1"); found {
		t.Fatal("a failed call was recorded as paid")
	}
}

// TestLedgerRefusesAReusedIDForADifferentRequest: request IDs are
// idempotency keys; reusing one for another generation must not be answered
// with the first job's images.
func TestLedgerRefusesAReusedIDForADifferentRequest(t *testing.T) {
	sim, base := simulator(t)
	client, _ := ideogram.New(ideogram.SimulatorConfig(base, "k"))
	st := localStore(t, "reuse")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gen := handlers.NewGenerate(handlers.GeneratePorts{Generator: client, Ledger: handlers.NewObjectLedger(st, "ideobus")}, handlers.Options{Logger: quiet})
	send := func(prompt string, variants ...string) *message.Message {
		req := messages.GenerationRequest{ID: "daily-0", Prompt: prompt}
		for _, v := range variants {
			req.Variants = append(req.Variants, messages.VariantSpec{Name: v})
		}
		m, _, err := messages.NewRequestMessage(req)
		if err != nil {
			t.Fatal(err)
		}
		out, err := gen(m)
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	if m := send("monday's banner"); m.Metadata.Get(messages.HeaderType) != messages.TypeGenerated {
		t.Fatal("first request did not generate")
	}
	if m := send("monday's banner", "thumbnail"); m.Metadata.Get(messages.HeaderType) != messages.TypeGenerated {
		t.Fatal("the same generation with other variants must replay from the ledger")
	}
	m := send("tuesday's banner")
	var f messages.GenerationFailed
	if messages.Decode(m, messages.TypeFailed, &f) != nil || f.Code != messages.CodeInvalidRequest || !strings.Contains(f.Message, "already used") {
		t.Fatalf("reused ID: %s", m.Payload)
	}
	if n := sim.GenerateCalls(); n != 1 {
		t.Fatalf("%d API calls, want 1", n)
	}
}

// simulator starts an Ideogram simulator (API key "k") for the test.
func simulator(t *testing.T) (*ideogram.Simulator, string) {
	t.Helper()
	sim := ideogram.NewSimulator(ideogram.SimOptions{APIKey: "k"})
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, base
}

// localStore is a Store on an embedded S3 server with bucket created.
func localStore(t *testing.T, bucket string) *storage.Store {
	t.Helper()
	srv, err := storage.NewLocalServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	st, err := storage.New(context.Background(), srv.Config(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

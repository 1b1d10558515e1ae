package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/ideobus/ideobus/messages"
)

// campaign is the demo's default job: a small marketing campaign.
var campaign = []string{
	"A minimalist poster of a paper rocket launching over a city skyline at dawn, bold typography reading LAUNCH DAY",
	"Product shot of a matte black smart speaker on a marble table, soft window light, studio photography",
	"Flat vector illustration of a team celebrating around a giant checkmark, friendly pastel colours",
}

func newDemoCmd() *cobra.Command {
	var (
		cfg     config
		count   int
		asJSON  bool
		out     string
		timeout time.Duration
		keep    bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on embedded peers and submit a small campaign",
		Long: `demo starts every outside system in-process — a Kafka broker (kfake), an
Ideogram-compatible simulator, an S3 server backed by --out and a caching CDN
with Cloudflare's purge API — runs the pipeline against them through the same
clients production uses, submits --count requests and waits for every outcome.

Progress goes to stderr; outcomes go to stdout (one CloudEvents JSON line each
with --json). The images stay on disk under --out.

Exit status: 0 when every request completed, 1 when any failed.`,
		Example: `  ideobus demo
  ideobus demo --count 10 --json > outcomes.jsonl
  ideobus demo --out /tmp/campaign --keep-serving`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Embedded = "kafka,ideogram,storage,cdn"
			cfg.DataDir = out
			if count < 1 {
				return usageErr(errors.New("--count must be at least 1"))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			d := demoRun{count: count, asJSON: asJSON, stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr()}
			if keep {
				d.hold = cmd.Context().Done()
			}
			res, err := runDemo(ctx, cfg, d)
			if err != nil {
				return err
			}
			if res.failed > 0 {
				return &exitError{code: exitJobFailed, err: fmt.Errorf("%d of %d requests failed", res.failed, count)}
			}
			return nil
		},
	}
	bindConfig(cmd.Flags(), &cfg, forDemo)
	cmd.Flags().IntVar(&count, "count", len(campaign), "number of requests to submit")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each outcome as one CloudEvents structured JSON line")
	cmd.Flags().StringVar(&out, "out", "ideobus-demo", "folder the embedded S3 server keeps the images in")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "give up when outcomes take longer than this")
	cmd.Flags().BoolVar(&keep, "keep-serving", false, "after the outcomes, keep the CDN serving the images until interrupted")
	return cmd
}

type demoRun struct {
	count  int
	asJSON bool
	stdout io.Writer
	stderr io.Writer
	// hold, when set, keeps every peer up after the outcomes until it closes.
	hold <-chan struct{}
	// requests overrides the generated campaign (tests).
	requests []messages.GenerationRequest
	// afterOutcomes runs while every peer is still up (tests).
	afterOutcomes func(*stack, []outcome) error
	stackOpts     stackOptions
}

type demoResult struct {
	completed, failed int
}

func runDemo(ctx context.Context, cfg config, d demoRun) (demoResult, error) {
	var res demoResult
	if cfg.RetryAttempts == 0 {
		cfg.RetryAttempts = 3
	}
	if cfg.ConsumerGroup == "" {
		cfg.ConsumerGroup = "ideobus"
	}
	st, err := startStack(ctx, cfg, d.stackOpts)
	if err != nil {
		return res, err
	}
	defer st.Close()
	pl, err := st.startPipeline(ctx)
	if err != nil {
		return res, err
	}
	defer pl.stop()

	sub, err := st.subscriber("", true)
	if err != nil {
		return res, err
	}
	outcomes, err := subscribeOutcomes(ctx, sub, st.topics)
	if err != nil {
		return res, err
	}

	reqs := d.requests
	if reqs == nil {
		reqs = demoRequests(d.count)
	}
	ids, err := st.producer(pl.pub).SubmitBatch(ctx, fmt.Sprintf("demo-%d", time.Now().UnixNano()), reqs)
	var invalid *messages.Error
	if errors.As(err, &invalid) && invalid.Code == messages.CodeInvalidRequest {
		return res, usageErr(err)
	}
	if err != nil {
		return res, runtimeErr(fmt.Errorf("submit: %w", err))
	}
	pending := map[string]bool{}
	for _, id := range ids {
		pending[id] = true
		fmt.Fprintf(d.stderr, "submitted %s\n", id)
	}
	total := len(pending)
	prog := newProgress(d.stderr, sortedKeys(pending))
	if err := followStages(ctx, sub, st.topics, prog); err != nil {
		return res, err
	}
	var got []outcome
	for len(pending) > 0 {
		select {
		case o, ok := <-outcomes:
			if !ok {
				return res, runtimeErr(errors.New("outcome stream closed early"))
			}
			if !pending[o.requestID] {
				continue // a duplicate (at-least-once) or another run's outcome
			}
			delete(pending, o.requestID)
			got = append(got, o)
			if o.failed != nil {
				res.failed++
			} else {
				res.completed++
			}
			if o.failed != nil {
				prog.advance(o.requestID, "failed")
			} else {
				prog.advance(o.requestID, "completed")
			}
			if err := o.print(d.stdout, d.asJSON); err != nil {
				return res, runtimeErr(err)
			}
		case <-ctx.Done():
			return res, runtimeErr(fmt.Errorf("timed out with %d of %d outcomes: %w", len(got), total, ctx.Err()))
		}
	}
	if d.afterOutcomes != nil {
		if err := d.afterOutcomes(st, got); err != nil {
			return res, err
		}
	}
	if st.s3 != nil {
		fmt.Fprintf(d.stderr, "images stored under %s\n", filepath.Join(st.s3.Dir(), "buckets"))
	}
	if d.hold != nil {
		fmt.Fprintf(d.stderr, "serving at %s until interrupted\n", st.edge.URL())
		<-d.hold
	}
	slog.Debug("demo finished", slog.Int("completed", res.completed), slog.Int("failed", res.failed))
	return res, nil
}

func demoRequests(n int) []messages.GenerationRequest {
	stamp := time.Now().UTC().Format("20060102-150405")
	pid := os.Getpid()
	reqs := make([]messages.GenerationRequest, n)
	for i := range reqs {
		reqs[i] = messages.GenerationRequest{
			ID:          fmt.Sprintf("demo-%s-%d-%d", stamp, pid, i+1),
			Prompt:      campaign[i%len(campaign)],
			AspectRatio: []string{"ASPECT_16_9", "ASPECT_1_1", "ASPECT_4_3"}[i%3],
			StyleType:   "DESIGN",
			Labels:      map[string]string{"campaign": "demo"},
		}
	}
	return reqs
}

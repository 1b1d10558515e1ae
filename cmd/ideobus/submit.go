package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"

	"github.com/ideobus/ideobus/messages"
)

func newSubmitCmd() *cobra.Command {
	var (
		cfg      config
		req      messages.GenerationRequest
		variants []string
		labels   map[string]string
		num      int
		seed     int64
		file     string
		wait     bool
		asJSON   bool
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "submit",
		Short: "Produce one generation request (and optionally wait for its outcome)",
		Long: `submit validates a request, produces it to ideogram.generation.requested and
prints its ID. With --wait it then follows the outcome topics until this
request's completed or failed event arrives and prints it.

The request comes from flags, or whole from a JSON file (--file, "-" for stdin)
in the ideogram.generation.requested payload format.`,
		Example: `  ideobus submit --prompt "a lighthouse at dawn, poster" --variants og-image,instagram --wait
  ideobus submit --file request.json --json --wait
  echo '{"prompt":"a red bicycle","num_images":2}' | ideobus submit --file -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file != "" {
				r, err := readRequestFile(file)
				if err != nil {
					return usageErr(err)
				}
				req = r
			}
			for _, v := range variants {
				req.Variants = append(req.Variants, messages.VariantSpec{Name: v})
			}
			if len(labels) > 0 {
				req.Labels = labels
			}
			if cmd.Flags().Changed("num-images") {
				req.NumImages = &num
			}
			if cmd.Flags().Changed("seed") {
				req.Seed = &seed
			}
			// Fail fast, before connecting; the producer fills a missing ID.
			probe := req
			if probe.ID == "" {
				probe.ID = "probe"
			}
			if err := probe.Validate(); err != nil {
				return usageErr(err)
			}
			st, err := connect(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if req.ID == "" {
				req.ID = messages.NewRequestID()
			}
			var outcomes <-chan outcome
			var prog *progress
			if wait {
				// Subscribe before producing, from the newest offsets, so the
				// outcome cannot slip past.
				sub, err := st.subscriber("", false)
				if err != nil {
					return err
				}
				if outcomes, err = subscribeOutcomes(ctx, sub, st.topics); err != nil {
					return err
				}
				prog = newProgress(cmd.ErrOrStderr(), []string{req.ID})
				if err := followStages(ctx, sub, st.topics, prog); err != nil {
					return err
				}
			}
			pub, err := st.publisher()
			if err != nil {
				return err
			}
			sctx, span := otel.Tracer("github.com/ideobus/ideobus").Start(ctx, "ideobus.submit")
			id, err := messages.NewProducer(pub, st.topics, messages.WithDecorator(st.tel.Inject)).Submit(sctx, req)
			span.End()
			var invalid *messages.Error
			if errors.As(err, &invalid) && invalid.Code == messages.CodeInvalidRequest {
				return usageErr(err)
			}
			if err != nil {
				return runtimeErr(fmt.Errorf("submit: %w", err))
			}
			req.ID = id
			fmt.Fprintln(cmd.ErrOrStderr(), "submitted", req.ID)
			if !wait {
				fmt.Fprintln(cmd.OutOrStdout(), req.ID)
				return nil
			}
			for {
				select {
				case o, ok := <-outcomes:
					if !ok {
						return runtimeErr(errors.New("outcome stream closed"))
					}
					if o.requestID != req.ID {
						continue
					}
					if o.failed != nil {
						prog.advance(o.requestID, "failed")
					} else {
						prog.advance(o.requestID, "completed")
					}
					if err := o.print(cmd.OutOrStdout(), asJSON); err != nil {
						return runtimeErr(err)
					}
					if o.failed != nil {
						return &exitError{code: exitJobFailed, err: errors.New(o.failed.Message)}
					}
					return nil
				case <-ctx.Done():
					return runtimeErr(fmt.Errorf("no outcome for %s within %s", req.ID, timeout))
				}
			}
		},
	}
	f := cmd.Flags()
	bindConfig(f, &cfg, forClient)
	f.StringVar(&req.ID, "id", "", "request ID, the idempotency key (default: generated)")
	f.StringVar(&req.Prompt, "prompt", "", "what to draw")
	f.StringVar(&req.NegativePrompt, "negative-prompt", "", "what to avoid")
	f.StringVar(&req.Operation, "operation", "", "generate (default), edit, remix, upscale, reframe")
	f.StringVar(&req.Model, "model", "", "V_1, V_1_TURBO, V_2 (default), V_2_TURBO, V_2A, V_2A_TURBO, V_3")
	f.StringVar(&req.StyleType, "style", "", "AUTO, GENERAL, REALISTIC, DESIGN, RENDER_3D, ANIME, FICTION")
	f.StringVar(&req.AspectRatio, "aspect-ratio", "", "e.g. ASPECT_16_9, ASPECT_1_1")
	f.StringVar(&req.Resolution, "resolution", "", "e.g. RESOLUTION_1024_1024 (not with --aspect-ratio)")
	f.StringVar(&req.MagicPrompt, "magic-prompt", "", "AUTO, ON, OFF")
	f.IntVar(&num, "num-images", 1, "images to generate, 1-8")
	f.Int64Var(&seed, "seed", 0, "seed, 0-2147483647")
	f.StringSliceVar(&variants, "variants", nil, "variant presets, e.g. og-image,instagram,twitter-header (default: the serve-level set)")
	f.StringToStringVar(&labels, "label", nil, "free-form labels, key=value (repeatable)")
	f.StringVar(&req.CallbackURL, "callback-url", "", "URL the outcome is delivered to")
	f.StringVar(&req.BatchID, "batch-id", "", "batch this request belongs to")
	f.StringVar(&file, "file", "", "read the whole request as JSON from this file (- for stdin)")
	f.BoolVar(&wait, "wait", false, "wait for the outcome and print it; exit 1 if it failed")
	f.BoolVar(&asJSON, "json", false, "print the outcome as one CloudEvents structured JSON line")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long --wait waits")
	return cmd
}

func readRequestFile(name string) (messages.GenerationRequest, error) {
	var req messages.GenerationRequest
	var b []byte
	var err error
	if name == "-" {
		b, err = readAllLimited(os.Stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return req, fmt.Errorf("--file: %w", err)
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return req, fmt.Errorf("--file %s: not a request JSON: %w", name, err)
	}
	return req, nil
}

func readAllLimited(f *os.File) ([]byte, error) {
	const max = 1 << 20
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && len(b) > max {
		err = fmt.Errorf("request larger than %d bytes", max)
	}
	return b, err
}

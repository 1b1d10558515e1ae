package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/ideobus/ideobus/adapters/kafka"
)

func newServeCmd() *cobra.Command {
	var cfg config
	var httpAddr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the pipeline stages against the configured systems",
		Long: `serve consumes ideogram.generation.requested and runs the pipeline stages
(all of them, or those named by --stages) against Kafka, Ideogram, R2 and
Cloudflare as configured by the environment variables below. Each stage
consumes in its own consumer group (<IDEOBUS_CONSUMER_GROUP>.<stage>), so a
stage can be scaled on its own: run more processes with --stages resize.

A system that is not configured is an error naming the missing variables.
--embedded starts local peers in its place, explicitly; serve never falls
back to a simulator on its own.

On SIGINT or SIGTERM serve stops fetching, lets in-flight work finish (up to
--shutdown-timeout), commits offsets and exits 0.`,
		Example: `  # everything real
  IDEOBUS_KAFKA_BROKERS=kafka:9092 IDEOGRAM_API_KEY=... R2_ACCOUNT_ID=... \
  R2_ACCESS_KEY_ID=... R2_SECRET_ACCESS_KEY=... R2_BUCKET=images \
  R2_PUBLIC_BASE_URL=https://img.example.com CLOUDFLARE_API_TOKEN=... \
  CLOUDFLARE_ZONE_ID=... ideobus serve

  # real Kafka, everything else embedded (no accounts needed)
  IDEOBUS_KAFKA_BROKERS=127.0.0.1:9092 ideobus serve --embedded ideogram,storage,cdn

  # only the resize stage
  ideobus serve --stages resize`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cfg, httpAddr, nil)
		},
	}
	bindConfig(cmd.Flags(), &cfg, forServe)
	cmd.Flags().StringVar(&httpAddr, "http-addr", envOr("IDEOBUS_HTTP_ADDR", ":9095"), "address of /metrics, /healthz and /readyz; empty disables [$IDEOBUS_HTTP_ADDR]")
	return cmd
}

// runServe runs until ctx ends. ready, when set, is called once the router
// runs (tests).
func runServe(ctx context.Context, cfg config, httpAddr string, ready func(*stack, *opsServer)) error {
	st, err := startStack(ctx, cfg, stackOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.provision(); err != nil {
		return err
	}
	pub, err := st.publisher()
	if err != nil {
		return err
	}
	r, err := st.router(pub)
	if err != nil {
		return err
	}
	var ops *opsServer
	if httpAddr != "" {
		if ops, err = startOps(ctx, st, r, httpAddr); err != nil {
			return err
		}
		defer ops.Close()
		lag := kafka.NewLagCollector(st.kafka, st.stageGroups())
		defer lag.Close()
		st.metrics.Registry.MustRegister(lag)
		go func() {
			<-ctx.Done()
			ops.draining.Store(true) // readyz fails from the first moment of shutdown
		}()
	}
	go func() {
		<-r.Running()
		slog.Info("ideobus serving", slog.String("brokers", fmt.Sprint(st.kafka.Brokers)), slog.String("stages", fmt.Sprint(cfg.stagesOrAll())))
		if st.edge != nil {
			slog.Info("embedded CDN serving images", slog.String("url", st.edge.URL()))
		}
		if ready != nil {
			ready(st, ops)
		}
	}()
	// Run returns when ctx ends, after in-flight handlers finish (bounded by
	// CloseTimeout) and the subscribers have committed and closed.
	if err := r.Run(ctx); err != nil {
		return runtimeErr(err)
	}
	slog.Info("ideobus stopped")
	return nil
}

func (c config) stagesOrAll() []string {
	if s, _ := c.stages(); len(s) > 0 {
		return s
	}
	return []string{"all"}
}

// Command ideobus runs the ideobus pipeline: Ideogram image generation driven
// by Kafka, through Watermill handlers that generate, store to R2, resize and
// purge the Cloudflare CDN.
//
// Exit codes: 0 success; 1 a job ended in ideogram.generation.failed (demo,
// submit --wait); 2 bad usage or configuration; 3 a runtime error (a system
// unreachable, a timeout).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ideobus/ideobus/adapters/telemetry"
)

// Exit codes.
const (
	exitOK        = 0
	exitJobFailed = 1
	exitUsage     = 2
	exitRuntime   = 3
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error   { return &exitError{code: exitUsage, err: err} }
func runtimeErr(err error) error { return &exitError{code: exitRuntime, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	// Flush spans whether the command succeeded or not.
	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_ = tracingShutdown(fctx)
	cancel()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitJobFailed {
			fmt.Fprintln(os.Stderr, "ideobus:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "ideobus:", err)
	return exitUsage
}

// tracingShutdown flushes the trace exporter chosen by OTEL_TRACES_EXPORTER.
var tracingShutdown = func(context.Context) error { return nil }

func newRootCmd() *cobra.Command {
	var logOpts logOptions
	root := &cobra.Command{
		Use:   "ideobus",
		Short: "Kafka-driven Ideogram image pipeline: generate, store to R2, resize, purge the CDN",
		Long: `ideobus turns Ideogram image generation into a Kafka-driven Watermill pipeline.

A generation request produced to the topic ideogram.generation.requested goes
through generate (Ideogram API) -> upload (Cloudflare R2) -> resize (channel
variants) -> purge and warm (Cloudflare CDN), and ends as one typed event on
ideogram.generation.completed or ideogram.generation.failed.

Configuration comes from environment variables; every one has a flag that
overrides it. Secrets are never logged.

Tracing is off unless OTEL_TRACES_EXPORTER is set (otlp or console); the
standard OTEL_* variables configure the exporter.

Exit codes: 0 success, 1 a job failed, 2 usage or configuration error,
3 runtime error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := logOpts.install(cmd.ErrOrStderr()); err != nil {
				return err
			}
			shutdown, err := telemetry.SetupTracing(cmd.Context())
			if err != nil {
				return usageErr(err)
			}
			tracingShutdown = shutdown
			return nil
		},
	}
	logOpts.bind(root.PersistentFlags())
	root.AddCommand(newDemoCmd(), newServeCmd(), newSubmitCmd(), newWatchCmd(), newLoadtestCmd())
	return root
}

package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// opsServer serves /metrics, /healthz and /readyz for `serve`.
type opsServer struct {
	srv      *http.Server
	addr     string
	draining atomic.Bool
	kafkaOK  atomic.Bool
	router   *message.Router
}

// startOps listens on addr. Readiness: the router runs, the Kafka brokers
// answer metadata (checked every few seconds), and the process is not
// draining for shutdown.
func startOps(ctx context.Context, st *stack, r *message.Router, addr string) (*opsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageErr(errors.New("IDEOBUS_HTTP_ADDR: " + err.Error()))
	}
	o := &opsServer{addr: ln.Addr().String(), router: r}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(st.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case o.draining.Load():
			http.Error(w, "draining for shutdown", http.StatusServiceUnavailable)
		case !o.router.IsRunning():
			http.Error(w, "handlers not running", http.StatusServiceUnavailable)
		case !o.kafkaOK.Load():
			http.Error(w, "kafka unreachable", http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("ready\n"))
		}
	})
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = o.srv.Serve(ln) }()
	go o.watchKafka(ctx, st)
	slog.Info("ops endpoints", slog.String("addr", o.addr), slog.String("paths", "/metrics /healthz /readyz"))
	return o, nil
}

func (o *opsServer) watchKafka(ctx context.Context, st *stack) {
	client, err := sarama.NewClient(st.kafka.Brokers, st.kafka.SaramaConfig())
	if err != nil {
		slog.Warn("readiness: kafka unreachable", slog.String("error", err.Error()))
	}
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		if client == nil {
			client, err = sarama.NewClient(st.kafka.Brokers, st.kafka.SaramaConfig())
		}
		o.kafkaOK.Store(client != nil && client.RefreshMetadata() == nil)
		select {
		case <-ctx.Done():
			if client != nil {
				client.Close()
			}
			return
		case <-t.C:
		}
	}
}

func (o *opsServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return o.srv.Shutdown(ctx)
}

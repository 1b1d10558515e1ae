package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/adapters/cdn"
	"github.com/ideobus/ideobus/adapters/ideogram"
	"github.com/ideobus/ideobus/adapters/imaging"
	"github.com/ideobus/ideobus/adapters/kafka"
	"github.com/ideobus/ideobus/adapters/safehttp"
	"github.com/ideobus/ideobus/adapters/storage"
	"github.com/ideobus/ideobus/adapters/telemetry"
	"github.com/ideobus/ideobus/adapters/webhook"
	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
	"github.com/ideobus/ideobus/router"
)

// The embedded peers' bucket, and the simulator's API key: random per
// process, so tests can prove it never reaches a log line.
const embeddedBucket = "ideobus"

var embeddedIdeogramKey = "sim-" + messages.NewRequestID()

// stack is one running ideobus: the configured clients, and whichever
// embedded peers were asked for. Production and the demo build it the same
// way; only the endpoints differ.
type stack struct {
	cfg    config
	topics messages.Topics
	kafka  kafka.Config
	ports  router.Ports
	log    *slog.Logger

	metrics *telemetry.Metrics
	tel     *telemetry.Telemetry

	embKafka *kafka.Embedded
	sim      *ideogram.Simulator
	s3       *storage.LocalServer
	edge     *cdn.LocalCDN

	closers []func() error
}

// stackOptions tune the embedded peers (the demo's and tests' knobs).
type stackOptions struct {
	sim ideogram.SimOptions
	// kafkaOnly builds just what submit and watch need.
	kafkaOnly bool
}

// startStack starts the embedded peers cfg asks for and builds the clients.
// On error everything started so far is closed again.
func startStack(ctx context.Context, cfg config, opts stackOptions) (_ *stack, err error) {
	if err := cfg.validate(opts.kafkaOnly); err != nil {
		return nil, usageErr(err)
	}
	nums, nerr := cfg.numbers()
	if nerr != nil {
		return nil, usageErr(nerr)
	}
	emb, _ := cfg.embeddedSet()
	s := &stack{cfg: cfg, topics: cfg.topics(), log: slog.Default(), metrics: telemetry.NewMetrics()}
	s.tel = telemetry.New(s.metrics, nil)
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	brokers := kafka.ParseBrokers(cfg.Brokers)
	if emb["kafka"] {
		if s.embKafka, err = kafka.StartEmbedded(kafka.EmbeddedOptions{}); err != nil {
			return nil, runtimeErr(err)
		}
		s.closers = append(s.closers, func() error { s.embKafka.Close(); return nil })
		brokers = s.embKafka.Brokers()
		s.log.Info("embedded kafka started", slog.String("brokers", strings.Join(brokers, ",")))
	}
	s.kafka = kafka.Defaults(brokers...)
	s.kafka.ConsumerGroup = cfg.ConsumerGroup
	if nums.partitions > 0 {
		s.kafka.Partitions = nums.partitions
	}
	if err := s.kafka.Validate(); err != nil {
		return nil, usageErr(err)
	}
	if opts.kafkaOnly {
		return s, nil
	}

	sim := opts.sim
	if nums.simLatency > 0 {
		sim.Latency = nums.simLatency
	}
	if nums.simJitter > 0 {
		sim.LatencyJitter = nums.simJitter
	}
	if nums.simFault429 > 0 {
		sim.FaultRate429 = nums.simFault429
	}
	if nums.simFault5xx > 0 {
		sim.FaultRate5xx = nums.simFault5xx
	}
	if err := s.startIdeogram(emb["ideogram"], sim); err != nil {
		return nil, err
	}
	if err := s.startStorage(ctx, emb["storage"], emb["cdn"]); err != nil {
		return nil, err
	}
	inflight := nums.inflight
	if inflight == 0 {
		inflight = handlers.DefaultInflightImages
	}
	s.ports.Budget = handlers.NewBudget(inflight)
	s.metrics.ObserveBudget(s.ports.Budget)
	s.ports.Resizer = s.tel.Resizer(imaging.New(imaging.Options{}))
	if err := s.startGuardedHTTP(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *stack) startIdeogram(embedded bool, simOpts ideogram.SimOptions) error {
	icfg := ideogram.Config{BaseURL: s.cfg.IdeogramBaseURL, APIKey: s.cfg.IdeogramAPIKey, AllowHTTP: truthy(s.cfg.IdeogramAllowHTTP)}
	if hosts := splitList(s.cfg.IdeogramImageHosts); len(hosts) > 0 {
		icfg.ImageHosts = hosts
	}
	if embedded {
		simOpts.APIKey = embeddedIdeogramKey
		s.sim = ideogram.NewSimulator(simOpts)
		base, err := s.sim.Start("127.0.0.1:0")
		if err != nil {
			return runtimeErr(fmt.Errorf("start ideogram simulator: %w", err))
		}
		s.closers = append(s.closers, s.sim.Close)
		icfg = ideogram.SimulatorConfig(base, embeddedIdeogramKey)
		s.log.Info("embedded ideogram simulator started", slog.String("url", base))
	}
	icfg.HTTPClient = &http.Client{Transport: s.tel.IdeogramTransport(http.DefaultTransport)}
	// The client is the generate stage's only retry layer (the router does
	// not retry it, so paid calls are not multiplied); 429s cost nothing, so
	// give transient faults a few more tries than the package default.
	icfg.MaxAttempts = 6
	client, err := ideogram.New(icfg)
	if err != nil {
		return usageErr(err)
	}
	s.ports.Generator, s.ports.Downloader = s.tel.Generator(client), client
	return nil
}

func (s *stack) startStorage(ctx context.Context, embStorage, embCDN bool) error {
	scfg := storage.Config{
		AccountID: s.cfg.R2AccountID, AccessKeyID: s.cfg.R2AccessKeyID, SecretAccessKey: s.cfg.R2SecretAccessKey,
		Bucket: s.cfg.R2Bucket, Endpoint: s.cfg.R2Endpoint, PublicBaseURL: s.cfg.R2PublicBaseURL,
	}
	if embStorage {
		dir := filepath.Join(s.dataDir(), "objects")
		srv, err := storage.NewLocalServer(dir)
		if err != nil {
			return runtimeErr(err)
		}
		s.s3 = srv
		s.closers = append(s.closers, srv.Close)
		bucket := scfg.Bucket
		if bucket == "" {
			bucket = embeddedBucket
		}
		public := scfg.PublicBaseURL
		scfg = srv.Config(bucket)
		if public != "" {
			scfg.PublicBaseURL = public
		}
		s.log.Info("embedded S3 server started", slog.String("url", srv.URL()), slog.String("dir", srv.Dir()))
	}

	ccfg := cdn.Config{APIToken: s.cfg.CFAPIToken, ZoneID: s.cfg.CFZoneID, APIBaseURL: s.cfg.CFAPIBaseURL}
	if embCDN {
		origin := strings.TrimRight(scfg.Endpoint, "/") + "/" + scfg.Bucket
		if s.s3 == nil {
			origin = scfg.PublicBaseURL
		}
		edge, err := cdn.NewLocalCDN(cdn.LocalCDNOptions{Origin: origin, Addr: s.cfg.EmbeddedCDNAddr})
		if err != nil {
			return runtimeErr(err)
		}
		s.edge = edge
		s.closers = append(s.closers, edge.Close)
		// R2_PUBLIC_BASE_URL may name the edge as clients reach it (a
		// container's published port); otherwise the edge's own address.
		if s.cfg.R2PublicBaseURL == "" {
			scfg.PublicBaseURL = edge.URL()
		} else {
			scfg.PublicBaseURL = s.cfg.R2PublicBaseURL
		}
		ccfg = edge.ClientConfig()
		s.log.Info("embedded CDN started", slog.String("url", edge.URL()))
	}

	store, err := storage.New(ctx, scfg)
	if err != nil {
		return usageErr(err)
	}
	if s.s3 != nil {
		if err := store.EnsureBucket(ctx); err != nil {
			return runtimeErr(err)
		}
	}
	traced := s.tel.Store(store)
	s.ports.Store = traced
	cs, ok := traced.(handlers.ConditionalStore)
	if !ok {
		return runtimeErr(fmt.Errorf("the object store cannot create conditionally; the ledger needs it"))
	}
	s.ports.Ledger = handlers.NewObjectLedger(cs, s.keyPrefix())
	c, err := cdn.New(ccfg)
	if err != nil {
		return usageErr(err)
	}
	s.ports.CDN = s.tel.CDN(c)
	return nil
}

// startGuardedHTTP builds the SSRF-guarded clients for user-supplied URLs:
// source images and webhook callbacks. The embedded CDN is our own peer, so
// its address is exempt for source images.
func (s *stack) startGuardedHTTP() error {
	fetchAllow := splitList(s.cfg.FetchAllow)
	if s.edge != nil {
		fetchAllow = append(fetchAllow, hostPort(s.edge.URL()))
	}
	f, err := safehttp.NewFetcher(safehttp.Policy{Allow: fetchAllow})
	if err != nil {
		return usageErr(fmt.Errorf("IDEOBUS_FETCH_ALLOW: %w", err))
	}
	s.ports.URLs = f
	secrets := splitList(s.cfg.WebhookSecrets)
	if len(secrets) == 0 {
		s.log.Info("notify stage off: set IDEOBUS_WEBHOOK_SECRETS to deliver outcomes to callback_url")
		return nil
	}
	d, err := webhook.NewDeliverer(webhook.Config{Secrets: secrets, Policy: safehttp.Policy{Allow: splitList(s.cfg.WebhookAllow)}})
	if err != nil {
		return usageErr(fmt.Errorf("IDEOBUS_WEBHOOK_SECRETS / IDEOBUS_WEBHOOK_ALLOW: %w", err))
	}
	s.ports.Notifier = d
	return nil
}

func hostPort(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

func (s *stack) keyPrefix() string {
	if s.cfg.KeyPrefix != "" {
		return s.cfg.KeyPrefix
	}
	return messages.DefaultKeyPrefix
}

func (s *stack) dataDir() string {
	if s.cfg.DataDir != "" {
		return s.cfg.DataDir
	}
	return "ideobus-data"
}

// publisher returns a Kafka publisher, closed with the stack.
func (s *stack) publisher() (message.Publisher, error) {
	p, err := kafka.NewPublisher(s.kafka, router.WatermillLogger(s.log))
	if err != nil {
		return nil, runtimeErr(err)
	}
	s.closers = append(s.closers, p.Close)
	return p, nil
}

// subscriber returns a Kafka subscriber in group (none when empty), closed
// with the stack.
func (s *stack) subscriber(group string, fromOldest bool) (message.Subscriber, error) {
	kc := s.kafka
	kc.InitialOffsetOldest = fromOldest
	sub, err := kafka.NewSubscriber(kc, group, router.WatermillLogger(s.log))
	if err != nil {
		return nil, runtimeErr(err)
	}
	s.closers = append(s.closers, sub.Close)
	return sub, nil
}

// provision creates the topics ideobus uses, if missing.
func (s *stack) provision() error {
	if err := kafka.EnsureTopics(s.kafka, s.topics.All()...); err != nil {
		return runtimeErr(err)
	}
	return nil
}

// router builds the pipeline router over Kafka.
func (s *stack) router(pub message.Publisher) (*message.Router, error) {
	stages, err := s.cfg.stages()
	if err != nil {
		return nil, usageErr(err)
	}
	variants := splitList(s.cfg.Variants)
	for _, v := range variants {
		if _, ok := messages.Presets[v]; !ok {
			return nil, usageErr(fmt.Errorf("IDEOBUS_DEFAULT_VARIANTS: %q is not a preset (%s)", v, strings.Join(messages.PresetNames(), ", ")))
		}
	}
	r, err := router.New(router.Config{
		TraceMiddleware:   s.tel.StageMiddleware,
		AttemptMiddleware: s.metrics.StageMiddleware,
		Ports:             s.ports,
		Topics:            s.topics,
		Stages:            stages,
		Publisher:         pub,
		SubscriberFor: func(stage string) (message.Subscriber, error) {
			return s.subscriber(s.kafka.GroupFor(stage), true)
		},
		Handler:      handlers.Options{KeyPrefix: s.cfg.KeyPrefix, DefaultVariants: variants, Logger: s.log},
		Retry:        router.RetryPolicy{MaxAttempts: s.cfg.RetryAttempts},
		Logger:       s.log,
		CloseTimeout: s.cfg.CloseTimeout,
	})
	if err != nil {
		return nil, err
	}
	wmetrics.NewPrometheusMetricsBuilder(s.metrics.Registry, "ideobus", "watermill").AddPrometheusRouterMetrics(r)
	return r, nil
}

// Close stops everything in reverse order of starting.
func (s *stack) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

// stageGroups maps each pipeline stage's consumer group to its input topic,
// for the lag collector.
func (s *stack) stageGroups() map[string]string {
	t := s.topics
	return map[string]string{
		s.kafka.GroupFor(messages.StageGenerate): t.Requested,
		s.kafka.GroupFor(messages.StageUpload):   t.Generated,
		s.kafka.GroupFor(messages.StageResize):   t.Uploaded,
		s.kafka.GroupFor(messages.StagePurge):    t.Resized,
	}
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// pipeline is a running router over the stack, with the publisher it and its
// caller use.
type pipeline struct {
	pub  message.Publisher
	done chan error
	r    *message.Router
}

// startPipeline provisions the topics and runs the pipeline router in the
// background until stop. It returns once the handlers are running.
func (s *stack) startPipeline(ctx context.Context) (*pipeline, error) {
	if err := s.provision(); err != nil {
		return nil, err
	}
	pub, err := s.publisher()
	if err != nil {
		return nil, err
	}
	r, err := s.router(pub)
	if err != nil {
		return nil, err
	}
	p := &pipeline{pub: pub, r: r, done: make(chan error, 1)}
	go func() { p.done <- r.Run(context.WithoutCancel(ctx)) }()
	select {
	case <-r.Running():
		return p, nil
	case err := <-p.done:
		return nil, runtimeErr(fmt.Errorf("router: %w", err))
	case <-ctx.Done():
		_ = r.Close()
		return nil, runtimeErr(fmt.Errorf("router did not start: %w", ctx.Err()))
	}
}

// stop shuts the router down gracefully and reports how its run ended.
func (p *pipeline) stop() error {
	if err := p.r.Close(); err != nil {
		return err
	}
	return <-p.done
}

// producer submits requests with the trace context of the caller.
func (s *stack) producer(pub message.Publisher) *messages.Producer {
	return messages.NewProducer(pub, s.topics, messages.WithDecorator(s.tel.Inject))
}

// connect is what the client commands (submit, watch) need: the Kafka
// connection, with the topics provisioned.
func connect(ctx context.Context, cfg config) (*stack, error) {
	st, err := startStack(ctx, cfg, stackOptions{kafkaOnly: true})
	if err != nil {
		return nil, err
	}
	if err := st.provision(); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

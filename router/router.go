package router

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// AllStages lists the pipeline's stages in order.
var AllStages = []string{messages.StageGenerate, messages.StageUpload, messages.StageResize, messages.StagePurge}

// KnownStages are every stage Mount knows: the pipeline, then the stages
// that follow the outcomes.
var KnownStages = append(append([]string{}, AllStages...), messages.StageBatch, messages.StageNotify)

// DefaultStages are the stages mounted when Config.Stages is empty: the
// pipeline, plus batch when the store can hold batch state and notify when
// a Notifier is set.
func DefaultStages(p Ports) []string {
	st := append([]string{}, AllStages...)
	if _, ok := p.Store.(handlers.BatchStore); ok {
		st = append(st, messages.StageBatch)
	}
	if p.Notifier != nil {
		st = append(st, messages.StageNotify)
	}
	return st
}

// Ports are the outside systems the stages use. Only the ports of the mounted
// stages need to be set.
type Ports struct {
	Generator  handlers.Generator  // generate
	Ledger     handlers.Ledger     // generate, optional: no double billing on redelivery
	Budget     *handlers.Budget    // generate, optional: Ideogram's in-flight image limit
	URLs       handlers.URLFetcher // generate, optional: source images by URL
	Notifier   handlers.Notifier   // notify: webhooks to callback_url
	Downloader handlers.Downloader // upload
	Store      handlers.ObjectStore
	Resizer    handlers.Resizer // resize
	CDN        handlers.CDN     // purge
}

// Config describes what to mount and where it reads and writes.
type Config struct {
	Ports
	// Topics; zero value means messages.DefaultTopics().
	Topics messages.Topics
	// Stages to mount; empty means DefaultStages(Ports).
	Stages []string
	// Publisher receives every event the stages emit.
	Publisher message.Publisher
	// Subscriber is used by every stage unless SubscriberFor is set.
	Subscriber message.Subscriber
	// SubscriberFor returns the subscriber of one stage, e.g. in the stage's
	// own Kafka consumer group so stages scale and fail independently.
	SubscriberFor func(stage string) (message.Subscriber, error)
	Handler       handlers.Options
	Retry         RetryPolicy
	Logger        *slog.Logger
	// CloseTimeout bounds how long Close waits for in-flight work (default 30s).
	CloseTimeout time.Duration
	// TraceMiddleware, when set, wraps each stage's handler around all its
	// attempts (a span per stage); AttemptMiddleware wraps each attempt
	// (per-attempt metrics). See adapters/telemetry.
	TraceMiddleware   func(stage string) message.HandlerMiddleware
	AttemptMiddleware func(stage string) message.HandlerMiddleware
}

func (c *Config) defaults() error {
	if c.Topics == (messages.Topics{}) {
		c.Topics = messages.DefaultTopics()
	}
	if len(c.Stages) == 0 {
		c.Stages = DefaultStages(c.Ports)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Handler.Logger == nil {
		c.Handler.Logger = c.Logger
	}
	if c.CloseTimeout <= 0 {
		c.CloseTimeout = 30 * time.Second
	}
	if c.Publisher == nil {
		return errors.New("router: Publisher is required")
	}
	if c.Subscriber == nil && c.SubscriberFor == nil {
		return errors.New("router: Subscriber or SubscriberFor is required")
	}
	return nil
}

// New builds a Watermill router with the configured stages mounted. Run it
// with Run(ctx); Close (or cancelling ctx) stops fetching and waits for
// in-flight work up to CloseTimeout.
func New(cfg Config) (*message.Router, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	rc := message.RouterConfig{CloseTimeout: cfg.CloseTimeout}
	r, err := message.NewRouter(rc, WatermillLogger(cfg.Logger))
	if err != nil {
		return nil, err
	}
	if err := Mount(r, cfg); err != nil {
		return nil, err
	}
	return r, nil
}

// Mount adds the configured stages to r, a router the caller owns, each with
// ideobus's middleware: poison-on-error, recoverer, correlation ID and retry.
// Router-level middleware the caller added runs around them.
func Mount(r *message.Router, cfg Config) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	pub := RouteByType(cfg.Publisher, cfg.Topics)
	for _, st := range cfg.Stages {
		hs, err := stageHandlers(st, cfg)
		if err != nil {
			return err
		}
		for _, h := range hs {
			sub := cfg.Subscriber
			if cfg.SubscriberFor != nil {
				if sub, err = cfg.SubscriberFor(h.name); err != nil {
					return fmt.Errorf("subscriber for %s: %w", h.name, err)
				}
			}
			handler := r.AddHandler("ideobus."+h.name, h.in, sub, h.out, pub, h.fn)
			afterOutcome := st == messages.StageBatch || st == messages.StageNotify
			mw := []message.HandlerMiddleware{
				PoisonOnError(cfg.Publisher, cfg.Topics, st, afterOutcome, cfg.Logger),
				middleware.Recoverer,
				middleware.CorrelationID,
			}
			if cfg.TraceMiddleware != nil {
				mw = append(mw, cfg.TraceMiddleware(st))
			}
			// Detached work gets half the shutdown deadline, so it ends (and
			// its ledger record is written) while the router still waits.
			mw = append(mw, Retry(cfg.Retry), Detach(cfg.CloseTimeout/2))
			if cfg.AttemptMiddleware != nil {
				mw = append(mw, cfg.AttemptMiddleware(st))
			}
			handler.AddMiddleware(mw...)
		}
	}
	return nil
}

// mounted is one Watermill handler of a stage. Stages that follow the
// outcomes (batch, notify) have one per outcome topic; the name is also the
// consumer group suffix.
type mounted struct {
	name    string
	in, out string
	fn      message.HandlerFunc
}

// stageHandlers returns a stage's handlers with their topics.
func stageHandlers(st string, cfg Config) ([]mounted, error) {
	p, t, o := cfg.Ports, cfg.Topics, cfg.Handler
	one := func(ok bool, what string, m mounted) ([]mounted, error) {
		if !ok {
			return nil, fmt.Errorf("stage %s needs a %s", st, what)
		}
		m.name = st
		return []mounted{m}, nil
	}
	onOutcomes := func(ok bool, what string, fn message.HandlerFunc, out string) ([]mounted, error) {
		if !ok {
			return nil, fmt.Errorf("stage %s needs a %s", st, what)
		}
		return []mounted{
			{name: st + "-completed", in: t.Completed, out: out, fn: fn},
			{name: st + "-failed", in: t.Failed, out: out, fn: fn},
		}, nil
	}
	switch st {
	case messages.StageGenerate:
		gp := handlers.GeneratePorts{Generator: p.Generator, Ledger: p.Ledger, Budget: p.Budget, Store: p.Store, URLs: p.URLs}
		return one(p.Generator != nil, "Generator", mounted{in: t.Requested, out: t.Generated, fn: handlers.NewGenerate(gp, o)})
	case messages.StageUpload:
		return one(p.Downloader != nil && p.Store != nil, "Downloader and Store", mounted{in: t.Generated, out: t.Uploaded, fn: handlers.NewUpload(p.Downloader, p.Store, o)})
	case messages.StageResize:
		return one(p.Store != nil && p.Resizer != nil, "Store and Resizer", mounted{in: t.Uploaded, out: t.Resized, fn: handlers.NewResize(p.Store, p.Resizer, o)})
	case messages.StagePurge:
		return one(p.CDN != nil, "CDN", mounted{in: t.Resized, out: t.Completed, fn: handlers.NewPurge(p.CDN, o)})
	case messages.StageBatch:
		bs, ok := p.Store.(handlers.BatchStore)
		return onOutcomes(ok, "Store that can list and create conditionally (handlers.BatchStore)", handlers.NewBatch(bs, o), t.BatchCompleted)
	case messages.StageNotify:
		return onOutcomes(p.Notifier != nil, "Notifier", handlers.NewNotify(p.Notifier, p.Store, o), "")
	}
	return nil, fmt.Errorf("unknown stage %q (known: %s)", st, strings.Join(KnownStages, ", "))
}

// WatermillLogger adapts log for Watermill, demoting Watermill's lifecycle
// chatter (subscribing, handler started, ...) from info to debug so that
// info-level logs stay one line per job event.
func WatermillLogger(log *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
}

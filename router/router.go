package router

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// AllStages lists the pipeline's stages in order.
var AllStages = []string{messages.StageGenerate, messages.StageUpload, messages.StageResize, messages.StagePurge}

// Ports are the outside systems the stages use. Only the ports of the mounted
// stages need to be set.
type Ports struct {
	Generator  handlers.Generator  // generate
	Ledger     handlers.Ledger     // generate, optional: no double billing on redelivery
	Budget     *handlers.Budget    // generate, optional: Ideogram's in-flight image limit
	URLs       handlers.URLFetcher // generate, optional: source images by URL
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
	// Stages to mount; empty means AllStages.
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
}

func (c *Config) defaults() error {
	if c.Topics == (messages.Topics{}) {
		c.Topics = messages.DefaultTopics()
	}
	if len(c.Stages) == 0 {
		c.Stages = AllStages
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Handler.Logger == nil {
		c.Handler.Logger = c.Logger
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
		h, in, next, err := stageHandler(st, cfg)
		if err != nil {
			return err
		}
		sub := cfg.Subscriber
		if cfg.SubscriberFor != nil {
			if sub, err = cfg.SubscriberFor(st); err != nil {
				return fmt.Errorf("subscriber for stage %s: %w", st, err)
			}
		}
		handler := r.AddHandler("ideobus."+st, in, sub, next, pub, h)
		handler.AddMiddleware(
			PoisonOnError(cfg.Publisher, cfg.Topics, st, cfg.Logger),
			middleware.Recoverer,
			middleware.CorrelationID,
			Retry(cfg.Retry),
		)
	}
	return nil
}

// stageHandler returns a stage's handler and its input and output topics.
func stageHandler(st string, cfg Config) (message.HandlerFunc, string, string, error) {
	p, t, o := cfg.Ports, cfg.Topics, cfg.Handler
	need := func(ok bool, what string) error {
		if !ok {
			return fmt.Errorf("stage %s needs a %s", st, what)
		}
		return nil
	}
	switch st {
	case messages.StageGenerate:
		gp := handlers.GeneratePorts{Generator: p.Generator, Ledger: p.Ledger, Budget: p.Budget, Store: p.Store, URLs: p.URLs}
		return handlers.NewGenerate(gp, o), t.Requested, t.Generated, need(p.Generator != nil, "Generator")
	case messages.StageUpload:
		return handlers.NewUpload(p.Downloader, p.Store, o), t.Generated, t.Uploaded, need(p.Downloader != nil && p.Store != nil, "Downloader and Store")
	case messages.StageResize:
		return handlers.NewResize(p.Store, p.Resizer, o), t.Uploaded, t.Resized, need(p.Store != nil && p.Resizer != nil, "Store and Resizer")
	case messages.StagePurge:
		return handlers.NewPurge(p.CDN, o), t.Resized, t.Completed, need(p.CDN != nil, "CDN")
	}
	return nil, "", "", fmt.Errorf("unknown stage %q (known: generate, upload, resize, purge)", st)
}

// WatermillLogger adapts log for Watermill, demoting Watermill's lifecycle
// chatter (subscribing, handler started, ...) from info to debug so that
// info-level logs stay one line per job event.
func WatermillLogger(log *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
}

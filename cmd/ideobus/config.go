package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ideobus/ideobus/adapters/kafka"
	"github.com/ideobus/ideobus/messages"
	"github.com/ideobus/ideobus/router"
)

// config is everything ideobus reads from the environment; every field has a
// flag of the same meaning that overrides it.
type config struct {
	Brokers       string
	ConsumerGroup string
	TopicPrefix   string
	KeyPrefix     string
	Stages        string
	Embedded      string
	DataDir       string
	Variants      string
	// EmbeddedCDNAddr is where the embedded CDN listens (default a free
	// loopback port); a container sets 0.0.0.0:8080 to publish it.
	EmbeddedCDNAddr string

	IdeogramAPIKey     string
	IdeogramBaseURL    string
	IdeogramImageHosts string
	IdeogramAllowHTTP  string

	R2AccountID       string
	R2AccessKeyID     string
	R2SecretAccessKey string
	R2Bucket          string
	R2Endpoint        string
	R2PublicBaseURL   string

	CFAPIToken   string
	CFZoneID     string
	CFAPIBaseURL string

	WebhookSecrets string
	WebhookAllow   string
	FetchAllow     string
	Partitions     string
	InflightImages string
	SimLatency     string
	SimJitter      string
	SimFault429    string
	SimFault5xx    string

	RetryAttempts int
	CloseTimeout  time.Duration
}

// setting ties a config field to its environment variable and flag.
type setting struct {
	env, flag, usage string
	secret           bool
	field            func(*config) *string
	def              string
}

var settings = []setting{
	{"IDEOBUS_KAFKA_BROKERS", "brokers", "comma-separated Kafka bootstrap brokers", false, func(c *config) *string { return &c.Brokers }, ""},
	{"IDEOBUS_CONSUMER_GROUP", "consumer-group", "consumer group prefix; each stage consumes as <group>.<stage>", false, func(c *config) *string { return &c.ConsumerGroup }, "ideobus"},
	{"IDEOBUS_TOPIC_PREFIX", "topic-prefix", "prefix prepended to every topic name", false, func(c *config) *string { return &c.TopicPrefix }, ""},
	{"IDEOBUS_KEY_PREFIX", "key-prefix", "object key prefix in the bucket", false, func(c *config) *string { return &c.KeyPrefix }, messages.DefaultKeyPrefix},
	{"IDEOBUS_STAGES", "stages", "stages to run: any of generate,upload,resize,purge,batch,notify (default: the pipeline, batch, and notify when webhook secrets are set)", false, func(c *config) *string { return &c.Stages }, ""},
	{"IDEOBUS_EMBEDDED", "embedded", "start these embedded peers instead of real systems: any of kafka,ideogram,storage,cdn", false, func(c *config) *string { return &c.Embedded }, ""},
	{"IDEOBUS_DATA_DIR", "data-dir", "folder for embedded peers' data (objects, broker log)", false, func(c *config) *string { return &c.DataDir }, ""},
	{"IDEOBUS_DEFAULT_VARIANTS", "default-variants", "variants rendered when a request names none (comma-separated preset names)", false, func(c *config) *string { return &c.Variants }, ""},
	{"IDEOBUS_EMBEDDED_CDN_ADDR", "embedded-cdn-addr", "listen address of the embedded CDN, e.g. 0.0.0.0:8080 (default: a free loopback port)", false, func(c *config) *string { return &c.EmbeddedCDNAddr }, ""},
	{"IDEOBUS_KAFKA_PARTITIONS", "partitions", "partitions of topics ideobus creates; several times the in-flight budget, since each partition is handled one message at a time", false, func(c *config) *string { return &c.Partitions }, "48"},
	{"IDEOGRAM_INFLIGHT_IMAGES", "inflight-images", "images in flight at Ideogram at once, across the generate stage (your organisation's limit)", false, func(c *config) *string { return &c.InflightImages }, "10"},
	{"IDEOBUS_SIM_LATENCY", "sim-latency", "embedded Ideogram simulator: latency per call, e.g. 500ms", false, func(c *config) *string { return &c.SimLatency }, ""},
	{"IDEOBUS_SIM_LATENCY_JITTER", "sim-latency-jitter", "embedded Ideogram simulator: uniform jitter added to the latency, e.g. 200ms", false, func(c *config) *string { return &c.SimJitter }, ""},
	{"IDEOBUS_SIM_FAULT_429", "sim-fault-429", "embedded Ideogram simulator: fraction of calls answered 429, e.g. 0.2", false, func(c *config) *string { return &c.SimFault429 }, ""},
	{"IDEOBUS_SIM_FAULT_5XX", "sim-fault-5xx", "embedded Ideogram simulator: fraction of calls answered 5xx, e.g. 0.05", false, func(c *config) *string { return &c.SimFault5xx }, ""},
	{"IDEOBUS_WEBHOOK_SECRETS", "webhook-secrets", "Standard Webhooks signing secrets (whsec_...), comma-separated, newest first; enables the notify stage (secret)", true, func(c *config) *string { return &c.WebhookSecrets }, ""},
	{"IDEOBUS_WEBHOOK_ALLOW", "webhook-allow", "callback hosts, host:port or CIDRs exempt from the SSRF guard (e.g. an internal receiver)", false, func(c *config) *string { return &c.WebhookAllow }, ""},
	{"IDEOBUS_FETCH_ALLOW", "fetch-allow", "source-image hosts, host:port or CIDRs exempt from the SSRF guard", false, func(c *config) *string { return &c.FetchAllow }, ""},
	{"IDEOGRAM_API_KEY", "ideogram-api-key", "Ideogram API key (secret; prefer the environment variable)", true, func(c *config) *string { return &c.IdeogramAPIKey }, ""},
	{"IDEOGRAM_BASE_URL", "ideogram-base-url", "Ideogram API base URL", false, func(c *config) *string { return &c.IdeogramBaseURL }, ""},
	{"IDEOGRAM_ALLOW_HTTP", "ideogram-allow-http", "permit plain http to IDEOGRAM_BASE_URL and the image hosts (a local simulator only; never for api.ideogram.ai)", false, func(c *config) *string { return &c.IdeogramAllowHTTP }, ""},
	{"IDEOGRAM_IMAGE_HOSTS", "ideogram-image-hosts", "hosts result images may be downloaded from (comma-separated)", false, func(c *config) *string { return &c.IdeogramImageHosts }, ""},
	{"R2_ACCOUNT_ID", "r2-account-id", "Cloudflare account ID (R2 endpoint https://<id>.r2.cloudflarestorage.com)", false, func(c *config) *string { return &c.R2AccountID }, ""},
	{"R2_ACCESS_KEY_ID", "r2-access-key-id", "R2 access key ID", false, func(c *config) *string { return &c.R2AccessKeyID }, ""},
	{"R2_SECRET_ACCESS_KEY", "r2-secret-access-key", "R2 secret access key (secret; prefer the environment variable)", true, func(c *config) *string { return &c.R2SecretAccessKey }, ""},
	{"R2_BUCKET", "r2-bucket", "R2 bucket", false, func(c *config) *string { return &c.R2Bucket }, ""},
	{"R2_ENDPOINT", "r2-endpoint", "S3 endpoint override (default from R2_ACCOUNT_ID)", false, func(c *config) *string { return &c.R2Endpoint }, ""},
	{"R2_PUBLIC_BASE_URL", "r2-public-base-url", "public base URL objects are served from (your CDN domain)", false, func(c *config) *string { return &c.R2PublicBaseURL }, ""},
	{"CLOUDFLARE_API_TOKEN", "cloudflare-api-token", "Cloudflare API token with Cache Purge permission (secret)", true, func(c *config) *string { return &c.CFAPIToken }, ""},
	{"CLOUDFLARE_ZONE_ID", "cloudflare-zone-id", "Cloudflare zone ID of the public domain", false, func(c *config) *string { return &c.CFZoneID }, ""},
	{"CLOUDFLARE_API_BASE_URL", "cloudflare-api-base-url", "Cloudflare API base URL", false, func(c *config) *string { return &c.CFAPIBaseURL }, ""},
}

// Which commands a setting applies to: the Kafka connection (every command
// that talks to a broker), the pipeline's own knobs (serve, demo, loadtest),
// the embedded simulator's knobs, and the real outside systems (serve).
type scope int

const (
	scopeKafka scope = 1 << iota
	scopePipeline
	scopeSim
	scopeSystems
)

// Scopes of each command.
const (
	forServe  = scopeKafka | scopePipeline | scopeSim | scopeSystems
	forDemo   = scopePipeline | scopeSim
	forClient = scopeKafka
)

// scopeOf says where each setting applies; unlisted ones are pipeline knobs.
var scopeOf = map[string]scope{
	"IDEOBUS_KAFKA_BROKERS": scopeKafka, "IDEOBUS_CONSUMER_GROUP": scopeKafka, "IDEOBUS_TOPIC_PREFIX": scopeKafka,
	"IDEOBUS_KAFKA_PARTITIONS": scopeKafka | scopePipeline,
	"IDEOBUS_EMBEDDED":         scopeSystems, "IDEOBUS_DATA_DIR": scopeSystems,
	"IDEOBUS_SIM_LATENCY": scopeSim, "IDEOBUS_SIM_LATENCY_JITTER": scopeSim, "IDEOBUS_SIM_FAULT_429": scopeSim, "IDEOBUS_SIM_FAULT_5XX": scopeSim,
	"IDEOGRAM_API_KEY": scopeSystems, "IDEOGRAM_BASE_URL": scopeSystems, "IDEOGRAM_ALLOW_HTTP": scopeSystems, "IDEOGRAM_IMAGE_HOSTS": scopeSystems,
	"R2_ACCOUNT_ID": scopeSystems, "R2_ACCESS_KEY_ID": scopeSystems, "R2_SECRET_ACCESS_KEY": scopeSystems, "R2_BUCKET": scopeSystems,
	"R2_ENDPOINT": scopeSystems, "R2_PUBLIC_BASE_URL": scopeSystems,
	"CLOUDFLARE_API_TOKEN": scopeSystems, "CLOUDFLARE_ZONE_ID": scopeSystems, "CLOUDFLARE_API_BASE_URL": scopeSystems,
}

// bindConfig registers the settings of the given scopes as flags whose
// defaults are the environment variables' values. Settings outside them keep
// their built-in defaults.
func bindConfig(fs *pflag.FlagSet, c *config, scopes scope) {
	for _, s := range settings {
		sc, ok := scopeOf[s.env]
		if !ok {
			sc = scopePipeline
		}
		if sc&scopes == 0 {
			// Not this command's business: keep the default, so a stray
			// variable (IDEOBUS_EMBEDDED in a serve container's env, say)
			// cannot change what a client command does.
			if *s.field(c) == "" {
				*s.field(c) = s.def
			}
			continue
		}
		def := os.Getenv(s.env)
		if def == "" {
			def = s.def
		}
		usage := fmt.Sprintf("%s [$%s]", s.usage, s.env)
		fs.StringVar(s.field(c), s.flag, def, usage)
		if s.secret {
			// Never print a secret's value as a flag default in --help.
			fs.Lookup(s.flag).DefValue = ""
		}
	}
	if scopes&scopePipeline != 0 {
		fs.IntVar(&c.RetryAttempts, "retry-attempts", 3, "attempts per stage for transient failures (a failed Ideogram call is not repeated by the stage: its client retries, up to 6 attempts)")
		fs.DurationVar(&c.CloseTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for in-flight work")
	}
}

func splitList(s string) []string { return kafka.ParseBrokers(s) }

// embeddedSet parses --embedded, refusing unknown names.
func (c config) embeddedSet() (map[string]bool, error) {
	set := map[string]bool{}
	for _, name := range splitList(c.Embedded) {
		switch name {
		case "kafka", "ideogram", "storage", "cdn":
			set[name] = true
		case "all":
			for _, n := range []string{"kafka", "ideogram", "storage", "cdn"} {
				set[n] = true
			}
		default:
			return nil, fmt.Errorf("IDEOBUS_EMBEDDED / --embedded: unknown peer %q (known: kafka, ideogram, storage, cdn)", name)
		}
	}
	return set, nil
}

func (c config) stages() ([]string, error) {
	st := splitList(c.Stages)
	for _, s := range st {
		ok := false
		for _, k := range router.KnownStages {
			ok = ok || s == k
		}
		if !ok {
			return nil, fmt.Errorf("IDEOBUS_STAGES / --stages: unknown stage %q (known: %s)", s, strings.Join(router.KnownStages, ", "))
		}
	}
	return st, nil // empty: the router's defaults
}

func (c config) topics() messages.Topics { return messages.DefaultTopics().WithPrefix(c.TopicPrefix) }

// validate reports every missing setting at once, naming each variable. A
// system that is neither configured nor explicitly embedded is an error:
// production never falls back to a simulator silently.
func (c config) validate(needKafkaOnly bool) error {
	emb, err := c.embeddedSet()
	if err != nil {
		return err
	}
	stages, err := c.stages()
	if err != nil {
		return err
	}
	uses := map[string]bool{}
	if len(stages) == 0 {
		stages = router.KnownStages
	}
	if !needKafkaOnly {
		for _, s := range stages {
			switch s {
			case messages.StageGenerate:
				uses["ideogram"] = true
			case messages.StageUpload:
				uses["ideogram"], uses["storage"] = true, true
			case messages.StageResize, messages.StageBatch:
				uses["storage"] = true
			case messages.StagePurge:
				uses["cdn"] = true
			}
		}
	}
	var missing []string
	need := func(v, env string) {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, env)
		}
	}
	if !emb["kafka"] {
		need(c.Brokers, "IDEOBUS_KAFKA_BROKERS")
	}
	if uses["ideogram"] && !emb["ideogram"] {
		need(c.IdeogramAPIKey, "IDEOGRAM_API_KEY")
	}
	if uses["storage"] && !emb["storage"] {
		if c.R2Endpoint == "" {
			need(c.R2AccountID, "R2_ACCOUNT_ID")
		}
		need(c.R2AccessKeyID, "R2_ACCESS_KEY_ID")
		need(c.R2SecretAccessKey, "R2_SECRET_ACCESS_KEY")
		need(c.R2Bucket, "R2_BUCKET")
		if !emb["cdn"] {
			need(c.R2PublicBaseURL, "R2_PUBLIC_BASE_URL")
		}
	}
	if uses["cdn"] && !emb["cdn"] {
		need(c.CFAPIToken, "CLOUDFLARE_API_TOKEN")
		need(c.CFZoneID, "CLOUDFLARE_ZONE_ID")
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("missing configuration: %s (set them, or start the matching peers with --embedded kafka,ideogram,storage,cdn)", strings.Join(missing, ", "))
	}
	return nil
}

var errUsage = errors.New("usage")

// numbers parses the numeric settings, naming the variable on error.
type numbers struct {
	partitions  int32
	inflight    int
	simLatency  time.Duration
	simJitter   time.Duration
	simFault429 float64
	simFault5xx float64
}

func (c config) numbers() (numbers, error) {
	var n numbers
	var errs []error
	intOf := func(v, env string, min int) int {
		if v == "" {
			return 0
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < min {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number >= %d", env, v, min))
		}
		return i
	}
	durOf := func(v, env string) time.Duration {
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 500ms", env, v))
		}
		return d
	}
	fracOf := func(v, env string) float64 {
		if v == "" {
			return 0
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a fraction between 0 and 1", env, v))
		}
		return f
	}
	n.partitions = int32(intOf(c.Partitions, "IDEOBUS_KAFKA_PARTITIONS", 1))
	n.inflight = intOf(c.InflightImages, "IDEOGRAM_INFLIGHT_IMAGES", 1)
	n.simLatency = durOf(c.SimLatency, "IDEOBUS_SIM_LATENCY")
	n.simJitter = durOf(c.SimJitter, "IDEOBUS_SIM_LATENCY_JITTER")
	n.simFault429 = fracOf(c.SimFault429, "IDEOBUS_SIM_FAULT_429")
	n.simFault5xx = fracOf(c.SimFault5xx, "IDEOBUS_SIM_FAULT_5XX")
	return n, errors.Join(errs...)
}

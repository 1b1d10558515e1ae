package kafka

import (
	"strconv"
	"sync"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
)

// LagCollector exports consumer lag (high-water mark minus committed offset)
// per consumer group, topic and partition as ideobus_kafka_consumer_lag,
// computed from the broker at scrape time, so it is right whichever process
// committed.
type LagCollector struct {
	cfg    Config
	groups map[string]string // consumer group -> topic
	desc   *prometheus.Desc
	errs   prometheus.Counter

	mu     sync.Mutex
	client sarama.Client
	admin  sarama.ClusterAdmin
}

// NewLagCollector reports the lag of each group on its topic.
func NewLagCollector(cfg Config, groups map[string]string) *LagCollector {
	return &LagCollector{
		cfg:    cfg,
		groups: groups,
		desc: prometheus.NewDesc("ideobus_kafka_consumer_lag", "Messages not yet committed by a stage's consumer group, per topic and partition.",
			[]string{"group", "topic", "partition"}, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Name: "ideobus_kafka_consumer_lag_errors_total", Help: "Scrapes whose lag could not be read from the broker."}),
	}
}

// Describe implements prometheus.Collector.
func (c *LagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	c.errs.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *LagCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.errs.Collect(ch)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		client, err := sarama.NewClient(c.cfg.Brokers, c.cfg.SaramaConfig())
		if err != nil {
			c.errs.Inc()
			return
		}
		admin, err := sarama.NewClusterAdminFromClient(client)
		if err != nil {
			client.Close()
			c.errs.Inc()
			return
		}
		c.client, c.admin = client, admin
	}
	for group, topic := range c.groups {
		parts, err := c.client.Partitions(topic)
		if err != nil {
			c.errs.Inc()
			continue
		}
		offsets, err := c.admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: parts})
		if err != nil {
			c.errs.Inc()
			continue
		}
		for _, p := range parts {
			high, err := c.client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				c.errs.Inc()
				continue
			}
			committed := int64(0)
			if b := offsets.GetBlock(topic, p); b != nil && b.Offset >= 0 {
				committed = b.Offset
			}
			lag := high - committed
			if lag < 0 {
				lag = 0
			}
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(lag), group, topic, strconv.Itoa(int(p)))
		}
	}
}

// Close releases the broker connections.
func (c *LagCollector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.admin != nil {
		return c.admin.Close() // closes the client too
	}
	return nil
}

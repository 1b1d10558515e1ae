package kafka_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ideobus/ideobus/adapters/kafka"
)

// testBrokers returns the broker under test: $IDEOBUS_KAFKA_BROKERS when set
// (CI points it at a real Apache Kafka), else an embedded kfake broker.
func testBrokers(t *testing.T) []string {
	t.Helper()
	if b := kafka.ParseBrokers(os.Getenv("IDEOBUS_KAFKA_BROKERS")); len(b) > 0 {
		return b
	}
	e, err := kafka.StartEmbedded(kafka.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e.Brokers()
}

func TestMain(m *testing.M) {
	if b := os.Getenv("IDEOBUS_KAFKA_BROKERS"); b != "" {
		fmt.Printf("broker: Apache Kafka %s at %s\n", envOr("IDEOBUS_KAFKA_VERSION", "(version not given)"), b)
	} else {
		fmt.Println("broker: embedded kfake (set IDEOBUS_KAFKA_BROKERS to test a real broker)")
	}
	os.Exit(m.Run())
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

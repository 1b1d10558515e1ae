package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// No Docker engine runs here, so the compose file's wiring is checked by
// reading it: the services, ports and variables must match what ideobus
// reads, and the Kafka image must be the CI broker's major version.
func TestComposeFileMatchesWhatIdeobusReads(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Command     []string          `yaml:"command"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			DependsOn   map[string]any    `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	kafkaSvc, ok := compose.Services["kafka"]
	if !ok {
		t.Fatal("no kafka service")
	}
	app, ok := compose.Services["ideobus"]
	if !ok {
		t.Fatal("no ideobus service")
	}

	// Kafka image: official apache/kafka, same major version as CI's broker.
	pom, err := os.ReadFile("../../scripts/kafka/pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	ciVersion := regexp.MustCompile(`<kafka.version>([0-9.]+)</kafka.version>`).FindSubmatch(pom)
	if ciVersion == nil {
		t.Fatal("no kafka.version in scripts/kafka/pom.xml")
	}
	img := strings.SplitN(kafkaSvc.Image, ":", 2)
	if img[0] != "apache/kafka" || len(img) != 2 {
		t.Fatalf("kafka image %q is not the official apache/kafka with a tag", kafkaSvc.Image)
	}
	if major(img[1]) != major(string(ciVersion[1])) {
		t.Errorf("compose Kafka %s and CI Kafka %s differ in major version", img[1], ciVersion[1])
	}
	if kafkaSvc.Environment["KAFKA_PROCESS_ROLES"] != "broker,controller" {
		t.Errorf("kafka is not in KRaft combined mode: %q", kafkaSvc.Environment["KAFKA_PROCESS_ROLES"])
	}

	// ideobus reaches Kafka on a listener the broker advertises under the
	// service name.
	brokers := app.Environment["IDEOBUS_KAFKA_BROKERS"]
	if !strings.Contains(kafkaSvc.Environment["KAFKA_ADVERTISED_LISTENERS"], "//"+brokers) {
		t.Errorf("IDEOBUS_KAFKA_BROKERS=%s is not an advertised listener (%s)", brokers, kafkaSvc.Environment["KAFKA_ADVERTISED_LISTENERS"])
	}
	if _, ok := app.DependsOn["kafka"]; !ok {
		t.Error("ideobus does not depend on kafka")
	}
	if app.Build == nil {
		t.Error("ideobus is not built from the Dockerfile")
	}

	// Every variable the compose file sets is one ideobus reads.
	known := map[string]bool{"IDEOBUS_LOG_FORMAT": true, "IDEOBUS_LOG_LEVEL": true, "IDEOBUS_HTTP_ADDR": true}
	for _, s := range settings {
		known[s.env] = true
	}
	for k := range app.Environment {
		if !known[k] {
			t.Errorf("compose sets %s, which ideobus does not read", k)
		}
	}
	for _, must := range []string{"IDEOBUS_KAFKA_BROKERS", "IDEOGRAM_API_KEY", "R2_BUCKET", "R2_PUBLIC_BASE_URL", "CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ZONE_ID"} {
		if _, ok := app.Environment[must]; !ok {
			t.Errorf("compose does not pass %s through", must)
		}
	}

	// serve runs with the embedded peers by default, and the embedded CDN's
	// listen port is the published one.
	cmd := strings.Join(app.Command, " ")
	if !strings.Contains(cmd, "serve") || !strings.Contains(cmd, "--embedded") {
		t.Errorf("ideobus command %q is not serve --embedded ...", cmd)
	}
	addr := app.Environment["IDEOBUS_EMBEDDED_CDN_ADDR"]
	port := addr[strings.LastIndex(addr, ":")+1:]
	published := false
	for _, p := range app.Ports {
		published = published || strings.HasSuffix(p, ":"+port)
	}
	if !published {
		t.Errorf("embedded CDN listens on %s but ports %v do not publish it", addr, app.Ports)
	}
}

func major(v string) string { return strings.SplitN(v, ".", 2)[0] }

package cdn_test

import (
	"strings"
	"testing"

	"github.com/ideobus/ideobus/adapters/cdn"
)

func TestConfigErrorsNameVariables(t *testing.T) {
	cases := []struct {
		cfg  cdn.Config
		want []string
	}{
		{cdn.Config{}, []string{cdn.EnvAPIToken, cdn.EnvZoneID}},
		{cdn.Config{ZoneID: "z"}, []string{cdn.EnvAPIToken}},
		{cdn.Config{APIToken: "secret-token"}, []string{cdn.EnvZoneID}},
		{cdn.Config{APIToken: "secret-token", ZoneID: "z", APIBaseURL: "api.example.com"}, []string{cdn.EnvAPIBaseURL}},
	}
	for _, tc := range cases {
		_, err := cdn.New(tc.cfg)
		if err == nil {
			t.Fatalf("New(%+v) succeeded", tc.cfg)
		}
		for _, v := range tc.want {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("error %q does not name %s", err, v)
			}
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("error %q echoes the token", err)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{cdn.EnvAPIToken: "t", cdn.EnvZoneID: "z", cdn.EnvAPIBaseURL: "http://x/client/v4"}
	got := cdn.ConfigFromEnv(func(k string) string { return env[k] })
	if got.APIToken != "t" || got.ZoneID != "z" || got.APIBaseURL != "http://x/client/v4" {
		t.Fatalf("ConfigFromEnv = %+v", got)
	}
}

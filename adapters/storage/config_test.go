package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ideobus/ideobus/adapters/storage"
)

func TestConfigErrorsNameVariables(t *testing.T) {
	valid := storage.Config{
		AccountID:       "acc",
		AccessKeyID:     "AKID",
		SecretAccessKey: "s3cr3t-value",
		Bucket:          "b",
		PublicBaseURL:   "https://img.example.com",
	}
	cases := []struct {
		name   string
		mutate func(*storage.Config)
		want   []string
	}{
		{"empty", func(c *storage.Config) { *c = storage.Config{} }, []string{
			storage.EnvAccountID, storage.EnvAccessKeyID, storage.EnvSecretAccessKey, storage.EnvBucket, storage.EnvPublicBaseURL,
		}},
		{"no bucket", func(c *storage.Config) { c.Bucket = "" }, []string{storage.EnvBucket}},
		{"no secret", func(c *storage.Config) { c.SecretAccessKey = "" }, []string{storage.EnvSecretAccessKey}},
		{"bad endpoint", func(c *storage.Config) { c.Endpoint = "r2.example.com" }, []string{storage.EnvEndpoint}},
		{"bad public url", func(c *storage.Config) { c.PublicBaseURL = "/relative" }, []string{storage.EnvPublicBaseURL}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.mutate(&cfg)
			_, err := storage.New(context.Background(), cfg)
			if err == nil {
				t.Fatal("New succeeded, want a configuration error")
			}
			for _, v := range tc.want {
				if !strings.Contains(err.Error(), v) {
					t.Errorf("error %q does not name %s", err, v)
				}
			}
			if strings.Contains(err.Error(), valid.SecretAccessKey) {
				t.Errorf("error %q echoes the secret", err)
			}
		})
	}

	t.Run("endpoint replaces account id", func(t *testing.T) {
		cfg := valid
		cfg.AccountID = ""
		cfg.Endpoint = "http://127.0.0.1:9000"
		if _, err := storage.New(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		storage.EnvAccountID:       "acc",
		storage.EnvAccessKeyID:     "id",
		storage.EnvSecretAccessKey: "secret",
		storage.EnvBucket:          "bucket",
		storage.EnvEndpoint:        "https://e.example.com",
		storage.EnvPublicBaseURL:   "https://p.example.com",
	}
	got := storage.ConfigFromEnv(func(k string) string { return env[k] })
	want := storage.Config{
		AccountID: "acc", AccessKeyID: "id", SecretAccessKey: "secret", Bucket: "bucket",
		Endpoint: "https://e.example.com", PublicBaseURL: "https://p.example.com",
	}
	if got != want {
		t.Fatalf("ConfigFromEnv = %+v, want %+v", got, want)
	}
}

package cdn_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ideobus/ideobus/adapters/cdn"
	"github.com/ideobus/ideobus/messages"
)

func TestServeMissHitStaleThenPurge(t *testing.T) {
	l, o := startCDN(t)
	c := newClient(t, l.ClientConfig())
	o.set("/bucket/req/0/original.png", "v1")
	url := l.URL() + "/req/0/original.png"

	if body, status := get(t, url); body != "v1" || status != "MISS" {
		t.Fatalf("first GET = %q %s, want v1 MISS", body, status)
	}
	if body, status := get(t, url); body != "v1" || status != "HIT" {
		t.Fatalf("second GET = %q %s, want v1 HIT", body, status)
	}

	o.set("/bucket/req/0/original.png", "v2")
	if body, status := get(t, url); body != "v1" || status != "HIT" {
		t.Fatalf("GET after origin update = %q %s, want stale v1 HIT", body, status)
	}
	if n := o.hitCount("/bucket/req/0/original.png"); n != 1 {
		t.Fatalf("origin saw %d fetches, want 1", n)
	}

	if err := c.Purge(context.Background(), []string{url}); err != nil {
		t.Fatal(err)
	}
	if n := l.PurgeCount(url); n != 1 {
		t.Fatalf("PurgeCount = %d, want 1", n)
	}
	if body, status := get(t, url); body != "v2" || status != "MISS" {
		t.Fatalf("GET after purge = %q %s, want v2 MISS", body, status)
	}
	if body, status := get(t, url); body != "v2" || status != "HIT" {
		t.Fatalf("GET after refill = %q %s, want v2 HIT", body, status)
	}
}

func TestPurgeBatchesOf30(t *testing.T) {
	l, _ := startCDN(t)
	c := newClient(t, l.ClientConfig())
	var urls []string
	for i := range 65 {
		urls = append(urls, fmt.Sprintf("%s/img/%d.png", l.URL(), i))
	}
	withDup := append(slices.Clone(urls), urls[3])

	if err := c.Purge(context.Background(), withDup); err != nil {
		t.Fatal(err)
	}
	reqs := l.PurgeRequests()
	var sizes []int
	for _, r := range reqs {
		sizes = append(sizes, len(r.Files))
	}
	if !slices.Equal(sizes, []int{30, 30, 5}) {
		t.Fatalf("batch sizes = %v, want [30 30 5]", sizes)
	}
	if got := l.Purges(); !slices.Equal(got, urls) {
		t.Fatalf("purged %d URLs, want the 65 in order", len(got))
	}
}

func TestPurgeNothingMakesNoCall(t *testing.T) {
	l, _ := startCDN(t)
	c := newClient(t, l.ClientConfig())
	if err := c.Purge(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(l.PurgeRequests()); n != 0 {
		t.Fatalf("made %d calls, want 0", n)
	}
}

func requireCDNError(t *testing.T, err error, retryable bool) *messages.Error {
	t.Helper()
	var me *messages.Error
	if !errors.As(err, &me) || me.Code != messages.CodeCDNFailed {
		t.Fatalf("err = %v, want cdn_failed", err)
	}
	if me.Retryable != retryable {
		t.Fatalf("Retryable = %v, want %v (%v)", me.Retryable, retryable, err)
	}
	return me
}

func TestPurgePermanentFailures(t *testing.T) {
	l, _ := startCDN(t)
	url := l.URL() + "/x.png"

	badToken := l.ClientConfig()
	badToken.APIToken = "wrong-token"
	err := newClient(t, badToken).Purge(context.Background(), []string{url})
	requireCDNError(t, err, false)
	if strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("error %q echoes the token", err)
	}

	badZone := l.ClientConfig()
	badZone.ZoneID = "ffffffffffffffffffffffffffffffff"
	requireCDNError(t, newClient(t, badZone).Purge(context.Background(), []string{url}), false)

	if n := len(l.PurgeRequests()); n != 0 {
		t.Fatalf("accepted %d purges, want 0", n)
	}
}

func TestPurgeRetriesTransientFailures(t *testing.T) {
	l, _ := startCDN(t)
	c := newClient(t, l.ClientConfig())
	l.FailNextPurges(1, http.StatusServiceUnavailable)
	l.FailNextPurges(1, http.StatusBadGateway)

	if err := c.Purge(context.Background(), []string{l.URL() + "/a.png"}); err != nil {
		t.Fatal(err)
	}
	if n := len(l.PurgeRequests()); n != 1 {
		t.Fatalf("accepted %d purges, want 1", n)
	}
}

func TestPurgeGivesUpRetryably(t *testing.T) {
	t.Run("attempts spent", func(t *testing.T) {
		l, _ := startCDN(t)
		cfg := l.ClientConfig()
		cfg.MaxAttempts = 2
		l.FailNextPurges(2, http.StatusInternalServerError)
		requireCDNError(t, newClient(t, cfg).Purge(context.Background(), []string{l.URL() + "/a.png"}), true)
	})
	t.Run("retry-after beyond bound", func(t *testing.T) {
		l, _ := startCDN(t)
		cfg := l.ClientConfig()
		cfg.MaxRetryAfter = time.Millisecond
		l.FailNextPurges(1, http.StatusTooManyRequests)
		me := requireCDNError(t, newClient(t, cfg).Purge(context.Background(), []string{l.URL() + "/a.png"}), true)
		if me.RetryAfter != time.Second {
			t.Fatalf("RetryAfter = %v, want the server's 1s", me.RetryAfter)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cfg := cdn.Config{APIToken: "t", ZoneID: "z", APIBaseURL: "http://" + addr + "/client/v4", MaxAttempts: 1}
		requireCDNError(t, newClient(t, cfg).Purge(context.Background(), []string{"http://example.com/a"}), true)
	})
}

func TestWarmFillsCache(t *testing.T) {
	l, o := startCDN(t)
	c := newClient(t, l.ClientConfig())
	var urls []string
	for i := range 6 {
		o.set(fmt.Sprintf("/bucket/w/%d.png", i), fmt.Sprint("body", i))
		urls = append(urls, fmt.Sprintf("%s/w/%d.png", l.URL(), i))
	}
	if err := c.Warm(context.Background(), urls); err != nil {
		t.Fatal(err)
	}
	for i, u := range urls {
		if body, status := get(t, u); status != "HIT" || body != fmt.Sprint("body", i) {
			t.Fatalf("GET %s after warm = %q %s, want HIT", u, body, status)
		}
	}
}

func TestWarmReportsNon2xx(t *testing.T) {
	l, o := startCDN(t)
	c := newClient(t, l.ClientConfig())
	o.set("/bucket/ok.png", "ok")
	err := c.Warm(context.Background(), []string{l.URL() + "/ok.png", l.URL() + "/missing.png"})
	me := requireCDNError(t, err, true)
	if !strings.Contains(me.Message, "1 of 2") || !strings.Contains(me.Message, "404") {
		t.Fatalf("message %q should count the failure and show its status", me.Message)
	}
	if !l.Cached("/ok.png") {
		t.Fatal("the URL that worked was not warmed")
	}
}

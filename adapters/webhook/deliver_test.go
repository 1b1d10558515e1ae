package webhook_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ideobus/ideobus/adapters/safehttp"
	"github.com/ideobus/ideobus/adapters/webhook"
	"github.com/ideobus/ideobus/messages"
)

const event = `{"specversion":"1.0","id":"evt_1","type":"ideogram.generation.completed","source":"urn:ideobus","datacontenttype":"application/json","data":{"request_id":"r1"}}`

// receiver is a webhook endpoint on loopback. It answers with the scripted
// statuses in order (the last one repeats) and records every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	script   []int
	requests []recorded
	// retryAfter, when set, is sent with 429 and 503 answers.
	retryAfter string
}

type recorded struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, script ...int) *receiver {
	t.Helper()
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests = append(r.requests, recorded{req.Header.Clone(), body})
	status := r.script[min(len(r.requests), len(r.script))-1]
	r.mu.Unlock()
	if r.retryAfter != "" && (status == 429 || status == 503) {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	w.WriteHeader(status)
}

func (r *receiver) got() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.requests...)
}

// clock is a fake clock that the fake sleeper advances, so waits take no
// wall-clock time and timestamps move as if they had.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{now: time.Unix(1700000000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

var secret, oldSecret = mustSecret(), mustSecret()

func mustSecret() string {
	s, err := webhook.NewSecret()
	if err != nil {
		panic(err)
	}
	return s
}

// newDeliverer returns a Deliverer allowed to reach loopback, signing with
// two secrets, on a fake clock.
func newDeliverer(t *testing.T, edit func(*webhook.Config)) (*webhook.Deliverer, *clock) {
	t.Helper()
	c := newClock()
	cfg := webhook.Config{
		Secrets:     []string{secret, oldSecret},
		Policy:      safehttp.Policy{Allow: []string{"127.0.0.1"}, Timeout: 5 * time.Second},
		MaxAttempts: 4,
		Now:         c.Now,
		Sleep:       c.Sleep,
	}
	if edit != nil {
		edit(&cfg)
	}
	d, err := webhook.NewDeliverer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

func deliver(t *testing.T, d *webhook.Deliverer, url string) (webhook.Delivery, error) {
	t.Helper()
	return d.Deliver(context.Background(), url, "evt_1", "ideogram.generation.completed", []byte(event))
}

func TestDeliverRetriesThenSucceeds(t *testing.T) {
	recv := newReceiver(t, 500, 503, 200)
	d, clk := newDeliverer(t, nil)
	res, err := deliver(t, d, recv.URL+"/hook")
	if err != nil {
		t.Fatal(err)
	}
	want := webhook.Delivery{URL: recv.URL + "/hook", EventID: "evt_1", EventType: "ideogram.generation.completed",
		Status: webhook.StatusDelivered, Attempts: 3, HTTPStatus: 200, At: clk.Now()}
	if res != want {
		t.Fatalf("delivery = %+v\nwant       %+v", res, want)
	}
	reqs := recv.got()
	if len(reqs) != 3 {
		t.Fatalf("the receiver saw %d requests, want 3", len(reqs))
	}
	if len(clk.waits) != 2 {
		t.Fatalf("waited %d times, want 2", len(clk.waits))
	}
	var stamps []string
	for i, r := range reqs {
		h := r.header
		if h.Get("webhook-id") != "evt_1" || h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != "ideobus-webhook/1" {
			t.Fatalf("attempt %d headers: %v", i+1, h)
		}
		if string(r.body) != event {
			t.Fatalf("attempt %d body = %s", i+1, r.body)
		}
		// Checked by the independent receiver with either secret, and by
		// ours, at the time of the attempt.
		ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
		if err != nil {
			t.Fatalf("attempt %d: webhook-timestamp: %v", i+1, err)
		}
		at := time.Unix(ts, 0)
		for _, s := range []string{secret, oldSecret} {
			if !refVerify(s, h, r.body, at) {
				t.Fatalf("attempt %d does not verify independently: %v", i+1, h)
			}
			if err := webhook.Verify([]string{s}, h, r.body, at); err != nil {
				t.Fatalf("attempt %d: Verify: %v", i+1, err)
			}
		}
		if n := len(strings.Fields(h.Get("webhook-signature"))); n != 2 {
			t.Fatalf("attempt %d carries %d signatures, want one per secret", i+1, n)
		}
		stamps = append(stamps, h.Get("webhook-timestamp"))
	}
	if stamps[0] == stamps[2] {
		t.Fatalf("retries reuse the first timestamp %s; each attempt must be signed afresh", stamps[0])
	}
}

func TestDeliverStatuses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		script   []int
		status   webhook.Status
		code     messages.Code
		attempts int
		reason   string
	}{
		{"gone", []int{410}, webhook.StatusGone, webhook.CodeCallbackGone, 1, "unsubscribed"},
		{"bad request", []int{400}, webhook.StatusFailed, webhook.CodeCallbackFailed, 1, "HTTP 400"},
		{"unauthorized", []int{401}, webhook.StatusFailed, webhook.CodeCallbackFailed, 1, "HTTP 401"},
		{"redirect not followed", []int{302}, webhook.StatusFailed, webhook.CodeCallbackFailed, 1, "redirects are not followed"},
		{"gone after a 503", []int{503, 410}, webhook.StatusGone, webhook.CodeCallbackGone, 2, "unsubscribed"},
		{"5xx until attempts run out", []int{502}, webhook.StatusFailed, webhook.CodeCallbackFailed, 4, "gave up after 4 attempts"},
		{"429 then 204", []int{429, 204}, webhook.StatusDelivered, "", 2, ""},
		{"408 then 200", []int{408, 200}, webhook.StatusDelivered, "", 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := newReceiver(t, tc.script...)
			d, _ := newDeliverer(t, nil)
			res, err := deliver(t, d, recv.URL)
			if res.Status != tc.status || res.Code != tc.code || res.Attempts != tc.attempts || !strings.Contains(res.Error, tc.reason) {
				t.Fatalf("delivery = %+v", res)
			}
			if n := len(recv.got()); n != tc.attempts {
				t.Fatalf("the receiver saw %d requests, want %d", n, tc.attempts)
			}
			if tc.status == webhook.StatusDelivered {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *messages.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Retryable {
				t.Fatalf("err = %#v, want a permanent %s", err, tc.code)
			}
		})
	}
}

func TestDeliverHonoursRetryAfter(t *testing.T) {
	recv := newReceiver(t, 429, 200)
	recv.retryAfter = "7"
	d, clk := newDeliverer(t, func(c *webhook.Config) { c.InitialInterval = time.Millisecond })
	if _, err := deliver(t, d, recv.URL); err != nil {
		t.Fatal(err)
	}
	if len(clk.waits) != 1 || clk.waits[0] != 7*time.Second {
		t.Fatalf("waits = %v, want [7s]", clk.waits)
	}
}

func TestDeliverRefusesLoopbackWithoutAllowList(t *testing.T) {
	recv := newReceiver(t, 200)
	for _, tc := range []struct {
		name   string
		policy safehttp.Policy
		url    string
		want   string
	}{
		{"http to loopback", safehttp.Policy{AllowHTTP: true}, recv.URL + "/hook?token=s3cret", "127.0.0.1 is a loopback address"},
		{"https only", safehttp.Policy{}, recv.URL + "/hook?token=s3cret", "plain http is not allowed"},
		{"metadata", safehttp.Policy{}, "https://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"},
		{"private name", safehttp.Policy{Resolver: safehttp.ResolverFunc(func(context.Context, string) ([]net.IPAddr, error) {
			return []net.IPAddr{{IP: net.ParseIP("10.0.0.5")}}, nil
		})}, "https://hooks.internal.test/", "resolves to 10.0.0.5, a private address"},
		{"not a URL", safehttp.Policy{}, "::", "not a valid URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := newDeliverer(t, func(c *webhook.Config) { c.Policy = tc.policy })
			res, err := deliver(t, d, tc.url)
			if res.Status != webhook.StatusRefused || res.Code != webhook.CodeCallbackRefused || res.Attempts != 0 || !strings.Contains(res.Error, tc.want) {
				t.Fatalf("delivery = %+v, want refused: %s", res, tc.want)
			}
			var e *messages.Error
			if !errors.As(err, &e) || e.Code != webhook.CodeCallbackRefused || !strings.Contains(e.Error(), tc.want) {
				t.Fatalf("err = %v, want callback_refused naming %q", err, tc.want)
			}
			if strings.Contains(res.URL+res.Error+err.Error(), "s3cret") {
				t.Fatalf("the record leaks the URL's token: %+v / %v", res, err)
			}
		})
	}
	if n := len(recv.got()); n != 0 {
		t.Fatalf("a refused delivery reached the receiver %d times", n)
	}
}

func TestDeliverRetriesConnectionErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hook?token=s3cret"
	ln.Close() // nothing listens there now: connection refused
	d, clk := newDeliverer(t, nil)
	res, err := deliver(t, d, url)
	if res.Status != webhook.StatusFailed || res.Attempts != 4 || res.HTTPStatus != 0 || len(clk.waits) != 3 {
		t.Fatalf("delivery = %+v after %d waits", res, len(clk.waits))
	}
	if !strings.Contains(res.Error, "refused") || strings.Contains(res.Error, "s3cret") {
		t.Fatalf("error = %q: want the cause, without the URL's token", res.Error)
	}
	if err == nil || messages.IsRetryable(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestDeliverRetriesTimeouts(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			select { // hang until the client gives up on this attempt
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	d, _ := newDeliverer(t, func(c *webhook.Config) {
		c.Policy.Timeout = 50 * time.Millisecond
	})
	res, err := deliver(t, d, srv.URL)
	if err != nil || res.Status != webhook.StatusDelivered || res.Attempts != 2 {
		t.Fatalf("delivery = %+v, %v; want delivered on the second attempt", res, err)
	}
}

// A delivery cut short by shutdown is not a failure of the receiver: the
// error stays retryable so the stage leaves the event for redelivery.
func TestDeliverContextEnds(t *testing.T) {
	recv := newReceiver(t, 503)
	ctx, cancel := context.WithCancel(context.Background())
	d, _ := newDeliverer(t, func(c *webhook.Config) {
		c.Sleep = func(context.Context, time.Duration) error {
			cancel()
			return context.Canceled
		}
	})
	res, err := d.Deliver(ctx, recv.URL, "evt_1", "t", []byte(event))
	if res.Status != webhook.StatusFailed || res.Attempts != 1 || !messages.IsRetryable(err) {
		t.Fatalf("delivery = %+v, err = %v; want a retryable failure after 1 attempt", res, err)
	}
}

func TestNewDelivererChecksConfig(t *testing.T) {
	for name, cfg := range map[string]webhook.Config{
		"no secrets":      {},
		"bad secret":      {Secrets: []string{"whsec_@@"}},
		"bad allow entry": {Secrets: []string{secret}, Policy: safehttp.Policy{Allow: []string{"10.0.0.0/99"}}},
	} {
		if _, err := webhook.NewDeliverer(cfg); err == nil {
			t.Errorf("%s: NewDeliverer succeeded", name)
		}
	}
}

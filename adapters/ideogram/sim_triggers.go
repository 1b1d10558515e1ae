package ideogram

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

var triggerPattern = regexp.MustCompile(`(?i)\[sim:([^\]]*)\]`)

// triggers are the test instructions found in a prompt.
type triggers struct {
	unsafe      bool          // [sim:unsafe]: 422 safety rejection
	unsafeImage bool          // [sim:unsafe-image]: the last image is withheld
	timeout     bool          // [sim:timeout]: hang until the client gives up
	expiredURL  bool          // [sim:expired-url]: URLs already expired
	status      int           // [sim:503] or [sim:429x2]: answer this status
	statusTimes int           // ... only for the first statusTimes calls (0: always)
	reject      string        // reject_reason for status ([sim:402-daily]: daily_limit)
	retryAfter  string        // [sim:retry-after=3]: Retry-After value on 429/5xx
	latency     time.Duration // [sim:latency=300ms]: extra latency
}

func parseTriggers(prompt string) triggers {
	t := triggers{retryAfter: "0"}
	for _, m := range triggerPattern.FindAllStringSubmatch(prompt, -1) {
		tok := strings.ToLower(strings.TrimSpace(m[1]))
		switch {
		case tok == "unsafe":
			t.unsafe = true
		case tok == "unsafe-image":
			t.unsafeImage = true
		case tok == "timeout":
			t.timeout = true
		case tok == "expired-url":
			t.expiredURL = true
		case tok == "402-daily":
			t.status, t.reject = 402, rejectDailyLimit
		case strings.HasPrefix(tok, "retry-after="):
			t.retryAfter = strings.TrimPrefix(tok, "retry-after=")
		case strings.HasPrefix(tok, "latency="):
			t.latency, _ = time.ParseDuration(strings.TrimPrefix(tok, "latency="))
		default:
			code, times, _ := strings.Cut(tok, "x")
			if n, err := strconv.Atoi(code); err == nil && n >= 400 && n <= 599 {
				t.status = n
				t.statusTimes, _ = strconv.Atoi(times)
			}
		}
	}
	return t
}

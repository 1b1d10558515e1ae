package cdn

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// PurgeRecord is one purge call LocalCDN accepted.
type PurgeRecord struct {
	Files      []string
	Everything bool
}

// apiMessage and apiEnvelope are Cloudflare's v4 response shapes.
type apiMessage struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type apiEnvelope struct {
	Success  bool         `json:"success"`
	Errors   []apiMessage `json:"errors"`
	Messages []apiMessage `json:"messages"`
	Result   any          `json:"result"`
}

// purgeBody accepts both forms Cloudflare documents for files: a URL string,
// or {"url": ..., "headers": {...}} for cache keys that vary by header.
type purgeBody struct {
	Files           []purgeFile `json:"files"`
	PurgeEverything bool        `json:"purge_everything"`
	Tags            []string    `json:"tags"`
	Hosts           []string    `json:"hosts"`
	Prefixes        []string    `json:"prefixes"`
}

type purgeFile struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
}

func (f *purgeFile) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &f.URL)
	}
	type plain purgeFile
	return json.Unmarshal(b, (*plain)(f))
}

func writeAPI(w http.ResponseWriter, status int, env apiEnvelope) {
	if env.Errors == nil {
		env.Errors = []apiMessage{}
	}
	if env.Messages == nil {
		env.Messages = []apiMessage{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(env)
}

func writeAPIError(w http.ResponseWriter, status, code int, msg string) {
	writeAPI(w, status, apiEnvelope{Errors: []apiMessage{{code, msg}}})
}

func (l *LocalCDN) handlePurge(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+l.opts.APIToken {
		writeAPIError(w, http.StatusForbidden, 10000, "Authentication error")
		return
	}
	zone := r.PathValue("zone")
	if zone != l.opts.ZoneID {
		writeAPIError(w, http.StatusBadRequest, 7003,
			fmt.Sprintf("Could not route to /zones/%s/purge_cache, perhaps your object identifier is invalid?", zone))
		return
	}
	if status, ok := l.nextFault(); ok {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeAPIError(w, status, 10000+status, "fault injected by the local CDN")
		return
	}

	var body purgeBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeAPIError(w, http.StatusBadRequest, 1012, "Request must contain one of \"purge_everything\", \"files\", \"tags\", \"hosts\" or \"prefixes\": "+err.Error())
		return
	}
	// The codes below are this peer's choice; Cloudflare's texts differ.
	switch {
	case len(body.Tags)+len(body.Hosts)+len(body.Prefixes) > 0:
		writeAPIError(w, http.StatusBadRequest, 1012, "the local CDN purges by files or purge_everything only")
		return
	case body.PurgeEverything && len(body.Files) > 0:
		writeAPIError(w, http.StatusBadRequest, 1012, "purge_everything cannot be combined with files")
		return
	case !body.PurgeEverything && len(body.Files) == 0:
		writeAPIError(w, http.StatusBadRequest, 1012, "Request must contain one of \"purge_everything\", \"files\", \"tags\", \"hosts\" or \"prefixes\"")
		return
	case len(body.Files) > l.opts.MaxFilesPerPurge:
		writeAPIError(w, http.StatusBadRequest, 1015,
			"More than "+strconv.Itoa(l.opts.MaxFilesPerPurge)+" files in a purge request")
		return
	}

	rec := PurgeRecord{Everything: body.PurgeEverything}
	for _, f := range body.Files {
		if strings.TrimSpace(f.URL) == "" {
			writeAPIError(w, http.StatusBadRequest, 1012, "empty URL in files")
			return
		}
		rec.Files = append(rec.Files, f.URL)
	}
	l.evict(rec)
	writeAPI(w, http.StatusOK, apiEnvelope{Success: true, Result: map[string]string{"id": l.opts.ZoneID}})
}

func (l *LocalCDN) evict(rec PurgeRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.epoch++
	l.purges = append(l.purges, rec)
	if rec.Everything {
		clear(l.cache)
		return
	}
	for _, f := range rec.Files {
		if key, ok := cacheKeyOf(f); ok {
			delete(l.cache, key)
		}
	}
}

// FailNextPurges makes the next n purge calls (after authentication and
// zone checks) answer with HTTP status, to exercise retries. A 429 carries
// Retry-After: 1.
func (l *LocalCDN) FailNextPurges(n, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range n {
		l.faults = append(l.faults, status)
	}
}

func (l *LocalCDN) nextFault() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.faults) == 0 {
		return 0, false
	}
	status := l.faults[0]
	l.faults = l.faults[1:]
	return status, true
}

// PurgeRequests returns every accepted purge call, in order.
func (l *LocalCDN) PurgeRequests() []PurgeRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]PurgeRecord, len(l.purges))
	for i, p := range l.purges {
		out[i] = PurgeRecord{Files: append([]string(nil), p.Files...), Everything: p.Everything}
	}
	return out
}

// Purges returns every URL purged by file, in order, repeats included.
func (l *LocalCDN) Purges() []string {
	var out []string
	for _, p := range l.PurgeRequests() {
		out = append(out, p.Files...)
	}
	return out
}

// PurgeCount is how many times url was purged by file.
func (l *LocalCDN) PurgeCount(url string) int {
	n := 0
	for _, u := range l.Purges() {
		if u == url {
			n++
		}
	}
	return n
}

package ideogram

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ideobus/ideobus/messages"
)

// Error texts the simulator answers with, worded like the real API's.
const (
	msgUnauthorized = "Unauthorized: missing or invalid Api-Key header"
	msgSafety       = "Prompt or provided image failed the safety checks"
	msgRateLimited  = "Too many requests: the number of in-flight requests exceeds your limit"
	msgServerError  = "Internal server error"
	msgUnavailable  = "Service temporarily unavailable"
	magicSuffix     = ", cinematic lighting, highly detailed, shallow depth of field"
	maxRequestBytes = 1 << 20
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

func (s *Simulator) handleGenerate(w http.ResponseWriter, r *http.Request) {
	s.count(RouteGenerate)
	if s.opts.APIKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Api-Key")), []byte(s.opts.APIKey)) != 1 {
		writeAPIError(w, http.StatusUnauthorized, apiError{Error: msgUnauthorized})
		return
	}
	var body apiRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err := dec.Decode(&body); err != nil {
		writeAPIError(w, http.StatusBadRequest, apiError{Error: "Invalid request body: " + err.Error()})
		return
	}
	req := body.ImageRequest
	if problems := validateImageRequest(req); len(problems) > 0 {
		writeAPIError(w, http.StatusBadRequest, apiError{Error: "Invalid input: " + strings.Join(problems, "; ")})
		return
	}

	trig := parseTriggers(req.Prompt)
	s.mu.Lock()
	s.promptCalls[req.Prompt]++
	nth := s.promptCalls[req.Prompt]
	random429 := s.opts.FaultRate429 > 0 && s.rng.Float64() < s.opts.FaultRate429
	random5xx := s.opts.FaultRate5xx > 0 && s.rng.Float64() < s.opts.FaultRate5xx
	s.mu.Unlock()

	if !s.wait(r.Context(), s.opts.Latency+trig.latency) {
		s.interrupted(w, r)
		return
	}
	switch {
	case trig.timeout:
		// Hang like an overloaded upstream: the client's deadline decides.
		if s.wait(r.Context(), s.opts.MaxHang) {
			writeAPIError(w, http.StatusGatewayTimeout, apiError{Error: "Generation timed out"})
		} else {
			s.interrupted(w, r)
		}
		return
	case trig.status != 0 && (trig.statusTimes == 0 || nth <= trig.statusTimes):
		writeStatus(w, trig.status, trig.retryAfter)
		return
	case random429:
		writeStatus(w, http.StatusTooManyRequests, "0")
		return
	case random5xx:
		writeStatus(w, http.StatusServiceUnavailable, "0")
		return
	case trig.unsafe:
		writeAPIError(w, http.StatusUnprocessableEntity, apiError{Error: msgSafety})
		return
	}
	resp := s.generate(r, req, trig)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// generate builds the answer: one entry per image, each with its own seed
// and a signed URL to its rendering.
func (s *Simulator) generate(r *http.Request, req apiImageRequest, trig triggers) apiResponse {
	n := 1
	if req.NumImages != nil {
		n = *req.NumImages
	}
	// Without a seed the API picks one; picking it from the prompt keeps the
	// simulator deterministic.
	seed := int64(hashString(req.Prompt) % (messages.MaxSeed + 1))
	if req.Seed != nil {
		seed = *req.Seed
	}
	width, height := messages.GenerationRequest{AspectRatio: req.AspectRatio, Resolution: req.Resolution}.OutputSize()
	prompt := req.Prompt
	if req.MagicPromptOption == "ON" {
		prompt += magicSuffix
	}
	style := req.StyleType
	if style == "" {
		style = "AUTO"
	}
	now := s.opts.Now()
	exp := now.Add(s.opts.URLTTL)
	if trig.expiredURL {
		exp = now.Add(-time.Minute)
	}
	base := s.publicBase(r)
	resp := apiResponse{Created: now.UTC().Format(time.RFC3339Nano), Data: make([]apiImage, n)}
	for i := range n {
		// Each image gets its own seed, so that re-running with a returned
		// seed reproduces that image, as with the real API.
		imgSeed := (seed + int64(i)) % (messages.MaxSeed + 1)
		item := apiImage{
			Prompt:      prompt,
			Resolution:  fmt.Sprintf("%dx%d", width, height),
			IsImageSafe: !(trig.unsafeImage && i == n-1),
			Seed:        imgSeed,
			StyleType:   style,
		}
		if item.IsImageSafe {
			item.URL = s.imageURL(base, imageSpec{prompt: req.Prompt, seed: imgSeed, w: width, h: height}, exp)
		}
		resp.Data[i] = item
	}
	return resp
}

// interrupted answers a call cut short by Close; one cut short by its
// client has nobody left to answer.
func (s *Simulator) interrupted(w http.ResponseWriter, r *http.Request) {
	if r.Context().Err() == nil {
		writeStatus(w, http.StatusServiceUnavailable, "none")
	}
}

// writeStatus answers with the error body the API sends for status.
func writeStatus(w http.ResponseWriter, status int, retryAfter string) {
	body := apiError{Error: http.StatusText(status)}
	switch {
	case status == http.StatusUnauthorized:
		body.Error = msgUnauthorized
	case status == http.StatusPaymentRequired:
		body = apiError{Error: "Insufficient funds: add credits to continue", RejectReason: "insufficient_funds"}
	case status == http.StatusForbidden:
		body.Error = "Your organization does not have access to this endpoint"
	case status == http.StatusUnprocessableEntity:
		body.Error = msgSafety
	case status == http.StatusTooManyRequests:
		body.Error = msgRateLimited
	case status == http.StatusServiceUnavailable:
		body.Error = msgUnavailable
	case status >= 500:
		body.Error = msgServerError
	}
	if (status == http.StatusTooManyRequests || status >= 500) && retryAfter != "none" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeAPIError(w, status, body)
}

func writeAPIError(w http.ResponseWriter, status int, body apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// validateImageRequest applies the API's documented input rules and lists
// every problem, as a 400 would.
func validateImageRequest(r apiImageRequest) []string {
	var p []string
	enum := func(field, v string, allowed []string) {
		if v != "" && !isOneOf(v, allowed) {
			p = append(p, fmt.Sprintf("%s: %q is not one of %s", field, v, strings.Join(allowed, ", ")))
		}
	}
	if strings.TrimSpace(r.Prompt) == "" {
		p = append(p, "prompt: field required")
	} else if len(r.Prompt) > messages.MaxPromptBytes {
		p = append(p, "prompt: too long")
	}
	if len(r.NegativePrompt) > messages.MaxPromptBytes {
		p = append(p, "negative_prompt: too long")
	}
	enum("model", r.Model, messages.Models)
	enum("aspect_ratio", r.AspectRatio, messages.AspectRatioSet)
	enum("magic_prompt_option", r.MagicPromptOption, messages.MagicPrompts)
	enum("style_type", r.StyleType, messages.StyleTypes)
	if r.StyleType != "" && strings.HasPrefix(r.Model, "V_1") {
		p = append(p, "style_type: not supported by model "+r.Model)
	}
	if _, ok := messages.Resolutions[r.Resolution]; r.Resolution != "" && !ok {
		p = append(p, fmt.Sprintf("resolution: %q is not a supported resolution", r.Resolution))
	}
	if r.Resolution != "" && r.AspectRatio != "" {
		p = append(p, "resolution: cannot be used together with aspect_ratio")
	}
	if r.Seed != nil && (*r.Seed < 0 || *r.Seed > messages.MaxSeed) {
		p = append(p, fmt.Sprintf("seed: must be between 0 and %d", messages.MaxSeed))
	}
	if r.NumImages != nil && (*r.NumImages < 1 || *r.NumImages > messages.MaxNumImages) {
		p = append(p, fmt.Sprintf("num_images: must be between 1 and %d", messages.MaxNumImages))
	}
	if c := r.ColorPalette; c != nil {
		switch {
		case c.Name != "" && len(c.Members) > 0:
			p = append(p, "color_palette: give either name or members")
		case c.Name == "" && len(c.Members) == 0:
			p = append(p, "color_palette: needs name or members")
		}
		enum("color_palette.name", c.Name, messages.PaletteNames)
		for i, m := range c.Members {
			if !hexColor.MatchString(m.ColorHex) {
				p = append(p, fmt.Sprintf("color_palette.members[%d].color_hex: must be #RRGGBB", i))
			}
		}
	}
	return p
}

var hexColor = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

func isOneOf(v string, list []string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

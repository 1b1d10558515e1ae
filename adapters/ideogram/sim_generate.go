package ideogram

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ideobus/ideobus/messages"
)

// Error texts the simulator answers with, worded like the real API's.
const (
	msgUnauthorized = "Unauthorized: missing or invalid Api-Key header"
	msgSafety       = "Prompt or provided image failed the safety checks"
	msgRateLimited  = "Too many requests: the number of in-flight images exceeds your limit"
	msgServerError  = "Internal server error"
	msgUnavailable  = "Service temporarily unavailable"
	msgNoFunds      = "Insufficient funds: add credits to continue"
	msgDailyLimit   = "Daily spending limit reached for your organization"
	magicSuffix     = ", cinematic lighting, highly detailed, shallow depth of field"
	maxRequestBytes = 1 << 20
)

// serve answers one API route. Every route runs the same steps, in the
// order the real API applies them: authentication, request parsing and
// validation (400), the in-flight limit (429), then the render's latency,
// then the prompt's test triggers and random faults, then the images.
func (s *Simulator) serve(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(rt.name)
		if s.opts.APIKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Api-Key")), []byte(s.opts.APIKey)) != 1 {
			writeAPIError(w, http.StatusUnauthorized, apiError{Error: msgUnauthorized})
			return
		}
		q, problems := s.parse(rt, w, r)
		if len(problems) == 0 {
			problems = validate(rt, q)
		}
		if len(problems) > 0 {
			writeAPIError(w, http.StatusBadRequest, apiError{Error: "Invalid input: " + strings.Join(problems, "; ")})
			return
		}

		trig := parseTriggers(q.prompt)
		s.mu.Lock()
		s.promptCalls[q.prompt]++
		nth := s.promptCalls[q.prompt]
		random429 := s.opts.FaultRate429 > 0 && s.rng.Float64() < s.opts.FaultRate429
		random5xx := s.opts.FaultRate5xx > 0 && s.rng.Float64() < s.opts.FaultRate5xx
		latency := s.latency()
		s.mu.Unlock()

		n := q.images()
		if !s.acquire(n) {
			// Documented without a Retry-After: the client backs off.
			writeStatus(w, http.StatusTooManyRequests, "none", "")
			return
		}
		defer s.release(n)

		if !s.wait(r.Context(), latency+trig.latency) {
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
			writeStatus(w, trig.status, trig.retryAfter, trig.reject)
			return
		case random429:
			writeStatus(w, http.StatusTooManyRequests, "0", "")
			return
		case random5xx:
			writeStatus(w, http.StatusServiceUnavailable, "0", "")
			return
		case trig.unsafe:
			writeAPIError(w, http.StatusUnprocessableEntity, apiError{Error: msgSafety})
			return
		}
		resp := s.respond(r, rt, q, trig)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}
}

// respond builds the answer: one entry per image, each with its own seed
// and a signed URL to its rendering.
func (s *Simulator) respond(r *http.Request, rt route, q simRequest, trig triggers) apiResponse {
	n := q.images()
	// Without a seed the API picks one; picking it from the prompt keeps the
	// simulator deterministic.
	seed := int64(hashString(q.prompt) % (messages.MaxSeed + 1))
	if q.seed != nil {
		seed = *q.seed
	}
	prompt := q.prompt
	if q.magic == "ON" {
		prompt += magicSuffix
	}
	style := q.styleType
	if style == "" {
		style = "AUTO"
	}
	now := s.opts.Now()
	exp := now.Add(s.opts.URLTTL)
	if trig.expiredURL {
		exp = now.Add(-time.Minute)
	}
	spec := imageSpec{op: rt.op, prompt: q.prompt}
	spec.w, spec.h = outputSize(rt, q)
	if rt.op == messages.OperationRemix {
		spec.weight = defaultImageWeight
		if q.imageWeight != nil {
			spec.weight = *q.imageWeight
		}
	}
	if q.image != nil {
		q.image.expires = exp
		spec.source = s.keepUpload(q.image)
	}
	if q.mask != nil {
		q.mask.expires = exp
		spec.mask = s.keepUpload(q.mask)
	}
	base := s.publicBase(r)
	resp := apiResponse{Created: now.UTC().Format(time.RFC3339Nano), Data: make([]apiImage, n)}
	for i := range n {
		// Each image gets its own seed, so that re-running with a returned
		// seed reproduces that image, as with the real API.
		sp := spec
		sp.seed = (seed + int64(i)) % (messages.MaxSeed + 1)
		item := apiImage{
			Prompt:      prompt,
			Resolution:  fmt.Sprintf("%dx%d", sp.w, sp.h),
			IsImageSafe: !(trig.unsafeImage && i == n-1),
			Seed:        sp.seed,
			StyleType:   style,
		}
		if item.IsImageSafe {
			item.URL = s.imageURL(base, sp, exp)
		}
		resp.Data[i] = item
	}
	return resp
}

// outputSize is the size a validated request renders at: edit keeps the
// source's size, upscale doubles it, the others follow resolution or
// aspect ratio (1024x1024 by default).
func outputSize(rt route, q simRequest) (int, int) {
	switch rt.op {
	case messages.OperationEdit:
		return q.image.w, q.image.h
	case messages.OperationUpscale:
		return upscaleSize(q.image.w, q.image.h)
	}
	if wh, ok := q.resolutionSize(); ok {
		return wh[0], wh[1]
	}
	if wh, ok := q.aspectSize(); ok {
		return wh[0], wh[1]
	}
	return 1024, 1024
}

// interrupted answers a call cut short by Close; one cut short by its
// client has nobody left to answer.
func (s *Simulator) interrupted(w http.ResponseWriter, r *http.Request) {
	if r.Context().Err() == nil {
		writeStatus(w, http.StatusServiceUnavailable, "none", "")
	}
}

// writeStatus answers with the error body the API sends for status.
// reject overrides the default reject_reason of 402 (insufficient_funds)
// and 429 (inflight_limit).
func writeStatus(w http.ResponseWriter, status int, retryAfter, reject string) {
	body := apiError{Error: http.StatusText(status)}
	switch {
	case status == http.StatusUnauthorized:
		body.Error = msgUnauthorized
	case status == http.StatusPaymentRequired && reject == rejectDailyLimit:
		body = apiError{Error: msgDailyLimit, RejectReason: rejectDailyLimit}
	case status == http.StatusPaymentRequired:
		body = apiError{Error: msgNoFunds, RejectReason: rejectInsufficientFunds}
	case status == http.StatusForbidden:
		body.Error = "Your organization does not have access to this endpoint"
	case status == http.StatusUnprocessableEntity:
		body.Error = msgSafety
	case status == http.StatusTooManyRequests:
		body = apiError{Error: msgRateLimited, RejectReason: rejectInflightLimit}
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

package ideogram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// imageSpec is everything needed to render an image again.
type imageSpec struct {
	prompt string
	seed   int64
	w, h   int
	// expires is the latest expiry of any URL handed out for it, after
	// which the spec may be forgotten.
	expires time.Time
}

// id names a rendering; equal specs share it and thus the render cache.
func (sp imageSpec) id() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d|%d|%d|%s", sp.seed, sp.w, sp.h, sp.prompt))
	return hex.EncodeToString(sum[:12])
}

// maxImageSpecs bounds the remembered specs before expired ones are pruned.
const maxImageSpecs = 4096

// imageURL registers sp and returns a URL for it signed until exp, in the
// shape of Ideogram's ephemeral links.
func (s *Simulator) imageURL(base string, sp imageSpec, exp time.Time) string {
	id := sp.id()
	s.mu.Lock()
	if old, ok := s.images[id]; !ok || old.expires.Before(exp) {
		sp.expires = exp
		s.images[id] = sp
	}
	if len(s.images) > maxImageSpecs {
		now := s.opts.Now()
		for k, v := range s.images {
			if v.expires.Before(now) {
				delete(s.images, k)
			}
		}
	}
	s.mu.Unlock()
	e := strconv.FormatInt(exp.Unix(), 10)
	return fmt.Sprintf("%s/images/ephemeral/%s.png?exp=%s&sig=%s", base, id, e, s.sign(id, e))
}

func (s *Simulator) sign(id, exp string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id + "." + exp))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// handleImage serves a rendering if its signature is good and not expired.
// Like a signed storage URL, a bad or expired signature is 403.
func (s *Simulator) handleImage(w http.ResponseWriter, r *http.Request) {
	s.count(RouteImage)
	id, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	exp := r.URL.Query().Get("exp")
	sig := r.URL.Query().Get("sig")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(id, exp))) {
		http.Error(w, "Forbidden: invalid signature", http.StatusForbidden)
		return
	}
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	now := s.opts.Now()
	if err != nil || now.Unix() >= expUnix {
		http.Error(w, "Forbidden: request has expired", http.StatusForbidden)
		return
	}
	s.mu.Lock()
	sp, found := s.images[id]
	s.mu.Unlock()
	if !found {
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	data := s.renders.get(id, func() []byte { return renderPNG(sp.prompt, sp.seed, sp.w, sp.h) })
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", expUnix-now.Unix()))
	w.Write(data)
}

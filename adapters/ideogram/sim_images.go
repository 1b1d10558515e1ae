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
	op     string // the operation; generate renders from the prompt alone
	prompt string
	seed   int64
	w, h   int
	// source and mask key the uploads an edit, remix, upscale or reframe
	// result is derived from; weight is remix's image_weight.
	source, mask string
	weight       int
	// expires is the latest expiry of any URL handed out for it, after
	// which the spec may be forgotten.
	expires time.Time
}

// id names a rendering; equal specs share it and thus the render cache.
func (sp imageSpec) id() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d|%d|%s|%s|%d|%s", sp.op, sp.seed, sp.w, sp.h, sp.source, sp.mask, sp.weight, sp.prompt))
	return hex.EncodeToString(sum[:12])
}

// render draws the image sp describes. A derived image whose upload has
// been forgotten cannot be drawn again, like an expired object.
func (s *Simulator) render(sp imageSpec) ([]byte, bool) {
	if sp.source == "" {
		return renderPNG(sp.prompt, sp.seed, sp.w, sp.h), true
	}
	s.mu.Lock()
	src, mask := s.uploads[sp.source], s.uploads[sp.mask]
	s.mu.Unlock()
	if src == nil || (sp.mask != "" && mask == nil) {
		return nil, false
	}
	var maskData []byte
	if mask != nil {
		maskData = mask.data
	}
	img, err := deriveImage(sp, src.data, maskData)
	if err != nil {
		return nil, false
	}
	return encodePNG(img), true
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
	for _, key := range []string{sp.source, sp.mask} {
		if u := s.uploads[key]; u != nil && u.expires.Before(exp) {
			u.expires = exp
		}
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
	data := s.renders.get(id, func() []byte {
		data, _ := s.render(sp)
		return data
	})
	if data == nil {
		s.renders.forget(id)
		http.Error(w, "Not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", expUnix-now.Unix()))
	w.Write(data)
}

// storedUpload is an uploaded source image or mask, kept while URLs of
// images derived from it are valid.
type storedUpload struct {
	data    []byte
	w, h    int
	expires time.Time
}

// maxUploads bounds the uploads kept (up to MaxUploadBytes each); past it
// expired ones go first, then the oldest.
const maxUploads = 64

// keepUpload stores an upload under the hash of its bytes and returns the
// key. Its expiry is extended by imageURL as results refer to it.
func (s *Simulator) keepUpload(u *storedUpload) string {
	sum := sha256.Sum256(u.data)
	key := hex.EncodeToString(sum[:12])
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.uploads[key]; ok {
		return key
	}
	if len(s.uploads) >= maxUploads {
		now := s.opts.Now()
		oldest := ""
		for k, v := range s.uploads {
			if v.expires.Before(now) {
				delete(s.uploads, k)
			} else if oldest == "" || v.expires.Before(s.uploads[oldest].expires) {
				oldest = k
			}
		}
		if len(s.uploads) >= maxUploads {
			delete(s.uploads, oldest)
		}
	}
	s.uploads[key] = u
	return key
}

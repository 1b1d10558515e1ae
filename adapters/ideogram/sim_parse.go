package ideogram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/ideobus/ideobus/messages"
)

// simRequest is one API call as the simulator understands it, whatever
// route and encoding it came by. Values are kept as sent; v3 says whether
// aspect_ratio and resolution are in the V3 form (16x9, 1024x1024).
type simRequest struct {
	v3                                                  bool
	prompt, negativePrompt, model, magic, styleType     string
	aspectRatio, resolution                             string
	seed                                                *int64
	numImages, imageWeight, resemblance, detail         *int
	palette                                             *messages.ColorPalette
	renderingSpeed, stylePreset                         string
	styleCodes                                          []string
	image, mask                                         *storedUpload
	hasImageRequest, hasModel, hasPrompt, hasResolution bool
}

func (q simRequest) images() int {
	if q.numImages == nil {
		return 1
	}
	return *q.numImages
}

// maxFormOverhead is what a multipart body may carry besides its files.
const maxFormOverhead = 1 << 20

// parse reads a request of route rt. Problems are reported the way the API
// words its 400s: field first.
func (s *Simulator) parse(rt route, w http.ResponseWriter, r *http.Request) (simRequest, []string) {
	q := simRequest{v3: rt.v3}
	if rt.name == RouteGenerate {
		var body apiRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes))
		if err := dec.Decode(&body); err != nil {
			return q, []string{"Invalid request body: " + err.Error()}
		}
		q.fromLegacy(body.ImageRequest)
		return q, nil
	}
	files := 1
	if rt.mask != "" {
		files = 2
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(files)*s.opts.MaxUploadBytes+maxFormOverhead)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return q, []string{"Invalid multipart/form-data body: " + err.Error()}
	}
	defer r.MultipartForm.RemoveAll()
	f := &formReader{form: r.MultipartForm, maxBytes: s.opts.MaxUploadBytes}
	switch rt.name {
	case RouteRemix:
		var ir apiRemixRequest
		if q.hasImageRequest = f.json("image_request", &ir); q.hasImageRequest {
			q.fromLegacy(ir.apiImageRequest)
			q.imageWeight = ir.ImageWeight
		}
	case RouteUpscale:
		var ir apiUpscaleRequest
		if q.hasImageRequest = f.json("image_request", &ir); q.hasImageRequest {
			q.prompt, q.magic, q.seed, q.numImages = ir.Prompt, ir.MagicPromptOption, ir.Seed, ir.NumImages
			q.resemblance, q.detail = ir.Resemblance, ir.Detail
			q.hasPrompt = ir.Prompt != ""
		}
	default:
		q.prompt, q.hasPrompt = f.str("prompt"), f.has("prompt")
		q.model, q.hasModel = f.str("model"), f.has("model")
		q.resolution, q.hasResolution = f.str("resolution"), f.has("resolution")
		q.aspectRatio = f.str("aspect_ratio")
		q.negativePrompt = f.str("negative_prompt")
		q.styleType = f.str("style_type")
		q.magic = f.str("magic_prompt")
		if !rt.v3 {
			q.magic = f.str("magic_prompt_option")
		}
		q.seed = f.int64("seed")
		q.numImages = f.int("num_images")
		q.imageWeight = f.int("image_weight")
		q.renderingSpeed = f.str("rendering_speed")
		q.stylePreset = f.str("style_preset")
		q.styleCodes = f.form.Value["style_codes"]
		if f.has("color_palette") {
			q.palette = &messages.ColorPalette{}
			f.json("color_palette", q.palette)
		}
	}
	q.image = f.upload(rt.image)
	if rt.mask != "" {
		q.mask = f.upload(rt.mask)
	}
	return q, f.problems
}

func (q *simRequest) fromLegacy(ir apiImageRequest) {
	q.prompt, q.hasPrompt = ir.Prompt, ir.Prompt != ""
	q.model, q.hasModel = ir.Model, ir.Model != ""
	q.aspectRatio, q.resolution, q.hasResolution = ir.AspectRatio, ir.Resolution, ir.Resolution != ""
	q.magic, q.seed, q.styleType = ir.MagicPromptOption, ir.Seed, ir.StyleType
	q.negativePrompt, q.numImages, q.palette = ir.NegativePrompt, ir.NumImages, ir.ColorPalette
}

// formReader reads typed fields from a multipart form, collecting problems.
type formReader struct {
	form     *multipart.Form
	maxBytes int64
	problems []string
}

func (f *formReader) has(name string) bool { return len(f.form.Value[name]) > 0 }

func (f *formReader) str(name string) string {
	if v := f.form.Value[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (f *formReader) int(name string) *int {
	v := f.int64(name)
	if v == nil {
		return nil
	}
	n := int(*v)
	return &n
}

func (f *formReader) int64(name string) *int64 {
	if !f.has(name) {
		return nil
	}
	n, err := strconv.ParseInt(f.str(name), 10, 64)
	if err != nil {
		f.problems = append(f.problems, name+": must be an integer")
		return nil
	}
	return &n
}

// json decodes a field holding a JSON document; false when it is absent
// or unreadable (a problem is recorded for the latter).
func (f *formReader) json(name string, v any) bool {
	if !f.has(name) {
		return false
	}
	if err := json.Unmarshal([]byte(f.str(name)), v); err != nil {
		f.problems = append(f.problems, fmt.Sprintf("%s: invalid JSON: %v", name, err))
		return false
	}
	return true
}

// upload reads a file part, refusing what the API refuses: files over the
// size limit, and anything but a decodable JPEG, PNG or WebP. The type is
// judged from the bytes, not the part's declared Content-Type.
func (f *formReader) upload(name string) *storedUpload {
	fhs := f.form.File[name]
	if len(fhs) == 0 {
		return nil
	}
	fh := fhs[0]
	if fh.Size > f.maxBytes {
		f.problems = append(f.problems, fmt.Sprintf("%s: file is %d bytes, at most %d allowed", name, fh.Size, f.maxBytes))
		return nil
	}
	file, err := fh.Open()
	if err != nil {
		f.problems = append(f.problems, name+": unreadable file")
		return nil
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, f.maxBytes+1))
	if err != nil || int64(len(data)) > f.maxBytes {
		f.problems = append(f.problems, name+": unreadable or too large file")
		return nil
	}
	if ct, ok := uploadType(data); !ok {
		f.problems = append(f.problems, fmt.Sprintf("%s: unsupported image format %s; only JPEG, WebP and PNG formats are supported", name, ct))
		return nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		f.problems = append(f.problems, name+": the file is not a readable image")
		return nil
	}
	if cfg.Width*cfg.Height > maxUploadPixels {
		f.problems = append(f.problems, fmt.Sprintf("%s: %dx%d exceeds %d megapixels", name, cfg.Width, cfg.Height, maxUploadPixels/1_000_000))
		return nil
	}
	return &storedUpload{data: data, w: cfg.Width, h: cfg.Height}
}

// maxUploadPixels bounds the images the simulator decodes: a 10 MB file
// can hold a bomb of a billion pixels.
const maxUploadPixels = 16_000_000

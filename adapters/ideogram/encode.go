package ideogram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// MaxUploadBytes is the largest image or mask the client uploads and the
// simulator accepts (10 MB, as Ideogram documents for its image endpoints).
const MaxUploadBytes = 10 << 20

// uploadExt maps the image types the API accepts to file name extensions.
var uploadExt = map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}

// uploadType sniffs an upload's type from its bytes: a declared content
// type may be wrong, and the API judges the bytes.
func uploadType(data []byte) (string, bool) {
	ct := http.DetectContentType(data)
	_, ok := uploadExt[ct]
	return ct, ok
}

// checkUpload refuses an input the API would refuse, so that the refusal
// costs no call. field is the request field the input came from.
func checkUpload(field string, b *handlers.Blob) *messages.Error {
	if b == nil || len(b.Data) == 0 {
		return fieldError(messages.CodeInvalidRequest, field, "is required for this operation")
	}
	if len(b.Data) > MaxUploadBytes {
		return fieldError(messages.CodeImageTooLarge, field, fmt.Sprintf("is %d bytes, the API accepts at most %d", len(b.Data), MaxUploadBytes))
	}
	if ct, ok := uploadType(b.Data); !ok {
		return fieldError(messages.CodeInvalidImage, field, fmt.Sprintf("is %s, the API accepts only JPEG, PNG or WebP", ct))
	}
	return nil
}

func fieldError(code messages.Code, field, msg string) *messages.Error {
	return &messages.Error{Code: code, Message: field + ": " + msg, Fields: []messages.FieldError{{Field: field, Message: msg}}}
}

// legacyImageRequest maps the request onto the legacy image_request. The
// model is always explicit: the API's default may change, and the model
// decides the price.
func legacyImageRequest(req messages.GenerationRequest) apiImageRequest {
	return apiImageRequest{
		Prompt:            req.Prompt,
		Model:             req.EffectiveModel(),
		AspectRatio:       req.AspectRatio,
		Resolution:        req.Resolution,
		MagicPromptOption: req.MagicPrompt,
		Seed:              req.Seed,
		StyleType:         req.StyleType,
		NegativePrompt:    req.NegativePrompt,
		NumImages:         req.NumImages,
		ColorPalette:      req.ColorPalette,
	}
}

func encodeGenerate(req messages.GenerationRequest, _ handlers.Inputs) ([]byte, string, error) {
	body, err := json.Marshal(apiRequest{ImageRequest: legacyImageRequest(req)})
	return body, "application/json", err
}

func encodeGenerateV3(req messages.GenerationRequest, _ handlers.Inputs) ([]byte, string, error) {
	f := newForm()
	f.field("prompt", req.Prompt)
	v3Generation(f, req)
	return f.finish()
}

func encodeEdit(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	f := newForm()
	f.file("image_file", in.Image)
	f.file("mask", in.Mask)
	f.field("prompt", req.Prompt)
	f.field("model", req.EffectiveModel())
	f.field("magic_prompt_option", req.MagicPrompt)
	f.int("num_images", req.NumImages)
	f.int64("seed", req.Seed)
	f.field("style_type", req.StyleType)
	return f.finish()
}

func encodeEditV3(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	f := newForm()
	f.file("image", in.Image)
	f.file("mask", in.Mask)
	f.field("prompt", req.Prompt)
	f.field("magic_prompt", req.MagicPrompt)
	f.int("num_images", req.NumImages)
	f.int64("seed", req.Seed)
	f.field("style_type", req.StyleType)
	v3Styling(f, req)
	return f.finish()
}

func encodeRemix(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	f := newForm()
	f.json("image_request", apiRemixRequest{apiImageRequest: legacyImageRequest(req), ImageWeight: req.ImageWeight})
	f.file("image_file", in.Image)
	return f.finish()
}

func encodeRemixV3(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	f := newForm()
	f.file("image", in.Image)
	f.field("prompt", req.Prompt)
	f.int("image_weight", req.ImageWeight)
	v3Generation(f, req)
	return f.finish()
}

func encodeUpscale(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	f := newForm()
	f.json("image_request", apiUpscaleRequest{
		Prompt:            req.Prompt,
		Resemblance:       req.Resemblance,
		Detail:            req.Detail,
		MagicPromptOption: req.MagicPrompt,
		NumImages:         req.NumImages,
		Seed:              req.Seed,
	})
	f.file("image_file", in.Image)
	return f.finish()
}

func encodeReframe(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	res, err := reframeResolution(req)
	if err != nil {
		return nil, "", err
	}
	f := newForm()
	f.file("image_file", in.Image)
	f.field("resolution", res)
	f.field("model", req.EffectiveModel())
	f.int("num_images", req.NumImages)
	f.int64("seed", req.Seed)
	f.field("style_type", req.StyleType)
	return f.finish()
}

func encodeReframeV3(req messages.GenerationRequest, in handlers.Inputs) ([]byte, string, error) {
	res, err := reframeResolution(req)
	if err != nil {
		return nil, "", err
	}
	f := newForm()
	f.file("image", in.Image)
	f.field("resolution", v3Resolution(res))
	f.int("num_images", req.NumImages)
	f.int64("seed", req.Seed)
	v3Styling(f, req)
	return f.finish()
}

// v3Generation writes the fields V3 generate and remix share.
func v3Generation(f *form, req messages.GenerationRequest) {
	f.int64("seed", req.Seed)
	if req.Resolution != "" {
		f.field("resolution", v3Resolution(req.Resolution))
	}
	if req.AspectRatio != "" {
		f.field("aspect_ratio", v3AspectRatio(req.AspectRatio))
	}
	f.field("magic_prompt", req.MagicPrompt)
	f.field("negative_prompt", req.NegativePrompt)
	f.int("num_images", req.NumImages)
	f.field("style_type", req.StyleType)
	v3Styling(f, req)
}

// v3Styling writes the V3-only style controls and the palette.
func v3Styling(f *form, req messages.GenerationRequest) {
	f.field("rendering_speed", req.RenderingSpeed)
	f.field("style_preset", req.StylePreset)
	// A list travels as the same field repeated, as form encoders do.
	for _, c := range req.StyleCodes {
		f.field("style_codes", c)
	}
	if req.ColorPalette != nil {
		f.json("color_palette", req.ColorPalette)
	}
}

// form builds a multipart/form-data body once; the client replays the
// bytes on every attempt.
type form struct {
	buf bytes.Buffer
	w   *multipart.Writer
	err error
}

func newForm() *form {
	f := &form{}
	f.w = multipart.NewWriter(&f.buf)
	return f
}

// field writes a text field; empty values are left out like unset options.
func (f *form) field(name, value string) {
	if value == "" || f.err != nil {
		return
	}
	f.err = f.w.WriteField(name, value)
}

func (f *form) int(name string, v *int) {
	if v != nil {
		f.field(name, strconv.Itoa(*v))
	}
}

func (f *form) int64(name string, v *int64) {
	if v != nil {
		f.field(name, strconv.FormatInt(*v, 10))
	}
}

// json writes a field whose value is a JSON document (image_request,
// color_palette).
func (f *form) json(name string, v any) {
	if f.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		f.err = err
		return
	}
	f.field(name, string(b))
}

// file writes a file part with its sniffed content type, which the API
// checks, and a file name with the matching extension.
func (f *form) file(name string, b *handlers.Blob) {
	if f.err != nil || b == nil {
		return
	}
	ct, _ := uploadType(b.Data)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition(name, name+"."+uploadExt[ct]))
	h.Set("Content-Type", ct)
	w, err := f.w.CreatePart(h)
	if err == nil {
		_, err = w.Write(b.Data)
	}
	f.err = err
}

func (f *form) finish() ([]byte, string, error) {
	if f.err != nil {
		return nil, "", f.err
	}
	if err := f.w.Close(); err != nil {
		return nil, "", err
	}
	return f.buf.Bytes(), f.w.FormDataContentType(), nil
}

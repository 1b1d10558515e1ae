package ideogram

import (
	"fmt"
	"strings"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// Route names: the request's operation and model pick one. They name the
// retries in RetryEvent.Op and the simulator's counters (Simulator.Calls).
const (
	RouteGenerate   = "generate"    // POST /generate, JSON image_request (V_1 … V_2A_TURBO)
	RouteGenerateV3 = "generate_v3" // POST /v1/ideogram-v3/generate, multipart
	RouteEdit       = "edit"        // POST /edit, multipart image_file + mask
	RouteEditV3     = "edit_v3"     // POST /v1/ideogram-v3/edit, multipart image + mask
	RouteRemix      = "remix"       // POST /remix, multipart image_request JSON + image_file
	RouteRemixV3    = "remix_v3"    // POST /v1/ideogram-v3/remix, multipart image
	RouteUpscale    = "upscale"     // POST /upscale, multipart image_request JSON + image_file (any model)
	RouteReframe    = "reframe"     // POST /reframe, multipart image_file
	RouteReframeV3  = "reframe_v3"  // POST /v1/ideogram-v3/reframe, multipart image
	RouteImage      = "image"       // GET /images/ephemeral/{id}.png (simulator only)
)

// modelV3 is the model served by the /v1/ideogram-v3/ endpoints. Those
// endpoints take no model field: the path is the model.
const modelV3 = "V_3"

// route is how one operation on one model family reaches the API. Routes
// differ in path and body encoding, but all answer with the same image list.
type route struct {
	name, path, op string
	v3             bool
	// carries lists the optional request fields the route sends. A request
	// setting any other field is refused before the call: silently dropping
	// it would bill for an image the caller did not ask for.
	carries field
	// image and mask name the multipart file parts; "" when not sent.
	image, mask string
	encode      func(messages.GenerationRequest, handlers.Inputs) ([]byte, string, error)
}

// Fields the legacy JSON image_request and the V3 forms have in common.
const (
	legacyGenerateFields = fNegativePrompt | fStyleType | fAspectRatio | fResolution | fMagicPrompt | fSeed | fNumImages | fColorPalette
	v3StyleFields        = fRenderingSpeed | fStylePreset | fStyleCodes
)

var routeTable = []route{
	{name: RouteGenerate, path: "/generate", op: messages.OperationGenerate,
		carries: legacyGenerateFields, encode: encodeGenerate},
	{name: RouteGenerateV3, path: "/v1/ideogram-v3/generate", op: messages.OperationGenerate, v3: true,
		carries: legacyGenerateFields | v3StyleFields, encode: encodeGenerateV3},
	{name: RouteEdit, path: "/edit", op: messages.OperationEdit, image: "image_file", mask: "mask",
		carries: fMagicPrompt | fSeed | fNumImages | fStyleType, encode: encodeEdit},
	{name: RouteEditV3, path: "/v1/ideogram-v3/edit", op: messages.OperationEdit, v3: true, image: "image", mask: "mask",
		carries: fMagicPrompt | fSeed | fNumImages | fStyleType | fColorPalette | v3StyleFields, encode: encodeEditV3},
	{name: RouteRemix, path: "/remix", op: messages.OperationRemix, image: "image_file",
		carries: legacyGenerateFields | fImageWeight, encode: encodeRemix},
	{name: RouteRemixV3, path: "/v1/ideogram-v3/remix", op: messages.OperationRemix, v3: true, image: "image",
		carries: legacyGenerateFields | fImageWeight | v3StyleFields, encode: encodeRemixV3},
	{name: RouteUpscale, path: "/upscale", op: messages.OperationUpscale, image: "image_file",
		carries: fResemblance | fDetail | fMagicPrompt | fSeed | fNumImages, encode: encodeUpscale},
	{name: RouteReframe, path: "/reframe", op: messages.OperationReframe, image: "image_file",
		carries: fResolution | fAspectRatio | fSeed | fNumImages | fStyleType, encode: encodeReframe},
	{name: RouteReframeV3, path: "/v1/ideogram-v3/reframe", op: messages.OperationReframe, v3: true, image: "image",
		carries: fResolution | fAspectRatio | fSeed | fNumImages | fColorPalette | v3StyleFields, encode: encodeReframeV3},
}

// selectRoute picks the route for an operation and model. Upscale has one
// endpoint for every model.
func selectRoute(op, model string) (route, bool) {
	v3 := model == modelV3 && op != messages.OperationUpscale
	for _, rt := range routeTable {
		if rt.op == op && rt.v3 == v3 {
			return rt, true
		}
	}
	return route{}, false
}

// check refuses, before any call, a request this route cannot carry: a
// field it would drop, or a missing or unusable input image.
func (rt route) check(req messages.GenerationRequest, in handlers.Inputs) *messages.Error {
	if extra := setFields(req) &^ rt.carries; extra != 0 {
		return &messages.Error{Code: messages.CodeInvalidRequest, Fields: extra.errors(rt),
			Message: fmt.Sprintf("%s not accepted by POST %s", strings.Join(extra.names(), ", "), rt.path)}
	}
	if rt.image != "" {
		if e := checkUpload("source_image", in.Image); e != nil {
			return e
		}
	}
	if rt.mask != "" {
		if e := checkUpload("mask", in.Mask); e != nil {
			return e
		}
	}
	return nil
}

// field is a set of optional GenerationRequest fields.
type field uint32

const (
	fNegativePrompt field = 1 << iota
	fStyleType
	fAspectRatio
	fResolution
	fMagicPrompt
	fSeed
	fNumImages
	fColorPalette
	fRenderingSpeed
	fStylePreset
	fStyleCodes
	fImageWeight
	fResemblance
	fDetail
	fieldEnd
)

// fieldNames are the JSON names of GenerationRequest, as errors name them.
var fieldNames = map[field]string{
	fNegativePrompt: "negative_prompt", fStyleType: "style_type", fAspectRatio: "aspect_ratio",
	fResolution: "resolution", fMagicPrompt: "magic_prompt", fSeed: "seed", fNumImages: "num_images",
	fColorPalette: "color_palette", fRenderingSpeed: "rendering_speed", fStylePreset: "style_preset",
	fStyleCodes: "style_codes", fImageWeight: "image_weight", fResemblance: "resemblance", fDetail: "detail",
}

// setFields is the set of optional fields req sets.
func setFields(r messages.GenerationRequest) field {
	var f field
	add := func(set bool, b field) {
		if set {
			f |= b
		}
	}
	add(r.NegativePrompt != "", fNegativePrompt)
	add(r.StyleType != "", fStyleType)
	add(r.AspectRatio != "", fAspectRatio)
	add(r.Resolution != "", fResolution)
	add(r.MagicPrompt != "", fMagicPrompt)
	add(r.Seed != nil, fSeed)
	add(r.NumImages != nil, fNumImages)
	add(r.ColorPalette != nil, fColorPalette)
	add(r.RenderingSpeed != "", fRenderingSpeed)
	add(r.StylePreset != "", fStylePreset)
	add(len(r.StyleCodes) > 0, fStyleCodes)
	add(r.ImageWeight != nil, fImageWeight)
	add(r.Resemblance != nil, fResemblance)
	add(r.Detail != nil, fDetail)
	return f
}

func (f field) names() []string {
	var out []string
	for b := field(1); b < fieldEnd; b <<= 1 {
		if f&b != 0 {
			out = append(out, fieldNames[b])
		}
	}
	return out
}

func (f field) errors(rt route) []messages.FieldError {
	var out []messages.FieldError
	for _, n := range f.names() {
		out = append(out, messages.FieldError{Field: n, Message: fmt.Sprintf("is not accepted by %s on this model (POST %s)", rt.op, rt.path)})
	}
	return out
}

// v3AspectRatio converts our (legacy) aspect ratio name to the V3 form:
// ASPECT_16_9 is 16x9.
func v3AspectRatio(a string) string {
	if rest, ok := strings.CutPrefix(a, "ASPECT_"); ok {
		return strings.Replace(rest, "_", "x", 1)
	}
	return a
}

// v3Resolution converts RESOLUTION_1024_768 to the V3 form 1024x768.
func v3Resolution(r string) string {
	if rest, ok := strings.CutPrefix(r, "RESOLUTION_"); ok {
		return strings.Replace(rest, "_", "x", 1)
	}
	return r
}

// legacyAspectRatio and legacyResolution are the inverses, for the
// simulator, which validates against the one table in messages.
func legacyAspectRatio(a string) string { return "ASPECT_" + strings.Replace(a, "x", "_", 1) }
func legacyResolution(r string) string  { return "RESOLUTION_" + strings.Replace(r, "x", "_", 1) }

// reframeResolution is the target of a reframe, which the API requires as
// a resolution: the request's own, or the one its aspect ratio renders at.
func reframeResolution(req messages.GenerationRequest) (string, error) {
	if req.Resolution != "" {
		return req.Resolution, nil
	}
	if wh, ok := messages.AspectResolution[req.AspectRatio]; ok {
		name := fmt.Sprintf("RESOLUTION_%d_%d", wh[0], wh[1])
		if _, ok := messages.Resolutions[name]; ok {
			return name, nil
		}
	}
	return "", fmt.Errorf("resolution: reframe needs a resolution or an aspect_ratio with a documented resolution")
}

package messages

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (f FieldError) String() string { return f.Field + ": " + f.Message }

// Limits on request fields.
const (
	MaxPromptBytes   = 10000
	MaxIDLength      = 128
	MaxSeed          = 2147483647
	MaxNumImages     = 8
	MaxVariants      = 16
	MaxLabels        = 32
	MaxLabelKeyLen   = 63
	MaxLabelValueLen = 256
	MaxURLLength     = 2048
)

var (
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	variantPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	hexColor       = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	styleCode      = regexp.MustCompile(`^[0-9A-Fa-f]{8}$`)
	stylePreset    = regexp.MustCompile(`^[A-Z0-9_]{2,64}$`)
)

// ValidID reports whether s may be a request or batch ID. IDs become part of
// object keys, so path separators and dot segments are refused.
func ValidID(s string) bool {
	return len(s) <= MaxIDLength && idPattern.MatchString(s) && !strings.Contains(s, "..")
}

// Validate checks a request against the contract and Ideogram's documented
// rules. It returns nil or an *Error with code invalid_request whose Fields list
// every problem at once, each naming its field.
func (r GenerationRequest) Validate() error {
	var v validator
	switch {
	case r.ID == "":
		v.add("id", "is required")
	case !ValidID(r.ID):
		v.add("id", fmt.Sprintf("must be 1-%d characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit", MaxIDLength))
	}
	if r.SchemaVersion > SchemaVersion {
		v.add("schema_version", fmt.Sprintf("%d is newer than supported %d", r.SchemaVersion, SchemaVersion))
	}
	op := r.EffectiveOperation()
	v.enum("operation", r.Operation, Operations)
	if strings.TrimSpace(r.Prompt) == "" {
		if op != OperationUpscale && op != OperationReframe {
			v.add("prompt", "is required and must not be blank")
		}
	} else if len(r.Prompt) > MaxPromptBytes {
		v.add("prompt", fmt.Sprintf("is %d bytes, at most %d allowed", len(r.Prompt), MaxPromptBytes))
	} else if !utf8.ValidString(r.Prompt) {
		v.add("prompt", "must be valid UTF-8")
	}
	if len(r.NegativePrompt) > MaxPromptBytes {
		v.add("negative_prompt", fmt.Sprintf("is %d bytes, at most %d allowed", len(r.NegativePrompt), MaxPromptBytes))
	}
	v.enum("model", r.Model, Models)
	v.model(r, op)
	v.enum("aspect_ratio", r.AspectRatio, AspectRatioSet)
	if r.Resolution != "" {
		if _, ok := Resolutions[r.Resolution]; !ok {
			v.add("resolution", "must be one of the documented RESOLUTION_W_H values, e.g. RESOLUTION_1024_1024")
		}
	}
	if r.Resolution != "" && r.AspectRatio != "" {
		v.add("resolution", "cannot be combined with aspect_ratio")
	}
	v.enum("magic_prompt", r.MagicPrompt, MagicPrompts)
	if r.Seed != nil && (*r.Seed < 0 || *r.Seed > MaxSeed) {
		v.add("seed", fmt.Sprintf("is %d, must be between 0 and %d", *r.Seed, MaxSeed))
	}
	if r.NumImages != nil && (*r.NumImages < 1 || *r.NumImages > MaxNumImages) {
		v.add("num_images", fmt.Sprintf("is %d, must be between 1 and %d", *r.NumImages, MaxNumImages))
	}
	if p := r.ColorPalette; p != nil {
		switch {
		case p.Name != "" && len(p.Members) > 0:
			v.add("color_palette", "give either name or members, not both")
		case p.Name == "" && len(p.Members) == 0:
			v.add("color_palette", "needs a name or members")
		case p.Name != "":
			v.enum("color_palette.name", p.Name, PaletteNames)
		}
		for i, m := range p.Members {
			if !hexColor.MatchString(m.ColorHex) {
				v.add(fmt.Sprintf("color_palette.members[%d].color_hex", i), "must be #RRGGBB")
			}
			if m.ColorWeight != nil && (*m.ColorWeight < 0.05 || *m.ColorWeight > 1) {
				v.add(fmt.Sprintf("color_palette.members[%d].color_weight", i), "must be between 0.05 and 1")
			}
		}
	}
	needsSource := op == OperationEdit || op == OperationRemix || op == OperationUpscale || op == OperationReframe
	switch {
	case needsSource && r.SourceImage == "":
		v.add("source_image", "is required for operation "+op)
	case !needsSource && r.SourceImage != "":
		v.add("source_image", "is only allowed for edit, remix, upscale and reframe")
	}
	if op == OperationEdit && r.Mask == "" {
		v.add("mask", "is required for operation edit")
	}
	if op != OperationEdit && r.Mask != "" {
		v.add("mask", "is only allowed for operation edit")
	}
	v.percent("image_weight", r.ImageWeight)
	v.percent("resemblance", r.Resemblance)
	v.percent("detail", r.Detail)
	if r.ImageWeight != nil && op != OperationRemix {
		v.add("image_weight", "is only allowed for operation remix")
	}
	if (r.Resemblance != nil || r.Detail != nil) && op != OperationUpscale {
		v.add("resemblance", "resemblance and detail are only allowed for operation upscale")
	}
	if op == OperationReframe && r.Resolution == "" {
		v.add("resolution", "is required for operation reframe (the target size)")
	}
	for _, ref := range []struct{ field, value string }{{"source_image", r.SourceImage}, {"mask", r.Mask}} {
		if ref.value != "" {
			v.reference(ref.field, ref.value)
		}
	}
	v.variants(r.Variants)
	if r.CallbackURL != "" {
		v.httpURL("callback_url", r.CallbackURL)
	}
	if r.BatchID != "" && !ValidID(r.BatchID) {
		v.add("batch_id", "must be letters, digits, '.', '_', ':' or '-'")
	}
	if r.BatchSize < 0 {
		v.add("batch_size", "must not be negative")
	}
	if r.BatchSize > 0 && r.BatchID == "" {
		v.add("batch_size", "requires batch_id")
	}
	if len(r.Labels) > MaxLabels {
		v.add("labels", fmt.Sprintf("has %d entries, at most %d allowed", len(r.Labels), MaxLabels))
	}
	for k, val := range r.Labels {
		if k == "" || len(k) > MaxLabelKeyLen {
			v.add("labels", fmt.Sprintf("key %q must be 1-%d bytes", k, MaxLabelKeyLen))
		}
		if len(val) > MaxLabelValueLen {
			v.add("labels."+k, fmt.Sprintf("must be at most %d bytes", MaxLabelValueLen))
		}
	}
	return v.err()
}

type validator struct{ problems []FieldError }

func (v *validator) add(field, msg string) {
	v.problems = append(v.problems, FieldError{Field: field, Message: msg})
}

func (v *validator) enum(field, value string, allowed []string) {
	if value != "" && !contains(allowed, value) {
		v.add(field, fmt.Sprintf("%q is not one of %s", value, strings.Join(allowed, ", ")))
	}
}

// model applies the capability table to the fields that depend on the model.
func (v *validator) model(r GenerationRequest, op string) {
	model := r.EffectiveModel()
	caps, ok := ModelCapabilities[model]
	if !ok {
		return // already reported as an unknown model
	}
	if op != OperationUpscale && !contains(caps.Operations, op) {
		v.add("operation", fmt.Sprintf("%s is not supported by model %s (it supports %s)", op, model, strings.Join(caps.Operations, ", ")))
	}
	if r.StyleType != "" {
		switch {
		case len(caps.StyleTypes) == 0:
			v.add("style_type", "is not supported by model "+model)
		case !contains(caps.StyleTypes, r.StyleType):
			v.add("style_type", fmt.Sprintf("%q is not accepted by model %s (one of %s)", r.StyleType, model, strings.Join(caps.StyleTypes, ", ")))
		}
	}
	if r.NegativePrompt != "" && !caps.NegativePrompt {
		v.add("negative_prompt", "is not supported by model "+model)
	}
	if r.ColorPalette != nil && !caps.ColorPalette {
		v.add("color_palette", "is not supported by model "+model)
	}
	if !caps.V3 {
		if r.RenderingSpeed != "" {
			v.add("rendering_speed", "is only supported by model V_3")
		}
		if len(r.StyleCodes) > 0 {
			v.add("style_codes", "are only supported by model V_3")
		}
		if r.StylePreset != "" {
			v.add("style_preset", "is only supported by model V_3")
		}
	}
	v.enum("rendering_speed", r.RenderingSpeed, RenderingSpeeds)
	for i, c := range r.StyleCodes {
		if !styleCode.MatchString(c) {
			v.add(fmt.Sprintf("style_codes[%d]", i), "must be 8 hexadecimal characters")
		}
	}
	if r.StylePreset != "" && !stylePreset.MatchString(r.StylePreset) {
		v.add("style_preset", "must be an upper-case preset name such as ART_DECO")
	}
	if len(r.StyleCodes) > 0 && r.StyleType != "" {
		v.add("style_codes", "cannot be combined with style_type")
	}
}

func (v *validator) percent(field string, p *int) {
	if p != nil && (*p < 1 || *p > 100) {
		v.add(field, fmt.Sprintf("is %d, must be between 1 and 100", *p))
	}
}

// reference checks a source-image reference: an https URL or an object key.
func (v *validator) reference(field, ref string) {
	if strings.Contains(ref, "://") {
		u, err := url.Parse(ref)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			v.add(field, "must be an https URL or an object key")
		}
		return
	}
	if len(ref) > 1024 || strings.HasPrefix(ref, "/") || strings.Contains(ref, "..") || strings.ContainsAny(ref, "\\\x00") {
		v.add(field, "is not a valid object key (no leading '/', '..' or backslashes)")
	}
}

func (v *validator) httpURL(field, raw string) {
	if len(raw) > MaxURLLength {
		v.add(field, fmt.Sprintf("is longer than %d characters", MaxURLLength))
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		v.add(field, "must be an absolute http(s) URL")
		return
	}
	if u.User != nil {
		v.add(field, "must not carry credentials")
	}
}

func (v *validator) variants(specs []VariantSpec) {
	if len(specs) > MaxVariants {
		v.add("variants", fmt.Sprintf("has %d entries, at most %d allowed", len(specs), MaxVariants))
	}
	seen := map[string]bool{}
	for i, s := range specs {
		f := fmt.Sprintf("variants[%d]", i)
		if !variantPattern.MatchString(s.Name) || len(s.Name) > 64 {
			v.add(f+".name", fmt.Sprintf("%q must be 1-64 lowercase letters, digits, '-' or '_'", s.Name))
		} else if seen[s.Name] {
			v.add(f+".name", fmt.Sprintf("%q appears twice", s.Name))
		}
		seen[s.Name] = true
		_, preset := Presets[s.Name]
		if !preset && s.Width == 0 && s.Height == 0 {
			v.add(f, fmt.Sprintf("%q is not a preset (%s); give width and/or height", s.Name, strings.Join(PresetNames(), ", ")))
		}
		if s.Width < 0 || s.Width > MaxVariantSide {
			v.add(f+".width", fmt.Sprintf("must be between 0 and %d", MaxVariantSide))
		}
		if s.Height < 0 || s.Height > MaxVariantSide {
			v.add(f+".height", fmt.Sprintf("must be between 0 and %d", MaxVariantSide))
		}
		v.enum(f+".fit", s.Fit, FitModes)
		v.enum(f+".gravity", s.Gravity, Gravities)
		v.enum(f+".format", s.Format, Formats)
		if s.Quality < 0 || s.Quality > 100 {
			v.add(f+".quality", "must be between 1 and 100")
		}
		if s.Background != "" && !hexColor.MatchString(s.Background) {
			v.add(f+".background", "must be #RRGGBB")
		}
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	parts := make([]string, len(v.problems))
	for i, p := range v.problems {
		parts[i] = p.String()
	}
	return &Error{
		Code:    CodeInvalidRequest,
		Message: strings.Join(parts, "; "),
		Fields:  v.problems,
	}
}

// ValidCallbackURL reports whether s is an acceptable callback_url: an
// absolute http(s) URL without credentials, within the length limit.
func ValidCallbackURL(s string) bool {
	if s == "" {
		return false
	}
	var v validator
	v.httpURL("callback_url", s)
	return len(v.problems) == 0
}

package ideogram

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ideobus/ideobus/messages"
)

// The simulator's view of what Ideogram accepts, as documented. messages
// holds the legacy enumerations; the V3-only ones are kept here because
// only the simulator enforces them (the lead's validation table in
// messages may adopt them).
var (
	v3StyleTypes      = []string{"AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION"}
	v3RenderingSpeeds = []string{"FLASH", "TURBO", "DEFAULT", "QUALITY"}
	// legacyEditModels: the legacy /edit endpoint serves only these.
	legacyEditModels = []string{"V_2", "V_2_TURBO"}
	// noPaletteModels do not take a color_palette.
	noPaletteModels = []string{"V_1", "V_1_TURBO", "V_2A", "V_2A_TURBO"}
	// v3ExtraAspects are V3 aspect ratios without a legacy ASPECT_ name.
	v3ExtraAspects = map[string][2]int{"1x2": {704, 1408}, "2x1": {1408, 704}, "4x5": {896, 1120}, "5x4": {1120, 896}}

	styleCodePattern   = regexp.MustCompile(`^[0-9A-Fa-f]{8}$`)
	stylePresetPattern = regexp.MustCompile(`^[A-Z0-9_]{1,64}$`)
)

// aspectSize is the size an aspect ratio renders at, in either form.
func (q simRequest) aspectSize() ([2]int, bool) {
	if q.v3 {
		if wh, ok := v3ExtraAspects[q.aspectRatio]; ok {
			return wh, true
		}
		wh, ok := messages.AspectResolution[legacyAspectRatio(q.aspectRatio)]
		return wh, ok && !strings.Contains(q.aspectRatio, "_")
	}
	wh, ok := messages.AspectResolution[q.aspectRatio]
	return wh, ok
}

// resolutionSize is the size of a resolution, in either form.
func (q simRequest) resolutionSize() ([2]int, bool) {
	name := q.resolution
	if q.v3 {
		if strings.Contains(name, "_") {
			return [2]int{}, false
		}
		name = legacyResolution(name)
	}
	wh, ok := messages.Resolutions[name]
	return wh, ok
}

// validate applies the API's documented input rules for route rt and lists
// every problem, as a 400 would, naming fields as the route spells them.
func validate(rt route, q simRequest) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	enum := func(field, v string, allowed []string) {
		if v != "" && !slices.Contains(allowed, v) {
			bad("%s: %q is not one of %s", field, v, strings.Join(allowed, ", "))
		}
	}
	magicField := "magic_prompt_option"
	if rt.v3 {
		magicField = "magic_prompt"
	}

	if (rt.name == RouteRemix || rt.name == RouteUpscale) && !q.hasImageRequest {
		bad("image_request: field required")
	}
	switch {
	case rt.op == messages.OperationUpscale || rt.op == messages.OperationReframe:
	case strings.TrimSpace(q.prompt) == "":
		bad("prompt: field required")
	}
	if len(q.prompt) > messages.MaxPromptBytes {
		bad("prompt: too long")
	}
	if len(q.negativePrompt) > messages.MaxPromptBytes {
		bad("negative_prompt: too long")
	}
	if rt.image != "" && q.image == nil {
		bad("%s: field required", rt.image)
	}
	if rt.mask != "" && q.mask == nil {
		bad("%s: field required", rt.mask)
	}
	if q.image != nil && q.mask != nil && (q.image.w != q.mask.w || q.image.h != q.mask.h) {
		bad("%s: must be the same size as %s (%dx%d, got %dx%d)", rt.mask, rt.image, q.image.w, q.image.h, q.mask.w, q.mask.h)
	}

	if rt.v3 {
		enum("style_type", q.styleType, v3StyleTypes)
		enum("rendering_speed", q.renderingSpeed, v3RenderingSpeeds)
		if q.stylePreset != "" && !stylePresetPattern.MatchString(q.stylePreset) {
			bad("style_preset: %q is not a style preset", q.stylePreset)
		}
		for i, c := range q.styleCodes {
			if !styleCodePattern.MatchString(c) {
				bad("style_codes[%d]: must be 8 hexadecimal characters", i)
			}
		}
		if len(q.styleCodes) > 0 && q.styleType != "" {
			bad("style_codes: cannot be used together with style_type")
		}
	} else {
		enum("model", q.model, messages.Models)
		enum("style_type", q.styleType, messages.StyleTypes)
		if q.styleType != "" && strings.HasPrefix(q.model, "V_1") {
			bad("style_type: not supported by model %s", q.model)
		}
		if (rt.name == RouteEdit || rt.name == RouteReframe) && !q.hasModel {
			bad("model: field required")
		}
		if rt.name == RouteEdit && q.model != "" && !slices.Contains(legacyEditModels, q.model) {
			bad("model: %s does not support edit; use one of %s", q.model, strings.Join(legacyEditModels, ", "))
		}
		if q.palette != nil && slices.Contains(noPaletteModels, q.model) {
			bad("color_palette: not supported by model %s", q.model)
		}
	}
	enum(magicField, q.magic, messages.MagicPrompts)
	if _, ok := q.aspectSize(); q.aspectRatio != "" && !ok {
		bad("aspect_ratio: %q is not a supported aspect ratio", q.aspectRatio)
	}
	if _, ok := q.resolutionSize(); q.resolution != "" && !ok {
		bad("resolution: %q is not a supported resolution", q.resolution)
	}
	if q.resolution != "" && q.aspectRatio != "" {
		bad("resolution: cannot be used together with aspect_ratio")
	}
	if rt.op == messages.OperationReframe && q.resolution == "" {
		bad("resolution: field required")
	}
	if q.seed != nil && (*q.seed < 0 || *q.seed > messages.MaxSeed) {
		bad("seed: must be between 0 and %d", messages.MaxSeed)
	}
	if q.numImages != nil && (*q.numImages < 1 || *q.numImages > messages.MaxNumImages) {
		bad("num_images: must be between 1 and %d", messages.MaxNumImages)
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"image_weight", q.imageWeight}, {"resemblance", q.resemblance}, {"detail", q.detail}} {
		if f.v != nil && (*f.v < 1 || *f.v > 100) {
			bad("%s: must be between 1 and 100", f.name)
		}
	}
	if c := q.palette; c != nil {
		switch {
		case c.Name != "" && len(c.Members) > 0:
			bad("color_palette: give either name or members")
		case c.Name == "" && len(c.Members) == 0:
			bad("color_palette: needs name or members")
		}
		enum("color_palette.name", c.Name, messages.PaletteNames)
		for i, m := range c.Members {
			if !hexColor.MatchString(m.ColorHex) {
				bad("color_palette.members[%d].color_hex: must be #RRGGBB", i)
			}
		}
	}
	return p
}

var hexColor = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

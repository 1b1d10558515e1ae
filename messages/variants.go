package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Fit modes of a variant.
const (
	FitCover   = "cover"   // fill the box, cropping the overflow
	FitContain = "contain" // fit inside the box, letterboxed with Background
	FitInside  = "inside"  // fit inside the box, never enlarging, no padding
)

// Output formats of a variant.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatWebP = "webp"
)

// VariantSpec describes one rendition of each original. In JSON it is either a
// preset name ("og-image") or an object; an object naming a preset inherits the
// preset's fields it leaves empty.
type VariantSpec struct {
	Name       string `json:"name"`
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	Fit        string `json:"fit,omitempty"`
	Gravity    string `json:"gravity,omitempty"`
	Background string `json:"background,omitempty"`
	Format     string `json:"format,omitempty"`
	Quality    int    `json:"quality,omitempty"`
}

// Presets are the built-in channel formats.
var Presets = map[string]VariantSpec{
	"og-image":           {Name: "og-image", Width: 1200, Height: 630},
	"instagram":          {Name: "instagram", Width: 1080, Height: 1080},
	"instagram-portrait": {Name: "instagram-portrait", Width: 1080, Height: 1350},
	"twitter-header":     {Name: "twitter-header", Width: 1500, Height: 500},
	"twitter-post":       {Name: "twitter-post", Width: 1600, Height: 900},
	"linkedin":           {Name: "linkedin", Width: 1200, Height: 627},
	"thumbnail":          {Name: "thumbnail", Width: 400, Height: 400},
}

// DefaultVariants is applied when a request names none.
var DefaultVariants = []string{"og-image", "instagram", "twitter-header"}

// DefaultJPEGQuality is the quality used when a spec gives none.
const DefaultJPEGQuality = 85

// MaxVariantSide bounds either side of a variant, in pixels.
const MaxVariantSide = 8192

// UnmarshalJSON accepts a preset name or an object.
func (v *VariantSpec) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return err
		}
		*v = VariantSpec{Name: name}
		return nil
	}
	type plain VariantSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("variant must be a preset name or an object: %w", err)
	}
	*v = VariantSpec(p)
	return nil
}

// Resolve fills a spec from its preset and the defaults (cover, center, jpeg,
// quality 85).
func (v VariantSpec) Resolve() VariantSpec {
	if p, ok := Presets[v.Name]; ok {
		if v.Width == 0 && v.Height == 0 {
			v.Width, v.Height = p.Width, p.Height
		}
	}
	if v.Fit == "" {
		v.Fit = FitCover
	}
	if v.Gravity == "" {
		v.Gravity = "center"
	}
	if v.Format == "" {
		v.Format = FormatJPEG
	}
	if v.Quality == 0 && v.Format == FormatJPEG {
		v.Quality = DefaultJPEGQuality
	}
	return v
}

// Ext is the file extension of the spec's format.
func (v VariantSpec) Ext() string {
	switch v.Format {
	case FormatPNG:
		return "png"
	case FormatWebP:
		return "webp"
	default:
		return "jpg"
	}
}

// ContentType is the MIME type of the spec's format.
func (v VariantSpec) ContentType() string {
	switch v.Format {
	case FormatPNG:
		return "image/png"
	case FormatWebP:
		return "image/webp"
	default:
		return "image/jpeg"
	}
}

// ResolveVariants turns a request's variant list (or the defaults when it is
// empty) into resolved specs.
func ResolveVariants(specs []VariantSpec, defaults []string) []VariantSpec {
	if len(specs) == 0 {
		for _, name := range defaults {
			specs = append(specs, VariantSpec{Name: name})
		}
	}
	out := make([]VariantSpec, len(specs))
	for i, s := range specs {
		out[i] = s.Resolve()
	}
	return out
}

// PresetNames lists the built-in preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

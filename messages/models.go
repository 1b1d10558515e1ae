package messages

// Capabilities is what one Ideogram model accepts. Validation reads this one
// table, so a rule is stated once and every request is checked against it
// before any paid call.
type Capabilities struct {
	// Operations the model can run.
	Operations []string
	// StyleTypes the model accepts; empty means style_type is refused.
	StyleTypes []string
	// NegativePrompt, ColorPalette: whether the model accepts them.
	NegativePrompt bool
	ColorPalette   bool
	// V3 marks the Ideogram 3.0 endpoints (/v1/ideogram-v3/...), the only
	// ones with rendering_speed, style_codes and style_preset.
	V3 bool
}

var (
	legacyStyles = []string{"AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME"}
	v3Styles     = []string{"AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION"}
	// RenderingSpeeds are the V_3 rendering_speed values.
	RenderingSpeeds = []string{"FLASH", "TURBO", "DEFAULT", "QUALITY"}
)

// ModelCapabilities is the table of what each model accepts, after
// Ideogram's API reference: style_type is not available on V_1; the legacy
// negative_prompt and color_palette only on V_1/V_2 (and V_3); the legacy edit
// and reframe endpoints only on V_2 and V_2_TURBO; upscale takes no model.
var ModelCapabilities = map[string]Capabilities{
	"V_1":        {Operations: []string{OperationGenerate, OperationRemix}, NegativePrompt: true},
	"V_1_TURBO":  {Operations: []string{OperationGenerate, OperationRemix}, NegativePrompt: true},
	"V_2":        {Operations: []string{OperationGenerate, OperationEdit, OperationRemix, OperationReframe}, StyleTypes: legacyStyles, NegativePrompt: true, ColorPalette: true},
	"V_2_TURBO":  {Operations: []string{OperationGenerate, OperationEdit, OperationRemix, OperationReframe}, StyleTypes: legacyStyles, NegativePrompt: true, ColorPalette: true},
	"V_2A":       {Operations: []string{OperationGenerate, OperationRemix}, StyleTypes: legacyStyles, ColorPalette: true},
	"V_2A_TURBO": {Operations: []string{OperationGenerate, OperationRemix}, StyleTypes: legacyStyles, ColorPalette: true},
	"V_3":        {Operations: []string{OperationGenerate, OperationEdit, OperationRemix, OperationReframe}, StyleTypes: v3Styles, NegativePrompt: true, ColorPalette: true, V3: true},
}

// Limits on source images for edit, remix, upscale and reframe.
const (
	MaxSourceImageBytes = 10 << 20
)

// SourceImageTypes are the content types Ideogram accepts for source images.
var SourceImageTypes = []string{"image/jpeg", "image/png", "image/webp"}

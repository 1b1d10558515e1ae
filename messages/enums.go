package messages

import "strconv"

// The Ideogram API's enumerations, as documented for the legacy endpoints.
var (
	Models         = []string{"V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO", "V_3"}
	StyleTypes     = []string{"AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME", "FICTION"}
	MagicPrompts   = []string{"AUTO", "ON", "OFF"}
	PaletteNames   = []string{"EMBER", "FRESH", "JUNGLE", "MAGIC", "MELON", "MOSAIC", "PASTEL", "ULTRAMARINE"}
	Operations     = []string{OperationGenerate, OperationEdit, OperationRemix, OperationUpscale, OperationReframe}
	FitModes       = []string{FitCover, FitContain, FitInside}
	Formats        = []string{FormatJPEG, FormatPNG, FormatWebP}
	Gravities      = []string{"center", "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest"}
	AspectRatioSet = []string{
		"ASPECT_1_1", "ASPECT_10_16", "ASPECT_16_10", "ASPECT_9_16", "ASPECT_16_9",
		"ASPECT_3_2", "ASPECT_2_3", "ASPECT_4_3", "ASPECT_3_4", "ASPECT_1_3", "ASPECT_3_1",
	}
)

// DefaultModel is the model used when a request names none.
const DefaultModel = "V_2"

// AspectResolution is the output size Ideogram renders for each aspect ratio.
var AspectResolution = map[string][2]int{
	"ASPECT_1_1":   {1024, 1024},
	"ASPECT_10_16": {800, 1280},
	"ASPECT_16_10": {1280, 800},
	"ASPECT_9_16":  {736, 1312},
	"ASPECT_16_9":  {1312, 736},
	"ASPECT_3_2":   {1248, 832},
	"ASPECT_2_3":   {832, 1248},
	"ASPECT_4_3":   {1152, 864},
	"ASPECT_3_4":   {864, 1152},
	"ASPECT_1_3":   {512, 1536},
	"ASPECT_3_1":   {1536, 512},
}

// Resolutions are the documented RESOLUTION_W_H values (width x height).
var Resolutions = map[string][2]int{}

func init() {
	for _, wh := range [][2]int{
		{512, 1536}, {576, 1408}, {576, 1472}, {576, 1536}, {640, 1024}, {640, 1344}, {640, 1408}, {640, 1472}, {640, 1536},
		{704, 1152}, {704, 1216}, {704, 1280}, {704, 1344}, {704, 1408}, {704, 1472}, {720, 1280}, {736, 1312},
		{768, 1024}, {768, 1088}, {768, 1152}, {768, 1216}, {768, 1232}, {768, 1280}, {768, 1344},
		{832, 960}, {832, 1024}, {832, 1088}, {832, 1152}, {832, 1216}, {832, 1248}, {864, 1152},
		{896, 960}, {896, 1024}, {896, 1088}, {896, 1120}, {896, 1152}, {960, 832}, {960, 896}, {960, 1024}, {960, 1088},
		{1024, 640}, {1024, 768}, {1024, 832}, {1024, 896}, {1024, 960}, {1024, 1024},
		{1088, 768}, {1088, 832}, {1088, 896}, {1088, 960}, {1120, 896}, {1152, 704}, {1152, 768}, {1152, 832}, {1152, 864}, {1152, 896},
		{1216, 704}, {1216, 768}, {1216, 832}, {1232, 768}, {1248, 832}, {1280, 704}, {1280, 720}, {1280, 768}, {1280, 800},
		{1312, 736}, {1344, 640}, {1344, 704}, {1344, 768}, {1408, 576}, {1408, 640}, {1408, 704},
		{1472, 576}, {1472, 640}, {1472, 704}, {1536, 512}, {1536, 576}, {1536, 640},
	} {
		Resolutions[resolutionName(wh[0], wh[1])] = wh
	}
}

func resolutionName(w, h int) string {
	return "RESOLUTION_" + strconv.Itoa(w) + "_" + strconv.Itoa(h)
}

// OutputSize is the pixel size Ideogram renders for a request: its resolution,
// else its aspect ratio, else 1024x1024.
func (r GenerationRequest) OutputSize() (w, h int) {
	if wh, ok := Resolutions[r.Resolution]; ok {
		return wh[0], wh[1]
	}
	if wh, ok := AspectResolution[r.AspectRatio]; ok {
		return wh[0], wh[1]
	}
	return 1024, 1024
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

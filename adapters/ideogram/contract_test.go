package ideogram

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ideobus/ideobus/handlers"
	"github.com/ideobus/ideobus/messages"
)

// TestOperationContracts runs every operation and model family against the
// simulator and checks what the client put on the wire: method, path,
// headers, every form field (and nothing else) and the file parts.
func TestOperationContracts(t *testing.T) {
	source := pngBlob(t, quadrants(64, 48))
	square := pngBlob(t, quadrants(64, 64))
	photo := jpegBlob(t, quadrants(80, 60))
	mask := pngBlob(t, halfMask(64, 48))
	palette := &messages.ColorPalette{Members: []messages.PaletteMember{{ColorHex: "#FF0000"}}}

	tests := []struct {
		name   string
		req    messages.GenerationRequest
		in     handlers.Inputs
		path   string
		fields map[string][]string
		// imageRequest is the image_request JSON part, when the route has one.
		imageRequest map[string]any
		files        map[string]*handlers.Blob
		resolution   string
		images       int
	}{
		{
			name: "generate V_3",
			req: messages.GenerationRequest{
				Prompt: "a fox", Model: "V_3", AspectRatio: "ASPECT_16_9", RenderingSpeed: "TURBO",
				StyleCodes: []string{"AAAAAAAA", "0123abcd"}, StylePreset: "BAUHAUS", MagicPrompt: "ON", NegativePrompt: "blur",
				NumImages: ptr(2), Seed: ptr[int64](7), ColorPalette: palette,
			},
			path: "/v1/ideogram-v3/generate",
			fields: map[string][]string{
				"prompt": {"a fox"}, "aspect_ratio": {"16x9"}, "rendering_speed": {"TURBO"},
				"style_codes": {"AAAAAAAA", "0123abcd"}, "style_preset": {"BAUHAUS"}, "magic_prompt": {"ON"},
				"negative_prompt": {"blur"}, "num_images": {"2"}, "seed": {"7"},
				"color_palette": {`{"members":[{"color_hex":"#FF0000"}]}`},
			},
			resolution: "1312x736", images: 2,
		},
		{
			name: "generate V_3 resolution",
			req:  messages.GenerationRequest{Prompt: "a fox", Model: "V_3", Resolution: "RESOLUTION_1280_720", StyleType: "FICTION"},
			path: "/v1/ideogram-v3/generate",
			fields: map[string][]string{
				"prompt": {"a fox"}, "resolution": {"1280x720"}, "style_type": {"FICTION"},
			},
			resolution: "1280x720", images: 1,
		},
		{
			name: "edit legacy",
			req: messages.GenerationRequest{
				Operation: "edit", Prompt: "a hat", Model: "V_2_TURBO", MagicPrompt: "OFF",
				Seed: ptr[int64](3), NumImages: ptr(1), StyleType: "DESIGN",
			},
			in:   handlers.Inputs{Image: source, Mask: mask},
			path: "/edit",
			fields: map[string][]string{
				"prompt": {"a hat"}, "model": {"V_2_TURBO"}, "magic_prompt_option": {"OFF"},
				"seed": {"3"}, "num_images": {"1"}, "style_type": {"DESIGN"},
			},
			files:      map[string]*handlers.Blob{"image_file": source, "mask": mask},
			resolution: "64x48", images: 1,
		},
		{
			name: "edit V_3",
			req: messages.GenerationRequest{
				Operation: "edit", Prompt: "a hat", Model: "V_3", RenderingSpeed: "QUALITY", StyleCodes: []string{"DEADBEEF"}, NumImages: ptr(3),
			},
			in:   handlers.Inputs{Image: source, Mask: mask},
			path: "/v1/ideogram-v3/edit",
			fields: map[string][]string{
				"prompt": {"a hat"}, "rendering_speed": {"QUALITY"}, "style_codes": {"DEADBEEF"}, "num_images": {"3"},
			},
			files:      map[string]*handlers.Blob{"image": source, "mask": mask},
			resolution: "64x48", images: 3,
		},
		{
			name: "remix legacy",
			req: messages.GenerationRequest{
				Operation: "remix", Prompt: "as a watercolour", Model: "V_2", ImageWeight: ptr(70),
				AspectRatio: "ASPECT_3_2", NegativePrompt: "text", ColorPalette: &messages.ColorPalette{Name: "PASTEL"},
			},
			in:   handlers.Inputs{Image: photo},
			path: "/remix",
			fields: map[string][]string{
				"image_request": nil, // checked as JSON below
			},
			imageRequest: map[string]any{
				"prompt": "as a watercolour", "model": "V_2", "image_weight": float64(70), "aspect_ratio": "ASPECT_3_2",
				"negative_prompt": "text", "color_palette": map[string]any{"name": "PASTEL"},
			},
			files:      map[string]*handlers.Blob{"image_file": photo},
			resolution: "1248x832", images: 1,
		},
		{
			name: "remix V_3",
			req: messages.GenerationRequest{
				Operation: "remix", Prompt: "as a watercolour", Model: "V_3", ImageWeight: ptr(30), AspectRatio: "ASPECT_3_2",
			},
			in:   handlers.Inputs{Image: photo},
			path: "/v1/ideogram-v3/remix",
			fields: map[string][]string{
				"prompt": {"as a watercolour"}, "image_weight": {"30"}, "aspect_ratio": {"3x2"},
			},
			files:      map[string]*handlers.Blob{"image": photo},
			resolution: "1248x832", images: 1,
		},
		{
			name: "upscale (any model)",
			req: messages.GenerationRequest{
				Operation: "upscale", Prompt: "crisper", Model: "V_3", Resemblance: ptr(80), Detail: ptr(40), MagicPrompt: "AUTO", Seed: ptr[int64](5),
			},
			in:           handlers.Inputs{Image: source},
			path:         "/upscale",
			fields:       map[string][]string{"image_request": nil},
			imageRequest: map[string]any{"prompt": "crisper", "resemblance": float64(80), "detail": float64(40), "magic_prompt_option": "AUTO", "seed": float64(5)},
			files:        map[string]*handlers.Blob{"image_file": source},
			resolution:   "128x96", images: 1,
		},
		{
			name:         "upscale without prompt",
			req:          messages.GenerationRequest{Operation: "upscale"},
			in:           handlers.Inputs{Image: webp1x1(t)},
			path:         "/upscale",
			fields:       map[string][]string{"image_request": nil},
			imageRequest: map[string]any{},
			files:        map[string]*handlers.Blob{"image_file": webp1x1(t)},
			resolution:   "2x2", images: 1,
		},
		{
			name: "reframe legacy",
			req:  messages.GenerationRequest{Operation: "reframe", Model: "V_2_TURBO", Resolution: "RESOLUTION_1280_720", StyleType: "GENERAL", NumImages: ptr(2)},
			in:   handlers.Inputs{Image: square},
			path: "/reframe",
			fields: map[string][]string{
				"resolution": {"RESOLUTION_1280_720"}, "model": {"V_2_TURBO"}, "style_type": {"GENERAL"}, "num_images": {"2"},
			},
			files:      map[string]*handlers.Blob{"image_file": square},
			resolution: "1280x720", images: 2,
		},
		{
			name: "reframe V_3 from an aspect ratio",
			req:  messages.GenerationRequest{Operation: "reframe", Model: "V_3", AspectRatio: "ASPECT_16_9", RenderingSpeed: "FLASH"},
			in:   handlers.Inputs{Image: square},
			path: "/v1/ideogram-v3/reframe",
			fields: map[string][]string{
				"resolution": {"1312x736"}, "rendering_speed": {"FLASH"},
			},
			files:      map[string]*handlers.Blob{"image": square},
			resolution: "1312x736", images: 1,
		},
	}
	sim, srv, rec := recordedSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			images, err := c.Generate(context.Background(), tt.req, tt.in)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			got := rec.take()
			if len(got) != 1 {
				t.Fatalf("API saw %d requests, want 1", len(got))
			}
			r := got[0]
			if r.method != http.MethodPost || r.path != tt.path {
				t.Errorf("request is %s %s, want POST %s", r.method, r.path, tt.path)
			}
			if r.header.Get("Api-Key") != testKey {
				t.Errorf("Api-Key header is %q", r.header.Get("Api-Key"))
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "multipart/form-data; boundary=") {
				t.Errorf("Content-Type is %q", r.header.Get("Content-Type"))
			}
			values, files := r.form(t)
			if names, want := keys(values), keys(tt.fields); !reflect.DeepEqual(names, want) {
				t.Errorf("text fields %v, want exactly %v", names, want)
			}
			for name, want := range tt.fields {
				if want != nil && !reflect.DeepEqual(values[name], want) {
					t.Errorf("field %s = %q, want %q", name, values[name], want)
				}
			}
			if tt.imageRequest != nil {
				var ir map[string]any
				if err := json.Unmarshal([]byte(values["image_request"][0]), &ir); err != nil {
					t.Fatalf("image_request is not JSON: %v", err)
				}
				if !reflect.DeepEqual(ir, tt.imageRequest) {
					t.Errorf("image_request = %v, want %v", ir, tt.imageRequest)
				}
			}
			if names, want := keys(files), keys(tt.files); !reflect.DeepEqual(names, want) {
				t.Errorf("file parts %v, want %v", names, want)
			}
			for name, blob := range tt.files {
				f := files[name]
				ct, _ := uploadType(blob.Data)
				if f.contentType != ct || string(f.data) != string(blob.Data) || !strings.HasSuffix(f.filename, "."+uploadExt[ct]) {
					t.Errorf("file %s: %q %s, %d bytes; want %s, the %d input bytes", name, f.filename, f.contentType, len(f.data), ct, len(blob.Data))
				}
			}
			if len(images) != tt.images {
				t.Fatalf("got %d images, want %d", len(images), tt.images)
			}
			for _, im := range images {
				if im.Resolution != tt.resolution || im.SourceURL == "" {
					t.Errorf("image %+v, want resolution %s and a URL", im, tt.resolution)
				}
			}
		})
	}
	if sim.Calls(RouteEdit) != 1 || sim.Calls(RouteUpscale) != 2 || sim.GenerateCalls() != len(tests) {
		t.Errorf("counters: edit %d, upscale %d, all %d", sim.Calls(RouteEdit), sim.Calls(RouteUpscale), sim.GenerateCalls())
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestRefusedBeforeTheCall: what the API would refuse, or what the route
// cannot carry, fails permanently without a (paid) call.
func TestRefusedBeforeTheCall(t *testing.T) {
	sim, srv := startSim(t, SimOptions{})
	c, _ := newTestClient(t, srv.URL, nil)
	img := pngBlob(t, quadrants(8, 8))
	tests := []struct {
		name  string
		req   messages.GenerationRequest
		in    handlers.Inputs
		code  messages.Code
		field string
	}{
		{"edit without image", messages.GenerationRequest{Operation: "edit", Prompt: "x", Model: "V_2"}, handlers.Inputs{Mask: img}, messages.CodeInvalidRequest, "source_image"},
		{"edit without mask", messages.GenerationRequest{Operation: "edit", Prompt: "x", Model: "V_2"}, handlers.Inputs{Image: img}, messages.CodeInvalidRequest, "mask"},
		{"remix without image", messages.GenerationRequest{Operation: "remix", Prompt: "x"}, handlers.Inputs{}, messages.CodeInvalidRequest, "source_image"},
		{"upscale of a GIF", messages.GenerationRequest{Operation: "upscale"}, handlers.Inputs{Image: &handlers.Blob{Data: []byte("GIF89a........")}}, messages.CodeInvalidImage, "source_image"},
		{"reframe of 11 MB", messages.GenerationRequest{Operation: "reframe", Resolution: "RESOLUTION_1024_1024"}, handlers.Inputs{Image: &handlers.Blob{Data: make([]byte, MaxUploadBytes+1)}}, messages.CodeImageTooLarge, "source_image"},
		{"V3 option on a legacy model", messages.GenerationRequest{Prompt: "x", Model: "V_2", RenderingSpeed: "TURBO"}, handlers.Inputs{}, messages.CodeInvalidRequest, "rendering_speed"},
		{"upscale option on generate", messages.GenerationRequest{Prompt: "x", Resemblance: ptr(5)}, handlers.Inputs{}, messages.CodeInvalidRequest, "resemblance"},
		{"negative prompt on edit", messages.GenerationRequest{Operation: "edit", Prompt: "x", NegativePrompt: "y"}, handlers.Inputs{Image: img, Mask: img}, messages.CodeInvalidRequest, "negative_prompt"},
		{"unknown operation", messages.GenerationRequest{Operation: "describe", Prompt: "x"}, handlers.Inputs{}, messages.CodeInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Generate(context.Background(), tt.req, tt.in)
			e := classified(t, err, tt.code, false, 0)
			if tt.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tt.field) {
				t.Errorf("fields %v, want %s named", e.Fields, tt.field)
			}
		})
	}
	_, err := c.Generate(context.Background(), messages.GenerationRequest{Operation: "reframe", Model: "V_2"}, handlers.Inputs{Image: img})
	if e := classified(t, err, messages.CodeInvalidRequest, false, 0); !strings.Contains(e.Message, "resolution") {
		t.Errorf("reframe without a target: %v", e)
	}
	if n := sim.GenerateCalls(); n != 0 {
		t.Errorf("%d refused requests reached the API", n)
	}
}

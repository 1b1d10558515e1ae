package ideogram

import (
	"encoding/json"
	"strings"

	"github.com/ideobus/ideobus/messages"
)

// The JSON shapes below follow Ideogram's documented legacy endpoints. The
// client and the simulator share them, so the two cannot drift apart.

// apiRequest is the body of POST /generate.
type apiRequest struct {
	ImageRequest apiImageRequest `json:"image_request"`
}

type apiImageRequest struct {
	Prompt            string                 `json:"prompt"`
	Model             string                 `json:"model,omitempty"`
	AspectRatio       string                 `json:"aspect_ratio,omitempty"`
	Resolution        string                 `json:"resolution,omitempty"`
	MagicPromptOption string                 `json:"magic_prompt_option,omitempty"`
	Seed              *int64                 `json:"seed,omitempty"`
	StyleType         string                 `json:"style_type,omitempty"`
	NegativePrompt    string                 `json:"negative_prompt,omitempty"`
	NumImages         *int                   `json:"num_images,omitempty"`
	ColorPalette      *messages.ColorPalette `json:"color_palette,omitempty"`
}

// apiResponse is the body of a successful generation. Created stays a
// string: we never use it, and a timestamp format we did not expect must not
// turn a paid, successful call into a failure.
type apiResponse struct {
	Created string     `json:"created"`
	Data    []apiImage `json:"data"`
}

// apiImage is Ideogram's ImageObject. An image withheld by the safety check
// has is_image_safe false and no url.
type apiImage struct {
	Prompt      string `json:"prompt"`
	Resolution  string `json:"resolution"`
	IsImageSafe bool   `json:"is_image_safe"`
	Seed        int64  `json:"seed"`
	URL         string `json:"url,omitempty"`
	StyleType   string `json:"style_type,omitempty"`
}

// apiError is the error body the simulator writes: {"error": "..."}, plus
// reject_reason on 402 as the API documents.
type apiError struct {
	Error        string `json:"error"`
	RejectReason string `json:"reject_reason,omitempty"`
}

// errorText extracts a human message from an error body. Ideogram's bodies
// are not uniform across endpoints and gateways ({"error": "..."},
// {"error": {"message": ...}}, {"message": ...}, FastAPI's {"detail": ...}),
// so every known shape is tried, then the raw text is used.
func errorText(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return truncate(strings.TrimSpace(string(body)), 300)
	}
	var parts []string
	for _, k := range []string{"error", "message", "detail", "reject_reason"} {
		if s := rawText(m[k]); s != "" {
			parts = append(parts, s)
		}
	}
	return truncate(strings.Join(parts, ": "), 300)
}

// rawText renders a JSON value of unknown shape as text.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Message string `json:"message"`
		Msg     string `json:"msg"`
	}
	if json.Unmarshal(raw, &obj) == nil && (obj.Message != "" || obj.Msg != "") {
		return obj.Message + obj.Msg
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, item := range list {
			if t := rawText(item); t != "" {
				out = append(out, t)
			}
		}
		return strings.Join(out, "; ")
	}
	return string(raw)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

package ideogram

import (
	"encoding/json"
	"strings"

	"github.com/ideobus/ideobus/messages"
)

// The JSON shapes below follow Ideogram's documented legacy endpoints; the
// multipart field names live with the routes (routes.go). The client and
// the simulator share them, so the two cannot drift apart.

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

// apiRemixRequest is the image_request part of the legacy POST /remix: the
// generate fields plus the weight of the uploaded image.
type apiRemixRequest struct {
	apiImageRequest
	ImageWeight *int `json:"image_weight,omitempty"`
}

// apiUpscaleRequest is the image_request part of POST /upscale
// (UpscaleInitialImageRequest): an optional prompt and how far the result
// may stray from the upload.
type apiUpscaleRequest struct {
	Prompt            string `json:"prompt,omitempty"`
	Resemblance       *int   `json:"resemblance,omitempty"`
	Detail            *int   `json:"detail,omitempty"`
	MagicPromptOption string `json:"magic_prompt_option,omitempty"`
	NumImages         *int   `json:"num_images,omitempty"`
	Seed              *int64 `json:"seed,omitempty"`
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
// reject_reason on 402 and 429 as the API documents.
type apiError struct {
	Error        string `json:"error"`
	RejectReason string `json:"reject_reason,omitempty"`
}

// Documented reject_reason values.
const (
	rejectInsufficientFunds = "insufficient_funds" // 402: the balance is spent
	rejectDailyLimit        = "daily_limit"        // 402: the organisation's daily cap is reached
	rejectInflightLimit     = "inflight_limit"     // 429: too many images in flight
)

// rejectReason extracts reject_reason from an error body, "" when absent.
func rejectReason(body []byte) string {
	var e struct {
		RejectReason string `json:"reject_reason"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.RejectReason
}

// isValidationDetail reports whether body is a FastAPI validation error
// ({"detail": [{"loc": [...], "msg": ...}]}), which some gateways answer
// with 422. That 422 is about the request's shape, not its content.
func isValidationDetail(body []byte) bool {
	var v struct {
		Detail []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		} `json:"detail"`
	}
	return json.Unmarshal(body, &v) == nil && len(v.Detail) > 0 && len(v.Detail[0].Loc) > 0
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

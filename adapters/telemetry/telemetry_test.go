package telemetry

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

func TestRouteLabelsStayBounded(t *testing.T) {
	cases := map[string]string{
		"POST /generate":                             "/generate",
		"POST /v1/ideogram-v3/edit":                  "/v1/ideogram-v3/edit",
		"GET /api/images/ephemeral/abc123.png?exp=1": "image_download",
		"GET /images/ephemeral/zzz.png":              "image_download",
		"POST /something/else/per/request/8f3a":      "other",
	}
	for in, want := range cases {
		var method, path string
		for i := range in {
			if in[i] == ' ' {
				method, path = in[:i], in[i+1:]
				break
			}
		}
		r := httptest.NewRequest(method, "https://api.ideogram.ai"+path, nil)
		if got := routeLabel(r); got != want {
			t.Errorf("%s: label %q, want %q", in, got, want)
		}
	}
}

func TestClassifyResultNamesOutcomeAndCode(t *testing.T) {
	next, _ := messages.NewMessage(messages.TypeGenerated, "r", map[string]int{})
	failed, _ := messages.NewMessage(messages.TypeFailed, "r", messages.GenerationFailed{Code: messages.CodeContentFiltered})
	poison, _ := messages.NewMessage(messages.TypePoison, "r", messages.Poison{})
	cases := []struct {
		out           []*message.Message
		err           error
		outcome, code string
	}{
		{[]*message.Message{next}, nil, "ok", ""},
		{[]*message.Message{failed}, nil, "failed", "content_filtered"},
		{[]*message.Message{poison}, nil, "poison", ""},
		{nil, nil, "skipped", ""},
		{nil, messages.Transient(messages.CodeStorageFailed, errors.New("503")), "retry", "storage_failed"},
		{nil, &messages.DecodeError{Reason: "x"}, "poison", ""},
	}
	for _, c := range cases {
		if o, code := classifyResult(c.out, c.err); o != c.outcome || code != c.code {
			t.Errorf("got %s/%s, want %s/%s", o, code, c.outcome, c.code)
		}
	}
}

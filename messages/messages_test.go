package messages_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/ideobus/ideobus/messages"
)

func ptr[T any](v T) *T { return &v }

func TestValidateReportsEveryProblemNamingItsField(t *testing.T) {
	req := messages.GenerationRequest{
		ID:          "ok-1",
		Prompt:      "  ",
		Model:       "V_9",
		NumImages:   ptr(0),
		Seed:        ptr(int64(-1)),
		AspectRatio: "ASPECT_1_1",
		Resolution:  "RESOLUTION_1024_1024",
		Variants:    []messages.VariantSpec{{Name: "og-image"}, {Name: "weird"}, {Name: "Bad Name"}, {Name: "x", Width: 10, Fit: "stretch", Format: "gif"}},
		CallbackURL: "ftp://example.com/x",
	}
	err := req.Validate()
	var e *messages.Error
	if !errors.As(err, &e) {
		t.Fatalf("Validate() = %v, want *messages.Error", err)
	}
	if e.Code != messages.CodeInvalidRequest || e.Retryable {
		t.Fatalf("code=%s retryable=%v, want invalid_request, false", e.Code, e.Retryable)
	}
	want := []string{"prompt", "model", "num_images", "seed", "resolution", "variants[1]", "variants[2].name", "variants[3].fit", "variants[3].format", "callback_url"}
	got := map[string]bool{}
	for _, f := range e.Fields {
		got[f.Field] = true
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no problem reported for field %q; got %v", f, e.Fields)
		}
		if !strings.Contains(e.Message, f) {
			t.Errorf("message %q does not name %q", e.Message, f)
		}
	}
}

func TestValidateAcceptsMinimalAndFullRequests(t *testing.T) {
	for _, req := range []messages.GenerationRequest{
		{ID: "a", Prompt: "a lighthouse at dawn"},
		{ID: "b:1.x_y-z", Prompt: "p", Model: "V_2_TURBO", StyleType: "DESIGN", AspectRatio: "ASPECT_16_9", MagicPrompt: "OFF",
			Seed: ptr(int64(2147483647)), NumImages: ptr(8), ColorPalette: &messages.ColorPalette{Name: "EMBER"},
			Variants:    []messages.VariantSpec{{Name: "og-image"}, {Name: "banner", Width: 728, Height: 90, Fit: "contain", Background: "#ffffff"}},
			CallbackURL: "https://hooks.example.com/ideobus", BatchID: "camp-1", BatchSize: 3, Labels: map[string]string{"team": "growth"}},
	} {
		if err := req.Validate(); err != nil {
			t.Errorf("Validate(%s) = %v, want nil", req.ID, err)
		}
	}
}

func TestValidateRefusesPathLikeIDs(t *testing.T) {
	for _, id := range []string{"../etc", "a/b", "a..b", "", strings.Repeat("x", 200), "-lead"} {
		err := messages.GenerationRequest{ID: id, Prompt: "p"}.Validate()
		if err == nil {
			t.Errorf("id %q accepted", id)
			continue
		}
		if !strings.Contains(err.Error(), "id:") {
			t.Errorf("id %q: error %q does not name the id field", id, err)
		}
	}
}

func TestStyleTypeRefusedOnV1(t *testing.T) {
	err := messages.GenerationRequest{ID: "a", Prompt: "p", Model: "V_1", StyleType: "DESIGN"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "style_type") {
		t.Fatalf("got %v, want a style_type problem", err)
	}
}

func TestEventIDIsDeterministicAndDistinct(t *testing.T) {
	a := messages.EventID("req-1", messages.TypeCompleted)
	if a != messages.EventID("req-1", messages.TypeCompleted) {
		t.Fatal("same inputs gave different IDs")
	}
	others := []string{
		messages.EventID("req-2", messages.TypeCompleted),
		messages.EventID("req-1", messages.TypeFailed),
		messages.EventID("req-1", messages.TypeCompleted, 0),
		messages.EventID("req-1", messages.TypeCompleted, 1),
	}
	seen := map[string]bool{a: true}
	for _, o := range others {
		if seen[o] {
			t.Fatalf("ID collision: %s", o)
		}
		seen[o] = true
	}
	if len(a) != 36 || a[14] != '5' {
		t.Fatalf("%s is not a version-5 UUID", a)
	}
}

func TestNewMessageSetsCloudEventsHeadersAndRoundTrips(t *testing.T) {
	msg, req, err := messages.NewRequestMessage(messages.GenerationRequest{Prompt: "a red bicycle", Variants: []messages.VariantSpec{{Name: "instagram"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(req.ID, "req_") {
		t.Fatalf("ID not filled: %q", req.ID)
	}
	md := msg.Metadata
	checks := map[string]string{
		messages.HeaderSpecVersion:   "1.0",
		messages.HeaderType:          messages.TypeRequested,
		messages.HeaderID:            messages.EventID(req.ID, messages.TypeRequested),
		messages.HeaderContentType:   "application/json",
		messages.HeaderPartitionKey:  req.ID,
		messages.HeaderCorrelationID: req.ID,
		messages.HeaderSource:        messages.DefaultSource,
	}
	for k, want := range checks {
		if got := md.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if md.Get(messages.HeaderTime) == "" {
		t.Error("ce_time missing")
	}
	var back messages.GenerationRequest
	if err := messages.Decode(msg, messages.TypeRequested, &back); err != nil {
		t.Fatal(err)
	}
	if back.Prompt != req.Prompt || back.ID != req.ID || len(back.Variants) != 1 || back.Variants[0].Name != "instagram" {
		t.Fatalf("round trip lost data: %+v", back)
	}
}

func TestDecodeErrors(t *testing.T) {
	notJSON := message.NewMessage("1", []byte("this is not json"))
	var r messages.GenerationRequest
	err := messages.Decode(notJSON, messages.TypeRequested, &r)
	var de *messages.DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Reason, "invalid JSON") {
		t.Fatalf("got %v, want DecodeError about invalid JSON", err)
	}

	wrongType := message.NewMessage("2", []byte(`{"id":"x","prompt":"p"}`))
	wrongType.Metadata.Set(messages.HeaderType, messages.TypeCompleted)
	if err := messages.Decode(wrongType, messages.TypeRequested, &r); !errors.As(err, &de) {
		t.Fatalf("wrong ce_type accepted: %v", err)
	}

	badField := message.NewMessage("3", []byte(`{"id":"req-7","prompt":"p","num_images":"three"}`))
	if err := messages.Decode(badField, messages.TypeRequested, &r); !errors.As(err, &de) || de.RequestID != "req-7" {
		t.Fatalf("got %v (request id %q), want DecodeError that still reads req-7", err, de.RequestID)
	}

	future := message.NewMessage("4", []byte(`{"schema_version":2,"id":"x","prompt":"p"}`))
	if err := messages.Decode(future, messages.TypeRequested, &r); !errors.As(err, &de) {
		t.Fatalf("newer schema accepted: %v", err)
	}

	extra := message.NewMessage("5", []byte(`{"id":"x","prompt":"p","some_future_field":{"a":1}}`))
	if err := messages.Decode(extra, messages.TypeRequested, &r); err != nil {
		t.Fatalf("unknown fields must be ignored, got %v", err)
	}
}

func TestVariantSpecJSONAcceptsNameOrObject(t *testing.T) {
	var specs []messages.VariantSpec
	if err := json.Unmarshal([]byte(`["og-image", {"name":"banner","width":728,"height":90,"format":"png"}]`), &specs); err != nil {
		t.Fatal(err)
	}
	r := messages.ResolveVariants(specs, nil)
	if r[0].Width != 1200 || r[0].Height != 630 || r[0].Format != "jpeg" || r[0].Quality != 85 || r[0].Fit != "cover" {
		t.Errorf("preset not resolved: %+v", r[0])
	}
	if r[1].Width != 728 || r[1].Format != "png" || r[1].Ext() != "png" {
		t.Errorf("custom spec not kept: %+v", r[1])
	}
	if d := messages.ResolveVariants(nil, messages.DefaultVariants); len(d) != 3 || d[2].Name != "twitter-header" || d[2].Width != 1500 {
		t.Errorf("defaults: %+v", d)
	}
}

func TestKeysAreDeterministic(t *testing.T) {
	if got := messages.OriginalKey("ideobus", "req-1", 0); got != "ideobus/req-1/0/original.png" {
		t.Errorf("OriginalKey = %s", got)
	}
	spec := messages.VariantSpec{Name: "og-image"}.Resolve()
	if got := messages.VariantKey("p", "req-1", 2, spec); got != "p/req-1/2/og-image.jpg" {
		t.Errorf("VariantKey = %s", got)
	}
}

func TestStructuredRendering(t *testing.T) {
	msg, err := messages.NewMessage(messages.TypeCompleted, "req-1", messages.GenerationCompleted{RequestID: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := messages.Structured(msg)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"specversion", "id", "type", "source", "time", "data"} {
		if ev[k] == nil {
			t.Errorf("structured event lacks %q: %s", k, b)
		}
	}
	if ev["type"] != messages.TypeCompleted || ev["data"].(map[string]any)["request_id"] != "req-1" {
		t.Errorf("unexpected structured event: %s", b)
	}
}

func TestTopicsPrefixAndRouting(t *testing.T) {
	tp := messages.DefaultTopics().WithPrefix("acme.")
	if tp.Completed != "acme.ideogram.generation.completed" || tp.ForType(messages.TypeFailed) != "acme.ideogram.generation.failed" {
		t.Fatalf("%+v", tp)
	}
	if tp.ForType("nope") != "" {
		t.Fatal("unknown type mapped to a topic")
	}
}

func TestModelCapabilityTable(t *testing.T) {
	cases := []struct {
		name  string
		req   messages.GenerationRequest
		field string
	}{
		{"negative prompt on V_2A", messages.GenerationRequest{Model: "V_2A", NegativePrompt: "blur"}, "negative_prompt"},
		{"edit on V_2A", messages.GenerationRequest{Model: "V_2A", Operation: "edit", SourceImage: "a/b.png", Mask: "a/m.png"}, "operation"},
		{"FICTION on V_2", messages.GenerationRequest{Model: "V_2", StyleType: "FICTION"}, "style_type"},
		{"ANIME on V_3", messages.GenerationRequest{Model: "V_3", StyleType: "ANIME"}, "style_type"},
		{"rendering speed on V_2", messages.GenerationRequest{Model: "V_2", RenderingSpeed: "TURBO"}, "rendering_speed"},
		{"palette on V_1", messages.GenerationRequest{Model: "V_1", ColorPalette: &messages.ColorPalette{Name: "EMBER"}}, "color_palette"},
		{"reframe without resolution", messages.GenerationRequest{Model: "V_2", Operation: "reframe", SourceImage: "k.png"}, "resolution"},
		{"edit without mask", messages.GenerationRequest{Model: "V_2", Operation: "edit", SourceImage: "k.png"}, "mask"},
		{"source over http", messages.GenerationRequest{Model: "V_2", Operation: "remix", SourceImage: "http://example.com/a.png"}, "source_image"},
		{"source key escaping", messages.GenerationRequest{Model: "V_2", Operation: "remix", SourceImage: "../secrets"}, "source_image"},
		{"bad style code", messages.GenerationRequest{Model: "V_3", StyleCodes: []string{"xyz"}}, "style_codes[0]"},
		{"upscale knobs on generate", messages.GenerationRequest{Model: "V_2", Resemblance: ptr(50)}, "resemblance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.ID, c.req.Prompt = "x", "p"
			var e *messages.Error
			if err := c.req.Validate(); !errors.As(err, &e) {
				t.Fatalf("accepted: %+v", c.req)
			}
			for _, f := range e.Fields {
				if f.Field == c.field {
					return
				}
			}
			t.Fatalf("no problem on %s: %v", c.field, e.Fields)
		})
	}
	ok := []messages.GenerationRequest{
		{Model: "V_3", StyleType: "FICTION", RenderingSpeed: "QUALITY", NegativePrompt: "text"},
		{Model: "V_3", StyleCodes: []string{"0a1b2c3d"}},
		{Model: "V_2_TURBO", Operation: "edit", SourceImage: "https://img.example.com/a.png", Mask: "masks/a.png"},
		{Operation: "upscale", SourceImage: "k.png", Resemblance: ptr(60), Detail: ptr(40)},
		{Model: "V_2", Operation: "reframe", SourceImage: "k.png", Resolution: "RESOLUTION_1280_800"},
	}
	for _, r := range ok {
		r.ID, r.Prompt = "x", "p"
		if err := r.Validate(); err != nil {
			t.Errorf("%+v refused: %v", r, err)
		}
	}
}

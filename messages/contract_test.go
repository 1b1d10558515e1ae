package messages_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/ideobus/ideobus/messages"
	"github.com/ideobus/ideobus/messages/schemagen/contract"
)

// docsDir holds the committed contract, relative to this package.
const docsDir = "../docs"

// TestContractDocsAreUpToDate fails when docs/ differs from what generation
// produces from the current Go types.
func TestContractDocsAreUpToDate(t *testing.T) {
	files, err := contract.Generate(contract.Options{SourceDir: "."})
	if err != nil {
		t.Fatalf("generate contract: %v", err)
	}
	problems, err := files.Check(docsDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("the committed contract in docs/ is out of date with package messages; run go generate ./messages\n\t%s",
			strings.Join(problems, "\n\t"))
	}
}

// TestContractSamplesMatchDocs encodes realistic messages of every event type
// with the real codec and checks them against the committed contract: the
// payload against its JSON Schema, the headers against the AsyncAPI message's
// header schema, and the record key against its Kafka binding.
func TestContractSamplesMatchDocs(t *testing.T) {
	api := loadAsyncAPI(t)
	covered := map[string]bool{}
	for _, s := range contractSamples(t) {
		ceType := s.msg.Metadata.Get(messages.HeaderType)
		covered[ceType] = true
		t.Run(s.name, func(t *testing.T) {
			def, ok := api.messages[ceType]
			if !ok {
				t.Fatalf("docs/%s has no message whose ce_type header is %q", contract.AsyncAPIFile, ceType)
			}
			if got, want := s.msg.Metadata.Get(messages.HeaderDataSchema), def.dataSchema; got != want {
				t.Errorf("ce_dataschema header = %q, AsyncAPI message %s says %q", got, def.id, want)
			}
			if got := s.msg.Metadata.Get(messages.HeaderPartitionKey); got != s.key {
				t.Errorf("partition key (Kafka record key) = %q, want %q", got, s.key)
			}
			if s.key != "" && def.keyType != "string" {
				t.Errorf("AsyncAPI message %s: Kafka binding key type = %q, want string", def.id, def.keyType)
			}

			headers := map[string]any{}
			for k, v := range s.msg.Metadata {
				headers[k] = v
			}
			if err := def.headers.Validate(headers); err != nil {
				t.Errorf("headers %v do not match AsyncAPI message %s:\n%v", s.msg.Metadata, def.id, err)
			}

			payload, err := jsonschema.UnmarshalJSON(bytes.NewReader(s.msg.Payload))
			if err != nil {
				t.Fatalf("payload is not JSON: %v", err)
			}
			if err := def.payload.Validate(payload); err != nil {
				t.Errorf("payload does not match %s:\n%v\npayload: %s", def.payloadFile, err, s.msg.Payload)
			}
			if def.payloadID != def.dataSchema {
				t.Errorf("%s has $id %q, but the AsyncAPI message's ce_dataschema is %q", def.payloadFile, def.payloadID, def.dataSchema)
			}
		})
	}
	for ceType, def := range api.messages {
		if !covered[ceType] {
			t.Errorf("AsyncAPI message %s (%s) has no sample in contractSamples", def.id, ceType)
		}
	}
}

// TestContractRequestSchemaAgreesWithDecoder feeds hand-written request JSON
// to both the published schema and the Go decoder plus Validate: a client in
// another language that follows the schema gets the same answer.
func TestContractRequestSchemaAgreesWithDecoder(t *testing.T) {
	schema := loadAsyncAPI(t).messages[messages.TypeRequested].payload
	for _, tc := range []struct {
		name  string
		json  string
		valid bool
		field string // the property the schema error must name
	}{
		{name: "minimal", json: `{"id":"r-1","prompt":"a lighthouse at dawn"}`, valid: true},
		{name: "preset names and objects as variants", valid: true,
			json: `{"id":"r-2","prompt":"p","num_images":2,"variants":["og-image",{"name":"banner","width":728,"height":90,"fit":"contain"}]}`},
		{name: "unknown fields are ignored", json: `{"id":"r-3","prompt":"p","x_future":{"a":1}}`, valid: true},
		{name: "num_images as a string", json: `{"id":"r-4","prompt":"p","num_images":"2"}`, field: "num_images"},
		{name: "num_images out of range", json: `{"id":"r-5","prompt":"p","num_images":9}`, field: "num_images"},
		{name: "variant that is not a preset", json: `{"id":"r-6","prompt":"p","variants":["poster"]}`, field: "variants"},
		{name: "unknown model", json: `{"id":"r-7","prompt":"p","model":"V_9"}`, field: "model"},
		{name: "missing id", json: `{"prompt":"p"}`, field: "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			schemaErr := schema.Validate(inst)

			var req messages.GenerationRequest
			goErr := json.Unmarshal([]byte(tc.json), &req)
			if goErr == nil {
				goErr = req.Validate()
			}

			switch {
			case tc.valid && schemaErr != nil:
				t.Errorf("schema rejects a valid request:\n%v", schemaErr)
			case tc.valid && goErr != nil:
				t.Errorf("Go rejects a valid request: %v", goErr)
			case !tc.valid && schemaErr == nil:
				t.Errorf("schema accepts an invalid request %s", tc.json)
			case !tc.valid && goErr == nil:
				t.Errorf("Go accepts an invalid request %s", tc.json)
			case !tc.valid:
				var ve *jsonschema.ValidationError
				if !errors.As(schemaErr, &ve) || !mentions(ve, tc.field) {
					t.Errorf("schema error does not point at %q:\n%v", tc.field, schemaErr)
				}
			}
		})
	}
}

// mentions reports whether a validation error, or one of its causes, is
// located at property field (or is a missing-property error naming it).
func mentions(ve *jsonschema.ValidationError, field string) bool {
	if slices.Contains(ve.InstanceLocation, field) || strings.Contains(ve.Error(), "'"+field+"'") {
		return true
	}
	for _, c := range ve.Causes {
		if mentions(c, field) {
			return true
		}
	}
	return false
}

// sample is one encoded message and the Kafka record key it must carry.
type sample struct {
	name string
	msg  *message.Message
	key  string
}

// contractSamples builds realistic messages of every event type with the
// package's own codec.
func contractSamples(t *testing.T) []sample {
	t.Helper()
	at := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	reqMsg, req, err := messages.NewRequestMessage(messages.GenerationRequest{
		ID:             "launch-hero-7",
		Operation:      messages.OperationGenerate,
		Prompt:         "a paper rocket over a city skyline, poster style",
		NegativePrompt: "text, watermark",
		Model:          "V_2",
		StyleType:      "DESIGN",
		AspectRatio:    "ASPECT_16_9",
		MagicPrompt:    "OFF",
		Seed:           addr(int64(424242)),
		NumImages:      addr(2),
		ColorPalette: &messages.ColorPalette{Members: []messages.PaletteMember{
			{ColorHex: "#1A2B3C", ColorWeight: addr(0.6)}, {ColorHex: "#FFEEDD"},
		}},
		Variants: []messages.VariantSpec{
			{Name: "og-image"},
			{Name: "banner", Width: 728, Height: 90, Fit: messages.FitContain, Background: "#ffffff", Format: messages.FormatPNG},
		},
		CallbackURL: "https://hooks.example.com/ideobus",
		BatchID:     "spring-launch",
		BatchSize:   5,
		Labels:      map[string]string{"team": "growth", "campaign": "spring"},
		SubmittedAt: at,
	})
	if err != nil {
		t.Fatalf("NewRequestMessage: %v", err)
	}

	base := "https://cdn.example.com/ideobus/" + req.ID
	images := func(stored, resized bool) []messages.Image {
		var out []messages.Image
		for i := range req.Images() {
			img := messages.Image{
				Index:      i,
				SourceURL:  "https://ideogram.ai/api/images/ephemeral/abc" + string(rune('0'+i)) + ".png?exp=1741944713",
				Seed:       424242 + int64(i),
				Resolution: "RESOLUTION_1312_736",
				Prompt:     req.Prompt + ", bold colours",
				StyleType:  req.StyleType,
			}
			if stored {
				img.Original = &messages.Asset{
					Key:         messages.OriginalKey(messages.DefaultKeyPrefix, req.ID, i),
					URL:         base + "/" + string(rune('0'+i)) + "/original.png",
					Bytes:       1843211,
					ContentType: "image/png",
					SHA256:      strings.Repeat("ab", 32),
				}
			}
			if resized {
				for _, v := range messages.ResolveVariants(req.Variants, messages.DefaultVariants) {
					img.Variants = append(img.Variants, messages.VariantAsset{
						Name: v.Name, Key: messages.VariantKey(messages.DefaultKeyPrefix, req.ID, i, v),
						URL: base + "/" + v.Name + "." + v.Ext(), Width: v.Width, Height: v.Height,
						Format: v.Format, Bytes: 120344, SHA256: strings.Repeat("cd", 32),
					})
				}
			}
			out = append(out, img)
		}
		return out
	}
	stages := []messages.StageReport{
		{Stage: messages.StageGenerate, Attempts: 1, DurationMS: 5234.5},
		{Stage: messages.StageUpload, Attempts: 2, DurationMS: 412.25},
		{Stage: messages.StageResize, Attempts: 1, DurationMS: 88},
		{Stage: messages.StagePurge, Attempts: 1, DurationMS: 120},
	}
	job := func(stored, resized bool, n int) messages.Job {
		return messages.Job{
			SchemaVersion: messages.SchemaVersion, RequestID: req.ID, BatchID: req.BatchID, Labels: req.Labels,
			Request: req, Images: images(stored, resized), Stages: stages[:n],
		}
	}
	completed := messages.GenerationCompleted{
		SchemaVersion: messages.SchemaVersion, RequestID: req.ID, BatchID: req.BatchID, Labels: req.Labels,
		BatchSize: req.BatchSize, CallbackURL: req.CallbackURL, Operation: req.EffectiveOperation(),
		Prompt: req.Prompt, Model: req.EffectiveModel(), Images: images(true, true),
		PurgedURLs: []string{base + "/0/original.png", base + "/og-image.jpg"}, Stages: stages, CompletedAt: at,
	}
	bare := completed // nil slices are encoded as null
	bare.PurgedURLs, bare.Stages, bare.Labels = nil, nil, nil

	s := []sample{{name: "requested", msg: reqMsg, key: req.ID}}
	add := func(name, eventType, key string, payload any) {
		t.Helper()
		msg, err := messages.NewMessage(eventType, key, payload)
		if err != nil {
			t.Fatalf("NewMessage(%s): %v", eventType, err)
		}
		s = append(s, sample{name: name, msg: msg, key: key})
	}
	add("generated", messages.TypeGenerated, req.ID, messages.GenerationGenerated{Job: job(false, false, 1)})
	add("uploaded", messages.TypeUploaded, req.ID, messages.ImageUploaded{Job: job(true, false, 2)})
	add("resized", messages.TypeResized, req.ID, messages.ImageResized{Job: job(true, true, 3)})
	add("completed", messages.TypeCompleted, req.ID, completed)
	add("completed with nil slices", messages.TypeCompleted, req.ID, bare)
	add("failed", messages.TypeFailed, req.ID, messages.GenerationFailed{
		SchemaVersion: messages.SchemaVersion, RequestID: req.ID, BatchID: req.BatchID, Labels: req.Labels,
		BatchSize: req.BatchSize, CallbackURL: req.CallbackURL, Stage: messages.StageUpload,
		Code: messages.CodeStorageFailed, Message: "put object: 503 Service Unavailable", Retryable: false,
		Attempts: 5, Assets: []messages.Asset{*images(true, false)[0].Original}, Stages: stages[:2], FailedAt: at,
	})
	add("failed invalid request", messages.TypeFailed, "bad-req-1", messages.GenerationFailed{
		SchemaVersion: messages.SchemaVersion, RequestID: "bad-req-1", Stage: messages.StageValidate,
		Code: messages.CodeInvalidRequest, Message: "num_images: is 0, must be between 1 and 8", Attempts: 1,
		Fields: []messages.FieldError{{Field: "num_images", Message: "is 0, must be between 1 and 8"}}, FailedAt: at,
	})
	add("batch completed", messages.TypeBatchCompleted, req.BatchID, messages.BatchCompleted{
		SchemaVersion: messages.SchemaVersion, BatchID: req.BatchID, BatchSize: 5, Completed: 3, Failed: 2,
		FailedByCode: map[messages.Code]int{messages.CodeContentFiltered: 2},
		RequestIDs:   []string{"launch-hero-1", "launch-hero-2", "launch-hero-3", "launch-hero-4", "launch-hero-5"},
		CompletedAt:  at,
	})
	add("poison with request ID", messages.TypePoison, req.ID, messages.Poison{
		SchemaVersion: messages.SchemaVersion, Reason: "invalid JSON: unexpected end of JSON input", Stage: messages.StageUpload,
		SourceTopic: messages.TypeGenerated, RequestID: req.ID, Original: []byte(`{"request_id":"launch-hero-7","images":[`),
		Metadata: map[string]string{messages.HeaderType: messages.TypeGenerated}, At: at,
	})
	add("poison without request ID", messages.TypePoison, "", messages.Poison{
		SchemaVersion: messages.SchemaVersion, Reason: "invalid JSON: invalid character 'x'", Stage: messages.StageGenerate,
		SourceTopic: messages.TypeRequested, Original: []byte("x\x00\xff"), At: at,
	})
	return s
}

// asyncAPIMessage is what the test needs of one AsyncAPI message definition.
type asyncAPIMessage struct {
	id          string
	dataSchema  string // const of the ce_dataschema header
	keyType     string // type of the Kafka binding's key
	headers     *jsonschema.Schema
	payloadFile string
	payloadID   string // $id of the payload schema
	payload     *jsonschema.Schema
}

type asyncAPIDoc struct {
	messages map[string]asyncAPIMessage // by ce_type
}

// loadAsyncAPI parses docs/asyncapi.yaml and compiles, for each message, its
// header schema and the payload schema file it references.
func loadAsyncAPI(t *testing.T) asyncAPIDoc {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(docsDir, contract.AsyncAPIFile))
	if err != nil {
		t.Fatalf("read the AsyncAPI document (run go generate ./messages): %v", err)
	}
	var doc struct {
		AsyncAPI   string `yaml:"asyncapi"`
		Components struct {
			Messages map[string]struct {
				Name    string         `yaml:"name"`
				Headers map[string]any `yaml:"headers"`
				Payload struct {
					Ref string `yaml:"$ref"`
				} `yaml:"payload"`
				Bindings struct {
					Kafka struct {
						Key struct {
							Type string `yaml:"type"`
						} `yaml:"key"`
					} `yaml:"kafka"`
				} `yaml:"bindings"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", contract.AsyncAPIFile, err)
	}
	if doc.AsyncAPI != "3.0.0" {
		t.Fatalf("asyncapi = %q, want 3.0.0", doc.AsyncAPI)
	}

	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := asyncAPIDoc{messages: map[string]asyncAPIMessage{}}
	for id, m := range doc.Components.Messages {
		props, _ := m.Headers["properties"].(map[string]any)
		ceType := constOf(props, messages.HeaderType)
		if ceType == "" || ceType != m.Name {
			t.Fatalf("AsyncAPI message %s: ce_type header const %q, name %q; want both the event type", id, ceType, m.Name)
		}
		def := asyncAPIMessage{
			id:          id,
			dataSchema:  constOf(props, messages.HeaderDataSchema),
			keyType:     m.Bindings.Kafka.Key.Type,
			payloadFile: filepath.Join(docsDir, filepath.FromSlash(m.Payload.Ref)),
		}
		def.headers = compileValue(t, c, "urn:ideobus:test:headers:"+id, m.Headers)

		f, err := os.Open(def.payloadFile)
		if err != nil {
			t.Fatalf("AsyncAPI message %s: payload: %v", id, err)
		}
		schemaDoc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", def.payloadFile, err)
		}
		def.payloadID, _ = schemaDoc.(map[string]any)["$id"].(string)
		if err := c.AddResource(def.payloadFile, schemaDoc); err != nil {
			t.Fatal(err)
		}
		if def.payload, err = c.Compile(def.payloadFile); err != nil {
			t.Fatalf("compile %s: %v", def.payloadFile, err)
		}
		out.messages[ceType] = def
	}
	return out
}

// constOf returns the const of the named property schema, or "".
func constOf(props map[string]any, name string) string {
	p, _ := props[name].(map[string]any)
	s, _ := p["const"].(string)
	return s
}

// compileValue compiles a schema given as a decoded YAML value.
func compileValue(t *testing.T, c *jsonschema.Compiler, url string, v any) *jsonschema.Schema {
	t.Helper()
	b, err := json.Marshal(v) // normalise YAML scalars to JSON types
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", url, err)
	}
	return s
}

func addr[T any](v T) *T { return &v }

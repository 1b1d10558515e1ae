package messages

import (
	"strconv"
	"time"
)

// Event type names. They are the CloudEvents `type` attribute (header
// `ce_type`) of every message and the names cqrs-style routers dispatch on.
const (
	TypeRequested      = "ideogram.generation.requested"
	TypeGenerated      = "ideogram.generation.generated"
	TypeUploaded       = "ideogram.image.uploaded"
	TypeResized        = "ideogram.image.resized"
	TypeCompleted      = "ideogram.generation.completed"
	TypeFailed         = "ideogram.generation.failed"
	TypePoison         = "ideogram.generation.poison"
	TypeBatchCompleted = "ideogram.batch.completed"
)

// Operations a request may ask for.
const (
	OperationGenerate = "generate"
	OperationEdit     = "edit"
	OperationRemix    = "remix"
	OperationUpscale  = "upscale"
	OperationReframe  = "reframe"
)

// Stage names, as reported in a failed event's `stage` and in stage reports.
const (
	StageValidate = "validate"
	StageGenerate = "generate"
	StageUpload   = "upload"
	StageResize   = "resize"
	StagePurge    = "purge"
	StageNotify   = "notify"
	StageBatch    = "batch"
)

// GenerationRequest is the payload of ideogram.generation.requested: one job.
//
// ID is the idempotency key: the same ID submitted twice is one job, and every
// object key and event ID of the job derives from it.
type GenerationRequest struct {
	SchemaVersion  int           `json:"schema_version"`
	ID             string        `json:"id"`
	Operation      string        `json:"operation,omitempty"`
	Prompt         string        `json:"prompt"`
	NegativePrompt string        `json:"negative_prompt,omitempty"`
	Model          string        `json:"model,omitempty"`
	StyleType      string        `json:"style_type,omitempty"`
	AspectRatio    string        `json:"aspect_ratio,omitempty"`
	Resolution     string        `json:"resolution,omitempty"`
	MagicPrompt    string        `json:"magic_prompt,omitempty"`
	Seed           *int64        `json:"seed,omitempty"`
	NumImages      *int          `json:"num_images,omitempty"`
	ColorPalette   *ColorPalette `json:"color_palette,omitempty"`
	// RenderingSpeed, StylePreset and StyleCodes apply to the V_3 endpoints.
	RenderingSpeed string   `json:"rendering_speed,omitempty"`
	StylePreset    string   `json:"style_preset,omitempty"`
	StyleCodes     []string `json:"style_codes,omitempty"`
	// SourceImage and Mask reference the inputs of edit, remix, upscale and
	// reframe: an https URL, or an object key in the configured bucket. The
	// stage fetches them; image bytes never travel in Kafka messages.
	SourceImage string `json:"source_image,omitempty"`
	Mask        string `json:"mask,omitempty"`
	// ImageWeight is remix's weight of the source image (1-100).
	ImageWeight *int `json:"image_weight,omitempty"`
	// Resemblance and Detail tune upscale (1-100).
	Resemblance *int              `json:"resemblance,omitempty"`
	Detail      *int              `json:"detail,omitempty"`
	Variants    []VariantSpec     `json:"variants,omitempty"`
	CallbackURL string            `json:"callback_url,omitempty"`
	BatchID     string            `json:"batch_id,omitempty"`
	BatchSize   int               `json:"batch_size,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	SubmittedAt time.Time         `json:"submitted_at,omitzero"`
}

// Images is the number of images the request asks for (1 when unset).
func (r GenerationRequest) Images() int {
	if r.NumImages == nil {
		return 1
	}
	return *r.NumImages
}

// EffectiveOperation is the operation, `generate` when unset.
func (r GenerationRequest) EffectiveOperation() string {
	if r.Operation == "" {
		return OperationGenerate
	}
	return r.Operation
}

// EffectiveModel is the model, DefaultModel when unset.
func (r GenerationRequest) EffectiveModel() string {
	if r.Model == "" {
		return DefaultModel
	}
	return r.Model
}

// ColorPalette is Ideogram's color palette: a preset name or explicit members.
type ColorPalette struct {
	Name    string          `json:"name,omitempty"`
	Members []PaletteMember `json:"members,omitempty"`
}

// PaletteMember is one colour of an explicit palette.
type PaletteMember struct {
	ColorHex    string   `json:"color_hex"`
	ColorWeight *float64 `json:"color_weight,omitempty"`
}

// Job is the state every stage event carries forward: the original request and
// what the stages so far produced. Each stage event is a Job with more filled in,
// so any stage can be run, replayed or scaled on its own.
type Job struct {
	SchemaVersion int               `json:"schema_version"`
	RequestID     string            `json:"request_id"`
	BatchID       string            `json:"batch_id,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Request       GenerationRequest `json:"request"`
	Images        []Image           `json:"images"`
	Stages        []StageReport     `json:"stages,omitempty"`
}

// Image is one generated image and what has become of it so far.
type Image struct {
	Index int `json:"index"`
	// SourceURL is Ideogram's ephemeral result URL; it expires, so the upload
	// stage copies it promptly.
	SourceURL  string `json:"source_url,omitempty"`
	Seed       int64  `json:"seed"`
	Resolution string `json:"resolution,omitempty"`
	// Prompt is the prompt Ideogram used (after magic prompt rewriting).
	Prompt    string         `json:"prompt,omitempty"`
	StyleType string         `json:"style_type,omitempty"`
	Filtered  bool           `json:"filtered,omitempty"`
	Original  *Asset         `json:"original,omitempty"`
	Variants  []VariantAsset `json:"variants,omitempty"`
}

// Asset is a stored object.
type Asset struct {
	Key         string `json:"key"`
	URL         string `json:"url"`
	Bytes       int64  `json:"bytes"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
}

// VariantAsset is a stored, resized rendition of an original.
type VariantAsset struct {
	Name   string `json:"name"`
	Key    string `json:"key"`
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format string `json:"format"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256,omitempty"`
}

// StageReport records how one stage went for a job.
type StageReport struct {
	Stage      string  `json:"stage"`
	Attempts   int     `json:"attempts"`
	DurationMS float64 `json:"duration_ms"`
}

// GenerationGenerated is the payload of ideogram.generation.generated: Ideogram
// answered and the images' ephemeral URLs are known.
type GenerationGenerated struct{ Job }

// ImageUploaded is the payload of ideogram.image.uploaded: every original is in
// object storage.
type ImageUploaded struct{ Job }

// ImageResized is the payload of ideogram.image.resized: every variant is in
// object storage.
type ImageResized struct{ Job }

// GenerationCompleted is the payload of ideogram.generation.completed, the
// successful outcome of a job.
type GenerationCompleted struct {
	SchemaVersion int               `json:"schema_version"`
	RequestID     string            `json:"request_id"`
	BatchID       string            `json:"batch_id,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	BatchSize     int               `json:"batch_size,omitempty"`
	CallbackURL   string            `json:"callback_url,omitempty"`
	Operation     string            `json:"operation"`
	Prompt        string            `json:"prompt"`
	Model         string            `json:"model"`
	Images        []Image           `json:"images"`
	PurgedURLs    []string          `json:"purged_urls"`
	Stages        []StageReport     `json:"stages"`
	CompletedAt   time.Time         `json:"completed_at"`
}

// GenerationFailed is the payload of ideogram.generation.failed, the
// unsuccessful outcome of a job. Assets stored before the failure are listed.
type GenerationFailed struct {
	SchemaVersion int               `json:"schema_version"`
	RequestID     string            `json:"request_id"`
	BatchID       string            `json:"batch_id,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	BatchSize     int               `json:"batch_size,omitempty"`
	CallbackURL   string            `json:"callback_url,omitempty"`
	Stage         string            `json:"stage"`
	Code          Code              `json:"code"`
	Message       string            `json:"message"`
	Retryable     bool              `json:"retryable"`
	Attempts      int               `json:"attempts"`
	Fields        []FieldError      `json:"fields,omitempty"`
	Assets        []Asset           `json:"assets,omitempty"`
	Stages        []StageReport     `json:"stages,omitempty"`
	FailedAt      time.Time         `json:"failed_at"`
}

// BatchCompleted is the payload of ideogram.batch.completed: every request
// of a batch has an outcome.
type BatchCompleted struct {
	SchemaVersion int          `json:"schema_version"`
	BatchID       string       `json:"batch_id"`
	BatchSize     int          `json:"batch_size"`
	Completed     int          `json:"completed"`
	Failed        int          `json:"failed"`
	FailedByCode  map[Code]int `json:"failed_by_code"`
	RequestIDs    []string     `json:"request_ids"`
	CompletedAt   time.Time    `json:"completed_at"`
}

// Poison is the payload of ideogram.generation.poison: a message no stage
// could decode, kept byte for byte with the reason.
type Poison struct {
	SchemaVersion int               `json:"schema_version"`
	Reason        string            `json:"reason"`
	Stage         string            `json:"stage"`
	SourceTopic   string            `json:"source_topic,omitempty"`
	RequestID     string            `json:"request_id,omitempty"`
	Original      []byte            `json:"original"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	At            time.Time         `json:"at"`
}

// DefaultKeyPrefix is the object-key prefix used when none is configured.
const DefaultKeyPrefix = "ideobus"

// OriginalKey is the deterministic object key of a job's original image, so a
// replay overwrites instead of duplicating.
func OriginalKey(prefix, requestID string, index int) string {
	return keyDir(prefix, requestID, index) + "original.png"
}

// VariantKey is the deterministic object key of a variant of a job's image.
func VariantKey(prefix, requestID string, index int, spec VariantSpec) string {
	return keyDir(prefix, requestID, index) + spec.Name + "." + spec.Ext()
}

func keyDir(prefix, requestID string, index int) string {
	if prefix != "" {
		prefix += "/"
	}
	return prefix + requestID + "/" + strconv.Itoa(index) + "/"
}

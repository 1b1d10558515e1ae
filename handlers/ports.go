package handlers

import (
	"context"

	"github.com/ideobus/ideobus/messages"
)

// The ports below are the only things the stages need from the outside world.
// Adapters implement them; errors they return should be *messages.Error so the
// stage knows whether to retry.

// Generator runs an Ideogram operation for a request and returns the images it
// produced, in order, with their ephemeral source URLs. An image the API marked
// unsafe comes back with Filtered set and no URL. in carries the source image
// and mask of edit, remix, upscale and reframe, already fetched by the stage.
type Generator interface {
	Generate(ctx context.Context, req messages.GenerationRequest, in Inputs) ([]messages.Image, error)
}

// Inputs are the images an operation works on.
type Inputs struct {
	Image *Blob
	Mask  *Blob
}

// Blob is an image's bytes with its content type.
type Blob struct {
	Data        []byte
	ContentType string
}

// Downloader copies an image from an ephemeral URL. An expired URL is a
// permanent messages.CodeSourceExpired error.
type Downloader interface {
	Download(ctx context.Context, url string) (body []byte, contentType string, err error)
}

// ObjectStore stores and reads objects by key. Put overwrites, so a replay
// is harmless; it returns the stored asset with its public URL.
type ObjectStore interface {
	Put(ctx context.Context, key string, body []byte, contentType string) (messages.Asset, error)
	Get(ctx context.Context, key string) ([]byte, error)
}

// Rendition is one rendered variant.
type Rendition struct {
	Spec   messages.VariantSpec
	Width  int
	Height int
	Data   []byte
}

// Resizer renders every spec from one source image, decoding it once. Specs
// arrive resolved (messages.VariantSpec.Resolve); renditions return in spec
// order. A source it cannot or will not decode is a permanent error
// (messages.CodeInvalidImage or messages.CodeImageTooLarge).
type Resizer interface {
	Render(ctx context.Context, src []byte, specs []messages.VariantSpec) ([]Rendition, error)
}

// CDN purges URLs from the edge cache and warms them again.
type CDN interface {
	Purge(ctx context.Context, urls []string) error
	// Warm requests each URL once so the first real visitor hits a warm cache.
	Warm(ctx context.Context, urls []string) error
}

// Ledger remembers each paid Ideogram result by request ID, so a redelivered
// or replayed request is answered from the record instead of a second paid
// call. NewObjectLedger keeps it in object storage next to the images.
type Ledger interface {
	// Lookup returns the recorded result of requestID, if any.
	Lookup(ctx context.Context, requestID string) (rec *LedgerRecord, found bool, err error)
	// Record stores rec unless a record of the request is already stored,
	// and returns the stored one: the first result wins, so two racing
	// deliveries emit the same images.
	Record(ctx context.Context, rec LedgerRecord) (LedgerRecord, error)
}

// URLFetcher fetches a source image a request references by URL. URLs come
// from users, so implementations must refuse private and internal targets.
type URLFetcher interface {
	Fetch(ctx context.Context, url string) (Blob, error)
}

// Notifier delivers an outcome event (CloudEvents structured JSON) to a
// request's callback URL, signed, and says how the delivery ended. A non-nil
// error that is retryable means try again later (shutting down); any other
// result is final.
type Notifier interface {
	Deliver(ctx context.Context, url, eventID, eventType string, body []byte) (messages.WebhookDelivery, error)
}

package messages

import "time"

// Webhook delivery failure codes.
const (
	// CodeCallbackRefused: the callback URL is not allowed (scheme, or an
	// internal address). Retrying cannot help.
	CodeCallbackRefused Code = "callback_refused"
	// CodeCallbackFailed: the receiver did not accept the event, at once
	// (4xx, 3xx) or when the retries ran out.
	CodeCallbackFailed Code = "callback_failed"
	// CodeCallbackGone: the receiver answered 410 Gone, i.e. unsubscribed.
	CodeCallbackGone Code = "callback_gone"
)

// DeliveryStatus is the final state of a webhook delivery.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryDelivered DeliveryStatus = "delivered" // a 2xx answer
	DeliveryGone      DeliveryStatus = "gone"      // 410: the receiver unsubscribed
	DeliveryFailed    DeliveryStatus = "failed"    // refused by the receiver, or retries spent
	DeliveryRefused   DeliveryStatus = "refused"   // the URL is not allowed; nothing was sent
)

// WebhookDelivery records how the delivery of one outcome event to a
// request's callback URL ended. The notify stage stores one per request.
type WebhookDelivery struct {
	// URL is the callback URL without password, query and fragment, which
	// may hold the receiver's tokens.
	URL       string         `json:"url"`
	RequestID string         `json:"request_id,omitempty"`
	EventID   string         `json:"event_id"`
	EventType string         `json:"event_type"`
	Status    DeliveryStatus `json:"status"`
	// Attempts is how many HTTP requests were made (0 when refused).
	Attempts int `json:"attempts"`
	// HTTPStatus is the status the last attempt got, 0 if it got no answer.
	HTTPStatus int `json:"http_status,omitempty"`
	// Code classifies a delivery that did not succeed.
	Code Code `json:"code,omitempty"`
	// Error says why it did not succeed.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at"`
}

package webhook

import "github.com/ideobus/ideobus/messages"

// Failure codes of a delivery (see messages).
const (
	CodeCallbackRefused = messages.CodeCallbackRefused
	CodeCallbackFailed  = messages.CodeCallbackFailed
	CodeCallbackGone    = messages.CodeCallbackGone
)

// UserAgent is sent with every delivery.
const UserAgent = "ideobus-webhook/1"

// Status is the final state of a delivery.
type Status = messages.DeliveryStatus

// Delivery statuses.
const (
	StatusDelivered = messages.DeliveryDelivered
	StatusGone      = messages.DeliveryGone
	StatusFailed    = messages.DeliveryFailed
	StatusRefused   = messages.DeliveryRefused
)

// Delivery records how the delivery of one event to one URL ended.
type Delivery = messages.WebhookDelivery

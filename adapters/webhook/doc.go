// Package webhook signs and delivers ideobus outcome events to the
// callback_url of a request, following the Standard Webhooks specification
// (https://www.standardwebhooks.com), and lets receivers verify them.
//
// # Signing
//
// A delivery carries three headers:
//
//	webhook-id         the event ID, the same on every retry (receivers dedupe on it)
//	webhook-timestamp  Unix seconds of the attempt
//	webhook-signature  "v1,<base64 HMAC-SHA256 of id.timestamp.body>"
//
// Secrets are "whsec_" followed by the base64 key. While a secret is being
// rotated, deliveries are signed with each configured secret, space-separated
// in webhook-signature, so receivers holding either one accept them.
//
// Receivers call Verify, which accepts a timestamp up to Tolerance (five
// minutes) away from their clock in either direction.
//
// # Delivery
//
// Deliverer POSTs the body (a CloudEvents structured-mode JSON event, see
// messages.Structured) through a safehttp client, so a callback URL cannot
// reach loopback, private or metadata addresses. It retries 5xx, 429, 408,
// timeouts and connection errors with exponential backoff and jitter
// (cenkalti/backoff/v4), honouring Retry-After up to Config.MaxInterval. A
// 2xx delivers; 410 Gone means the receiver unsubscribed and ends delivery
// without retries; other 4xx and 3xx (redirects are not followed, since
// following a 301-303 would turn the POST into an empty GET) fail at once.
//
// Deliver returns a Delivery describing the final status, for the notify
// stage to record. A failed delivery never changes the job's own outcome.
package webhook

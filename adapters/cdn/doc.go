// Package cdn purges and warms ideobus URLs on Cloudflare's cache through
// cloudflare-go, and ships LocalCDN, an in-process caching server that also
// answers the purge_cache API so the real client is exercised in demos and
// tests.
//
// Client implements handlers.CDN. Its errors are *messages.Error with code
// cdn_failed: retryable for 429, 5xx and network failures, not for other
// 4xx answers such as a bad token or zone.
package cdn

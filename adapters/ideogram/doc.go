// Package ideogram is the ideobus adapter for the Ideogram API, and its
// embedded, protocol-compatible peer.
//
// # Client
//
// Client implements handlers.Generator (POST {base}/generate with the
// documented image_request JSON) and handlers.Downloader (fetching the
// ephemeral image URLs from an allow list of hosts). Production and the
// simulator share this one code path; only Config.BaseURL, ImageHosts and
// AllowHTTP differ (see SimulatorConfig).
//
// Every failure is classified once, here, into a *messages.Error:
//
//	400 invalid_request        401 unauthorized        402 insufficient_funds
//	403 forbidden              422 content_filtered    429 rate_limited (retryable)
//	5xx upstream_unavailable (retryable)  timeouts: timeout (retryable)
//	connection errors: upstream_unavailable (retryable)
//
// Transient failures are retried in the client with exponential backoff and
// jitter (cenkalti/backoff/v4), stretched to honour Retry-After. Errors come
// back as *AttemptsError, which unwraps to the *messages.Error and carries
// the number of HTTP attempts made (see Attempts and GenerateAttempts).
//
// Downloads: an expired or missing URL (403/404/410) is a permanent
// source_expired; a body over Config.MaxDownloadBytes a permanent
// image_too_large; a body that is not an image a permanent invalid_image; a
// host outside Config.ImageHosts, or plain http without AllowHTTP, is refused
// with invalid_request before any request is made.
//
// Only the generate operation is implemented; edit, remix, upscale and
// reframe answer invalid_request "operation X not supported yet".
//
// # Simulator
//
// Simulator serves the same POST /generate (request parsing, validation,
// response and error JSON) and renders real, deterministic PNG images at the
// requested aspect ratio or resolution, behind signed URLs of the form
// /images/ephemeral/{id}.png?exp={unix}&sig={hmac} that expire after
// SimOptions.URLTTL (403 afterwards, like a real signed URL). The same
// prompt and seed always give the same bytes; without a seed one is derived
// from the prompt, and image i of a request gets seed+i. The PNGs are stored
// without compression (about 3 MB per megapixel) so that rendering and
// decoding stay cheap, even under the race detector.
//
// Tests steer it with triggers written in the prompt (case-insensitive; several may be
// combined, e.g. "a fox [sim:429x2] [sim:retry-after=1]"):
//
//	[sim:unsafe]           422 safety rejection ("Prompt or provided image failed the safety checks")
//	[sim:unsafe-image]     the last image has is_image_safe false and no url; the others are fine
//	[sim:NNN]              always answer HTTP status NNN (400-599) with the API's error body,
//	                       e.g. [sim:500], [sim:503], [sim:401], [sim:402] (reject_reason insufficient_funds)
//	[sim:NNNxK]            answer NNN to the first K calls with this exact prompt, then succeed,
//	                       e.g. [sim:429x2] (the third call succeeds)
//	[sim:retry-after=V]    Retry-After value on 429 and 5xx answers (default "0"; "none" omits it)
//	[sim:timeout]          hang until the client gives up (at most SimOptions.MaxHang, then 504)
//	[sim:latency=DUR]      add latency, a Go duration such as 250ms
//	[sim:expired-url]      hand out image URLs that have already expired
//
// Triggers stay in the prompt the simulator echoes back. Random faults are
// configured with SimOptions.FaultRate429 and FaultRate5xx (seeded by
// SimOptions.Seed). Calls, GenerateCalls and PromptCalls count requests, so
// tests can assert how many times the "paid" API was called.
package ideogram

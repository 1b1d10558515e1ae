// Package ideogram is the ideobus adapter for the Ideogram API, and its
// embedded, protocol-compatible peer.
//
// # Client
//
// Client implements handlers.Generator and handlers.Downloader (fetching
// the ephemeral image URLs from an allow list of hosts). Production and the
// simulator share this one code path; only Config.BaseURL, ImageHosts and
// AllowHTTP differ (see SimulatorConfig).
//
// The request's operation and model choose the route (the Route constants):
//
//	operation  models V_1 … V_2A_TURBO                    model V_3
//	generate   POST /generate (JSON image_request)        POST /v1/ideogram-v3/generate (multipart)
//	edit       POST /edit (image_file, mask, prompt,      POST /v1/ideogram-v3/edit (image, mask, prompt, …)
//	           model, magic_prompt_option, num_images,
//	           seed, style_type)
//	remix      POST /remix (image_request JSON +          POST /v1/ideogram-v3/remix (image, prompt,
//	           image_file)                                image_weight, …)
//	upscale    POST /upscale (image_request JSON with prompt, resemblance, detail,
//	           magic_prompt_option, num_images, seed + image_file), for every model
//	reframe    POST /reframe (image_file, resolution,     POST /v1/ideogram-v3/reframe (image,
//	           model, num_images, seed, style_type)       resolution, …)
//
// The V3 forms spell aspect ratios and resolutions as 16x9 and 1280x720
// (converted from ASPECT_16_9 and RESOLUTION_1280_720), send style_codes as
// a repeated field and color_palette as a JSON document; the legacy routes
// always name the model, since it decides the price. Reframe needs a
// resolution: the request's, or the one its aspect ratio renders at.
// Every route answers with the same image list.
//
// Before any call, and so at no cost, the client refuses with a permanent
// error (0 attempts): a request field the chosen route does not carry
// (rather than drop it silently), a missing source image (edit, remix,
// upscale, reframe) or mask (edit) from handlers.Inputs (invalid_request),
// an input over MaxUploadBytes (image_too_large), and one that is not JPEG,
// PNG or WebP by its bytes (invalid_image).
//
// # Errors
//
// Every failure is classified once, here, into a *messages.Error, with
// Retryable true exactly when retrying soon could help:
//
//	answer                                  code                  retried  may be billed
//	400                                     invalid_request       no       no
//	401                                     unauthorized          no       no
//	402 reject_reason insufficient_funds    insufficient_funds    no       no
//	    (or no reason)
//	402 reject_reason daily_limit           daily_limit (*)       no       no
//	403                                     forbidden             no       no
//	404, 405 (wrong base URL or proxy)      internal              no       no
//	413                                     image_too_large       no       no
//	415                                     invalid_image         no       no
//	422 safety rejection                    content_filtered      no       no
//	422 with a schema "detail" list         invalid_request       no       no
//	429 reject_reason inflight_limit        rate_limited          yes      no
//	408                                     timeout               yes      no
//	500, 503 and other 5xx                  upstream_unavailable  yes      no
//	502                                     upstream_unavailable  yes      yes
//	504                                     timeout               yes      yes
//	our deadline, request sent              timeout               yes      yes
//	connection refused / reset before the   upstream_unavailable  yes      no
//	  request was written
//	connection lost after it was written    upstream_unavailable  yes      yes
//	200 unreadable, oversized or no images  upstream_unavailable  yes      yes
//	caller's context ends                   timeout               yes      if sent
//	other 4xx                               invalid_request       no       no
//	item with is_image_safe false, no url   that image Filtered; the others are kept
//
// (*) CodeDailyLimit, defined in this package until messages has it; a
// daily_limit reason is honoured whatever the status.
//
// Retried failures wait with exponential backoff and jitter
// (cenkalti/backoff/v4), stretched to honour Retry-After (seconds or HTTP
// date) on 429 and 5xx; a Retry-After beyond Config.MaxRetryAfter ends the
// retries and is reported in the error's RetryAfter. Errors come back as
// *AttemptsError, which unwraps to the *messages.Error and carries the
// number of HTTP attempts (see Attempts and GenerateAttempts) and
// MaybeBilled: true when some failed attempt may have run, and been charged,
// upstream although its answer was lost (the last column). The generate
// stage's ledger records it; RetryEvent.MaybeBilled reports the same for
// attempts that a later success hides.
//
// Downloads: an expired or missing URL (403/404/410) is a permanent
// source_expired; a body over Config.MaxDownloadBytes a permanent
// image_too_large; a body that is not an image a permanent invalid_image; a
// host outside Config.ImageHosts, or plain http without AllowHTTP, is refused
// with invalid_request before any request is made.
//
// # Simulator
//
// Simulator serves every route above with the documented request parsing
// (JSON, and multipart with image_request JSON parts), validation, response
// and error JSON ({"error": ..., "reject_reason": ...}), and renders real,
// deterministic PNG images behind signed URLs of the form
// /images/ephemeral/{id}.png?exp={unix}&sig={hmac} that expire after
// SimOptions.URLTTL (403 afterwards, like a real signed URL). The same
// request always gives the same bytes; without a seed one is derived from
// the prompt, and image i of a request gets seed+i. The PNGs are stored
// without compression (about 3 MB per megapixel) so that rendering and
// decoding stay cheap, even under the race detector.
//
// Uploads are refused with 400, naming the field, when over
// SimOptions.MaxUploadBytes (10 MB), not JPEG, PNG or WebP by their bytes,
// not decodable, or (masks) not the size of the image. Results derived from
// an upload are visibly related to it: edit repaints the mask's black
// region and keeps the rest; remix crops the source to the target aspect
// and blends it with a fresh rendering by image_weight; upscale doubles the
// source (at most 4096 px a side); reframe fits the source, whole, in the
// centre of a fresh rendering at the target resolution.
//
// Validation follows the documented rules: the enumerations of messages for
// the legacy routes, and for V3 its aspect ratios (16x9, also 1x2, 2x1, 4x5
// and 5x4), resolutions (1280x720), style types (AUTO, GENERAL, REALISTIC,
// DESIGN, FICTION), rendering speeds (FLASH, TURBO, DEFAULT, QUALITY),
// 8-hex-digit style codes (not with style_type); legacy edit only on V_2
// and V_2_TURBO, model required on legacy edit and reframe, no color_palette
// on V_1, V_1_TURBO, V_2A and V_2A_TURBO, resolution required on reframe,
// never resolution with aspect_ratio.
//
// SimOptions.InflightLimit caps the images in flight like the real
// per-organisation limit: a call whose num_images would exceed it answers
// 429 with reject_reason inflight_limit and no Retry-After. Calls(route),
// GenerateCalls (all API routes: at most what a deployment would be billed
// for), PromptCalls, Inflight, MaxInflight (the peak) and
// InflightRejections let tests assert what the paid API saw. Latency and
// LatencyJitter (uniform ±) delay every API answer; FaultRate429 and
// FaultRate5xx inject random faults; both draw from a generator seeded with
// SimOptions.Seed.
//
// Tests steer it with triggers written in the prompt (case-insensitive;
// several may be combined, e.g. "a fox [sim:429x2] [sim:retry-after=1]"):
//
//	[sim:unsafe]           422 safety rejection ("Prompt or provided image failed the safety checks")
//	[sim:unsafe-image]     the last image has is_image_safe false and no url; the others are fine
//	[sim:NNN]              always answer HTTP status NNN (400-599) with the API's error body,
//	                       e.g. [sim:500], [sim:503], [sim:401], [sim:402] (reject_reason
//	                       insufficient_funds), [sim:429] (reject_reason inflight_limit)
//	[sim:402-daily]        402 with reject_reason daily_limit
//	[sim:NNNxK]            answer NNN to the first K calls with this exact prompt, then succeed,
//	                       e.g. [sim:429x2] (the third call succeeds)
//	[sim:retry-after=V]    Retry-After value on 429 and 5xx answers (default "0"; "none" omits it)
//	[sim:timeout]          hang until the client gives up (at most SimOptions.MaxHang, then 504)
//	[sim:latency=DUR]      add latency, a Go duration such as 250ms
//	[sim:expired-url]      hand out image URLs that have already expired
//
// Triggers stay in the prompt the simulator echoes back. Upscale and
// reframe take no prompt (upscale's is optional), so only an upscale with a
// prompt can carry triggers.
package ideogram

// Package storage stores ideobus objects in Cloudflare R2 through its S3 API
// (aws-sdk-go-v2), and ships LocalServer, an in-process S3 server backed by a
// local folder that the same client code talks to for demos and tests.
//
// Store implements handlers.ObjectStore. Its errors are *messages.Error with
// code storage_failed, retryable exactly when another attempt could succeed
// (5xx, throttling, network). A missing object also matches ErrNotFound and
// fs.ErrNotExist, so callers that may not import this package can still tell
// "absent" from "broken" with errors.Is(err, fs.ErrNotExist).
package storage

module github.com/ideobus/ideobus/adapters/imaging/bench

go 1.26.8

replace github.com/ideobus/ideobus => ../../..

require (
	github.com/davidbyttow/govips/v2 v2.16.0
	github.com/disintegration/imaging v1.6.2
	github.com/ideobus/ideobus v0.0.0-00010101000000-000000000000
)

require (
	github.com/ThreeDotsLabs/watermill v1.5.1 // indirect
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/ebitengine/purego v0.8.3 // indirect
	github.com/gen2brain/webp v0.5.5 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/lithammer/shortuuid/v3 v3.0.7 // indirect
	github.com/oklog/ulid v1.3.1 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/tetratelabs/wazero v1.9.0 // indirect
	golang.org/x/image v0.48.0 // indirect
	golang.org/x/net v0.63.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

# syntax=docker/dockerfile:1
# Build a static ideobus binary, then ship it alone on a distroless base that
# runs as an unprivileged user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ideobus ./cmd/ideobus \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ideobus /usr/local/bin/ideobus
# The data folder exists in the image, owned by the runtime user, so a named
# volume mounted there starts writable (Docker copies the ownership).
COPY --from=build --chown=65532:65532 /out/data /home/nonroot/data
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/ideobus"]
CMD ["serve"]

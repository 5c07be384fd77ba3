# syntax=docker/dockerfile:1
# chatstate: one static binary on a distroless base, run as a non-root user.
#   docker build -t chatstate .
#   docker run --rm chatstate --help

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/chatstate ./cmd/chatstate \
 && mkdir -p /out/data

# distroless/static: CA certificates (for TLS to the brokers) and tzdata, no
# shell, no package manager; user 65532 "nonroot".
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/chatstate /usr/local/bin/chatstate
# Local copies of the tables (goka's storage) live here; they are caches that
# the processors and servers rebuild from Kafka, so a volume is optional.
COPY --from=build --chown=65532:65532 /out/data /data
ENV CHATSTATE_STATE_DIR=/data/state \
    CHATSTATE_DATA_DIR=/data \
    CHATSTATE_HTTP=:8080
USER 65532:65532
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/chatstate"]
CMD ["--help"]

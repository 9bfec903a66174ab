# tmsync as a container image: the static binary make release builds (cgo
# off, -trimpath, the same -ldflags, the version stamped in), alone on
# distroless static, run as a non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t registry.example.com/tmsync:v0.1.0 .
#   docker buildx build --platform linux/amd64,linux/arm64 --build-arg VERSION=v0.1.0 ...
#
# The Kubernetes CronJob of examples/ci/kubernetes runs this image.
# GO_VERSION is the go line of go.mod.
ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# The flags of make release (RELEASE_BUILDFLAGS in the Makefile).
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false -ldflags "-s -w -X github.com/tmsync/tmsync/internal/cli.Version=${VERSION}" \
    -o /out/tmsync ./cmd/tmsync

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tmsync /usr/local/bin/tmsync
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tmsync"]

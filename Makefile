GO ?= go
PKGS := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/tmsync/tmsync/internal/cli.Version=$(VERSION)

.PHONY: all build demo test fmt-check vet bench soak fuzz release clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tmsync ./cmd/tmsync

# The README's main command: plan and apply examples/ against the embedded emulator.
demo: build
	./scripts/demo.sh

test: fmt-check vet
	$(GO) test -race -timeout 8m $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

clean:
	rm -rf bin .tmsync

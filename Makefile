GO ?= go
PKGS := ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/tmsync/tmsync/internal/cli.Version=$(VERSION)
# Platforms of make release: static binaries, cgo off (only there: the race
# detector of make test needs cgo).
RELEASE_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
# actionlint checks the CI templates in make test; it is built once from the
# Go module proxy into bin/ and skipped, with a message, when that fails.
ACTIONLINT_VERSION ?= v1.7.12
ACTIONLINT := bin/actionlint-$(ACTIONLINT_VERSION)

.PHONY: all build demo test fmt-check vet bench soak fuzz release clean lint-workflows

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tmsync ./cmd/tmsync

# The README's main command: plan and apply examples/ against the embedded emulator.
demo: build
	./scripts/demo.sh

test: fmt-check vet lint-workflows
	$(GO) test -race -timeout 8m $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# Release archives in $(DIST)/: per platform tmsync-VERSION-OS-ARCH.tar.gz
# (the static binary, cgo off, version stamped in) and its SBOM
# (tmsync-VERSION-OS-ARCH.sbom.txt: go version -m of the binary), and
# SHA256SUMS of them all. scripts/install.sh installs from them; the
# Dockerfile builds the same binary with the same RELEASE_BUILDFLAGS.
DIST ?= dist
RELEASE_BUILDFLAGS = -trimpath -buildvcs=false -ldflags "-s -w $(LDFLAGS)"
release:
	@mkdir -p $(DIST) && rm -rf $(DIST)/.build $(DIST)/SHA256SUMS $(DIST)/tmsync-* && mkdir $(DIST)/.build
	@set -e; for p in $(RELEASE_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; name=tmsync-$(VERSION)-$$os-$$arch; dir=$(DIST)/.build/$$name; \
		echo "build $(DIST)/$$name.tar.gz"; mkdir -p $$dir; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build $(RELEASE_BUILDFLAGS) -o $$dir/tmsync ./cmd/tmsync; \
		(cd $$dir && $(GO) version -m tmsync) > $(DIST)/$$name.sbom.txt; \
		tar -C $$dir -cf - tmsync | gzip -9n > $(DIST)/$$name.tar.gz; \
	done
	@rm -rf $(DIST)/.build
	@cd $(DIST) && if command -v sha256sum >/dev/null; then sha256sum tmsync-$(VERSION)-* > SHA256SUMS; \
		else shasum -a 256 tmsync-$(VERSION)-* > SHA256SUMS; fi
	@cd $(DIST) && if command -v sha256sum >/dev/null; then sum=$$(sha256sum SHA256SUMS); \
		else sum=$$(shasum -a 256 SHA256SUMS); fi; \
		echo "$(DIST)/SHA256SUMS written; pin it with TMSYNC_SHA256SUMS_SHA256=$${sum%% *}"

# actionlint over the GitHub Actions templates (shellcheck is used when
# installed).
lint-workflows:
	@if [ ! -x $(ACTIONLINT) ]; then \
		tmp=$$(mktemp -d); \
		if GOBIN=$$tmp $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) 2>$$tmp/err; then \
			mkdir -p bin && mv $$tmp/actionlint $(ACTIONLINT); \
		else \
			echo "SKIP lint-workflows: could not build actionlint $(ACTIONLINT_VERSION) (offline?):"; tail -n 3 $$tmp/err; \
		fi; \
		rm -rf $$tmp; \
	fi
	@if [ -x $(ACTIONLINT) ]; then $(ACTIONLINT) -no-color examples/ci/github/*.yml && echo "actionlint: examples/ci/github OK"; fi

# Issue 6: measure. make bench compares tmsync with a per-resource baseline
# against the emulator (20 ms a call, 200 ms async delay), runs the
# plan.Compute benchmark, the emulator's throughput benchmark and a whole
# tmsync validate of 10,000 rules, and writes bench/results.md;
# BENCH_SIZES=10,100 for a quick run (the default takes about 10 minutes on
# 2 cores).
BENCH_SIZES ?= 10,100,1000
bench: build
	$(GO) run ./internal/bench/cmd/bench -tmsync bin/tmsync -sizes "$(BENCH_SIZES)" -go "$(GO)" -out bench/results.md

# SOAK_ROUNDS rounds of random spec changes, faults and kills against
# bin/tmsync, each applied by SOAK_RUNNERS tmsync processes at once (separate
# lock directories, as separate CI runners; 1 for one process a round);
# SOAK_SEED=N replays the run whose seed it prints first.
SOAK_ROUNDS ?= 200
SOAK_RUNNERS ?= 2
soak: build
	$(GO) run ./internal/soak/cmd/soak -tmsync bin/tmsync -rounds $(SOAK_ROUNDS) -runners $(SOAK_RUNNERS)

# Every go test fuzz target of the module, FUZZTIME each. Their seed corpora
# (testdata/fuzz) run in make test already.
FUZZTIME ?= 30s
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' internal cmd 2>/dev/null | sort); do \
		dir=./$$(dirname $$f); \
		for fn in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$fn in $$dir for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

clean:
	rm -rf bin .tmsync

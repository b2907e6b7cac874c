# The two commands: `make rehearse` (run a rehearsal) and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
RELEASE_BIN = .build/release/rehearse

.PHONY: rehearse test build release deps clean bench

## Build in release mode and rehearse the bundled default surrogate (commerce).
rehearse: release
	$(RELEASE_BIN) --surrogate commerce

## Run the whole test suite (unit, engine and command-line tests).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

release: deps
	$(SWIFT) build -c release --product rehearse

build: deps
	$(SWIFT) build

## System libraries the package links (libsqlite3, libpq); installed when missing.
deps:
	@scripts/bootstrap.sh

clean:
	rm -rf .build rehearsals

## Release-build benchmarks against baselines measured in the same run (BENCH_SCALES="25 250").
bench: release
	scripts/bench.sh

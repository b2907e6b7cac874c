# The two commands: `make rehearse` (run a rehearsal) and `make test`.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
RELEASE_BIN = .build/release/rehearse

.PHONY: rehearse test check-architecture build release deps clean bench fuzz seal-gate install uninstall nightly

PREFIX ?= /usr/local
DESTDIR ?=

## Build in release mode and rehearse the bundled default surrogate (commerce).
rehearse: release
	$(RELEASE_BIN) --surrogate commerce

## Run the whole test suite (unit, engine, adversarial, command-line,
## conformance, replay, install and tamper tests), then a short run of each
## fuzz target (parser + validator; manifest + profile through to the plan).
## The architecture checks run first.
test: deps check-architecture
	$(SWIFT) build --build-tests
	$(SWIFT) test
	scripts/check-no-clusters.sh
	FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz.sh

TEST_FUZZ_SECONDS ?= 30
FUZZ_SECONDS ?= 600

## The architecture checks (docs/ARCHITECTURE.md), all run, then fail if any
## failed: the layer table between our targets and every import (with the
## checker's self-test), no file under Sources/ over 400 lines without a
## reason, and (CHECK_API=1, the default; CHECK_API=0 skips it) a /// doc
## comment on every public declaration.
CHECK_API ?= 1
check-architecture:
	@status=0; \
	for check in "scripts/check-layers.sh --self-test" scripts/check-layers.sh scripts/check-file-sizes.sh \
	    $(if $(filter 1,$(CHECK_API)),"scripts/api-surface.sh --check"); do \
	  echo "$$check"; SWIFT="$(SWIFT)" $$check || status=1; \
	done; \
	exit $$status

## Fuzz each target (libFuzzer + AddressSanitizer) for FUZZ_SECONDS: the strict
## parser and validator, and manifest + profile parsing through to the plan.
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz.sh

## The nightly CI rehearsal job: every surrogate and configured migration
## directory (rehearse.nightly.yaml) on SQLite and PostgreSQL, validated, the
## seal gate, a summary and JUnit/Markdown/HTML reports in one folder.
## NIGHTLY_SHARD=I/N runs one shard; NIGHTLY_OUT names the folder.
NIGHTLY_SHARD ?= 1/1
NIGHTLY_OUT ?=
NIGHTLY_SCALE ?=
nightly: release
	scripts/nightly-rehearsal.sh --shard $(NIGHTLY_SHARD) $(if $(NIGHTLY_OUT),--out $(NIGHTLY_OUT)) $(if $(NIGHTLY_SCALE),--scale $(NIGHTLY_SCALE))

## The seal-vs-bytes gate over every committed seal.
seal-gate: release
	scripts/seal-gate.sh

## Install under PREFIX (default /usr/local; DESTDIR stages it): bin/rehearse,
## share/rehearse/{surrogates,schemas}, bash/zsh/fish completions and the man
## page (see scripts/install.sh for what goes where).
install: release
	scripts/install.sh --binary $(RELEASE_BIN) "$(DESTDIR)$(PREFIX)"

## Remove what `make install` put under PREFIX.
uninstall:
	scripts/install.sh --uninstall "$(DESTDIR)$(PREFIX)"

release: deps
	$(SWIFT) build -c release --product rehearse

build: deps
	$(SWIFT) build

## System libraries the package links (libsqlite3, libpq) and the PostgreSQL
## server and client the PostgreSQL engine and its tests need; installed when
## missing and root, else named (the PostgreSQL tests are then skipped, in one line).
deps:
	@scripts/bootstrap.sh

clean:
	rm -rf .build .build-fuzz rehearsals

## Release-build benchmarks against baselines measured in the same run (BENCH_SCALES="25 250").
bench: release
	scripts/bench.sh
	scripts/bench-postgres.sh

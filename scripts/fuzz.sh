#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer target (Fuzz/RehearseFuzz) with coverage
# instrumentation and AddressSanitizer in its own build folder, then fuzzes
# the strict parser and the validator for FUZZ_SECONDS (default 600), seeded
# with the conformance corpus. Exits non-zero on any crash or broken
# invariant; the crashing input is left in .build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-600}
SWIFT=${SWIFT:-swift}
swift_bin=$(dirname "$(readlink -f "$(command -v "$SWIFT")")")
runtime=$(ls "$swift_bin"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
[ -n "$runtime" ] || { echo "fuzz: libFuzzer (libclang_rt.fuzzer_no_main) not found in the Swift toolchain" >&2; exit 4; }

# Release mode: ten times the executions per second of a debug build, with
# the same instrumentation. Linker chatter about ASan's local symbols is noise.
REHEARSE_FUZZ=1 "$SWIFT" build -c release --product rehearse-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
  -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v -e '^\[' -e 'Cannot export local symbol' -e '^Fetch' -e '^Comput' -e '^Creating working' -e '^Working copy' || true
BIN=.build-fuzz/release/rehearse-fuzz
[ -x "$BIN" ] || { echo "fuzz: build failed" >&2; exit 4; }

corpus=.build-fuzz/corpus
mkdir -p "$corpus" .build-fuzz/artifacts
for f in Tests/Conformance/*/evidence.json; do cp "$f" "$corpus/$(basename "$(dirname "$f")").json"; done
echo "fuzz: ${SECONDS_TO_RUN}s over the parser and validator, seeded with $(ls "$corpus" | wc -l) inputs"
# Leak detection is off: the Swift runtime keeps its metadata caches for the
# life of the process by design, which LeakSanitizer reports at exit.
set +e
ASAN_OPTIONS=detect_leaks=0 "$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -dict=Fuzz/evidence.dict \
  -artifact_prefix=.build-fuzz/artifacts/ -print_final_stats=1 "$corpus" > .build-fuzz/last-run.log 2>&1
status=$?
set -e
grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Fatal error)' .build-fuzz/last-run.log || true
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); see .build-fuzz/last-run.log and .build-fuzz/artifacts/" >&2
  tail -30 .build-fuzz/last-run.log >&2
  exit 1
fi
echo "fuzz: no crash, no broken invariant"
